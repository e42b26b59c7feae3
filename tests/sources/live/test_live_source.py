"""The live source end to end over mocked systems that serve a bundled example:
partial failure, the alerts requirement, and snapshot -> replay equality."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from typer.testing import CliRunner

from oncall.cli.main import app
from oncall.config import PromQuery, SourceConfig
from oncall.errors import SourceUnavailable
from oncall.export import triage_to_dict
from oncall.pipeline import triage
from oncall.sources import ScenarioSource
from oncall.sources.live import LiveSource, write_scenario
from oncall.sources.live.build import build_connector
from tests.helpers import EXAMPLES

EXAMPLE = EXAMPLES / "checkout-latency"
NOW = datetime(2026, 3, 14, 2, 19, tzinfo=UTC)
SIGNALS = ("latency_p95_seconds", "error_ratio", "request_rate", "cpu_utilization")
Handler = Callable[[httpx.Request], httpx.Response]


def _example(name: str) -> Any:
    return json.loads((EXAMPLE / name).read_text())


def _prometheus(request: httpx.Request) -> httpx.Response:
    """Answers each query with the example's series of that name, under another name,
    so the connector's renaming to the signal is what makes them usable."""
    wanted = request.url.params["query"].removeprefix("shop_")
    body = _example("metrics.json")
    result = [{**r, "metric": {**r["metric"], "__name__": "shop_" + wanted}}
              for r in body["data"]["result"] if r["metric"]["__name__"] == wanted]
    return httpx.Response(200, json={"status": "success",
                                     "data": {"resultType": "matrix", "result": result}})


def _backstage(request: httpx.Request) -> httpx.Response:
    docs = list(yaml.safe_load_all((EXAMPLE / "catalog.yaml").read_text()))
    return httpx.Response(200, json={"items": docs, "totalItems": len(docs), "pageInfo": {}})


def _refused(request: httpx.Request) -> httpx.Response:
    raise httpx.ConnectError("[Errno 111] Connection refused", request=request)


HANDLERS: dict[str, Handler] = {
    "alertmanager": lambda r: httpx.Response(200, json=_example("alerts.json")),
    "prometheus": _prometheus,
    "loki": lambda r: httpx.Response(200, json=_example("logs.json")),
    "jaeger": lambda r: httpx.Response(200, json=_example("traces.json")),
    "backstage": _backstage,
}
FIELDS: dict[str, dict[str, Any]] = {
    "prometheus": {"queries": tuple(PromQuery(s, f"shop_{s}") for s in SIGNALS)},
    "loki": {"log_queries": ('{namespace="shop"}',)},
    "jaeger": {"services": ("checkout",)},
}


def _source(handlers: dict[str, Handler], policy: Path | None = None) -> LiveSource:
    connectors = []
    for kind, handler in handlers.items():
        url = f"http://{kind}.test"
        config = SourceConfig(kind=kind, url=url, origin="oncall.yaml",
                              where=f"sources.{kind}", retries=1, **FIELDS.get(kind, {}))
        client = httpx.Client(base_url=url, transport=httpx.MockTransport(handler))
        connectors.append(build_connector(config, client, sleep=lambda _: None))
    return LiveSource(connectors, name="checkout-live", policy=policy, clock=lambda: NOW)


def _comparable(doc: dict[str, Any]) -> dict[str, Any]:
    doc = dict(doc)
    doc.pop("timings", None)
    doc.pop("scenario", None)
    doc.pop("missing", None)  # "no source configured" live, "no changes.yaml" replayed
    return doc


def test_live_triage_equals_the_replay_of_its_snapshot(tmp_path: Path) -> None:
    source = _source(HANDLERS, policy=EXAMPLE / "policy.yaml")
    capture = source.capture()
    assert capture.snapshot.missing == ["changes: no source configured"]
    out = tmp_path / "replay"
    names = sorted(p.name for p in write_scenario(capture, out))
    assert names == ["alerts.json", "catalog.yaml", "logs.json", "metrics.json",
                     "policy.yaml", "scenario.yaml", "traces.json"]
    live = triage_to_dict(triage(source))
    replay = triage_to_dict(triage(ScenarioSource(out)))
    assert _comparable(live) == _comparable(replay)
    assert live["missing"] == ["changes: no source configured"]
    assert replay["missing"] == ["changes: no changes.yaml"]
    assert live["incidents"], "the example's incident must be found from live sources"
    services = {s for inc in live["incidents"] for s in inc["services"]}
    assert "checkout" in services


def test_a_down_source_is_named_in_missing_and_triage_goes_on() -> None:
    source = _source({**HANDLERS, "loki": _refused})
    result = triage(source)
    assert result.incidents
    (loki,) = [m for m in result.missing if m.startswith("logs:")]
    assert loki == ("logs: loki (http://loki.test): connection refused on "
                    "/loki/api/v1/query_range (2 tries)")


def test_a_body_that_does_not_parse_is_missing_and_not_written(tmp_path: Path) -> None:
    def bad_catalog(request: httpx.Request) -> httpx.Response:
        entity = {"kind": "Component", "metadata": {"name": "checkout", "annotations": {
            "oncall/tier": "first"}}, "spec": {}}
        return httpx.Response(200, json={"items": [entity], "pageInfo": {}})

    capture = _source({**HANDLERS, "backstage": bad_catalog}).capture()
    (problem,) = [m for m in capture.snapshot.missing if m.startswith("catalog:")]
    assert "document[0].metadata.annotations.oncall/tier: expected a number" in problem
    assert capture.snapshot.catalog is None
    written = {p.name for p in write_scenario(capture, tmp_path / "out")}
    assert "catalog.yaml" not in written
    replay = ScenarioSource(tmp_path / "out").snapshot()
    assert replay.catalog is None and len(replay.alerts) == len(capture.snapshot.alerts)


def test_without_alertmanager_there_is_nothing_to_triage() -> None:
    source = _source({**HANDLERS, "alertmanager": _refused})
    with pytest.raises(SourceUnavailable, match=r"^alertmanager \(http://alertmanager.test\): "
                       r"connection refused on /api/v2/alerts \(2 tries\)$"):
        source.snapshot()


def test_an_alertmanager_answering_something_else_is_refused() -> None:
    source = _source({**HANDLERS, "alertmanager": lambda r: httpx.Response(
        200, json={"status": "success", "data": []})})
    with pytest.raises(SourceUnavailable, match="is this the Alertmanager API v2"):
        source.snapshot()


def test_snapshot_command_refuses_a_used_directory_and_a_down_alertmanager(
        tmp_path: Path) -> None:
    runner = CliRunner()
    used = tmp_path / "used"
    used.mkdir()
    (used / "x").write_text("keep me")
    config = tmp_path / "oncall.yaml"
    config.write_text("sources:\n  alertmanager: {url: 'http://127.0.0.1:9', retries: 0}\n")
    result = runner.invoke(app, ["snapshot", "--out", str(used), "--config", str(config)])
    assert result.exit_code == 2
    assert result.stderr == f"oncall: {used}: is a directory that is not empty; choose a " \
        "new or an empty --out\n"
    result = runner.invoke(app, ["snapshot", "--out", str(tmp_path / "new"), "--config",
                                 str(config)])
    assert result.exit_code == 2
    assert result.stderr.startswith("oncall: alertmanager (http://127.0.0.1:9): ")
    assert len(result.stderr.splitlines()) == 1
    assert not (tmp_path / "new").exists()


def test_an_alert_from_the_same_second_as_now_is_kept_live_and_in_the_replay(
        tmp_path: Path) -> None:
    started = "2026-03-14T02:19:00.400Z"
    body = [{"labels": {"alertname": "Fresh", "service": "checkout"}, "startsAt": started,
             "endsAt": "2026-03-14T02:49:00Z", "fingerprint": "f1",
             "status": {"state": "active", "silencedBy": [], "inhibitedBy": []}}]
    source = _source({"alertmanager": lambda r: httpx.Response(200, json=body)})
    source.clock = lambda: datetime(2026, 3, 14, 2, 19, 0, 700_000, tzinfo=UTC)
    capture = source.capture()
    assert capture.snapshot.now == datetime(2026, 3, 14, 2, 19, 1, tzinfo=UTC)
    assert [a.fingerprint for a in capture.snapshot.alerts] == ["f1"]
    write_scenario(capture, tmp_path / "out")
    assert [a.fingerprint for a in ScenarioSource(tmp_path / "out").snapshot().alerts] == ["f1"]
