"""Shared fixtures: real saved triages of the bundled examples, and a recording transport."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

from oncall.cli.main import app
from tests.helpers import EXAMPLES

Handler = Callable[[httpx.Request], httpx.Response]


def saved_triage(example: str) -> dict[str, Any]:
    result = CliRunner().invoke(app, ["triage", str(EXAMPLES / example), "--format", "json"])
    assert result.exit_code == 0, result.output
    body: dict[str, Any] = json.loads(result.stdout)
    return body


@pytest.fixture(scope="session")
def _triages(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, dict[str, Any]]]:
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("XDG_DATA_HOME", str(tmp_path_factory.mktemp("xdg-itsm")))
        yield {name: saved_triage(name) for name in ("checkout-latency", "alert-storm")}


@pytest.fixture
def checkout(_triages: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """`oncall triage examples/checkout-latency --format json` (one incident)."""
    return json.loads(json.dumps(_triages["checkout-latency"]))


@pytest.fixture
def storm(_triages: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """`oncall triage examples/alert-storm --format json` (two incidents)."""
    return json.loads(json.dumps(_triages["alert-storm"]))


class Recording:
    """A MockTransport that keeps every request and answers through `handler`."""

    def __init__(self, handler: Handler) -> None:
        self.handler = handler
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        request.read()
        self.requests.append(request)
        return self.handler(request)

    def client(self) -> httpx.Client:
        return httpx.Client(transport=httpx.MockTransport(self))

    def bodies(self, method: str | None = None) -> list[Any]:
        return [json.loads(r.content) for r in self.requests
                if r.content and (method is None or r.method == method)]

    def methods(self) -> list[str]:
        return [f"{r.method} {r.url.path}" for r in self.requests]


class Sleeps(list[float]):
    """Records backoff delays instead of sleeping."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)
