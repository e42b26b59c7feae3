"""Test doubles for the executors: a fake `kubectl` on PATH, a recording HTTP server.

There is no cluster here, so the honest double for kubectl is a program of that name,
first on PATH, that records the exact argument vector it was started with (one JSON
list per line) and answers the way kubectl does for the verbs oncall uses. A test then
asserts the argv element by element, which is what reaches a real kubectl.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest

SCRIPT = r'''#!{python}
import json, os, sys
argv = sys.argv[1:]
with open({log!r}, "a") as fh:
    fh.write(json.dumps(argv) + "\n")
fail = os.environ.get("FAKE_KUBECTL_FAIL", "")
words = [a for a in argv if not a.startswith("-")]
dry = next((a.split("=", 1)[1] for a in argv if a.startswith("--dry-run=")), "")
suffix = f" ({{dry}} dry run)" if dry else ""
if fail and fail in argv:
    sys.stderr.write(f"error: {{fail}} refused by the fake API server\n")
    sys.exit(1)
if "get" in argv:
    path = next(a for a in argv if a.startswith("jsonpath="))
    if "replicas" in path:
        print(os.environ.get("FAKE_REPLICAS", "4"), end="")
    else:
        print(os.environ.get("FAKE_REVISION", "7"), end="")
elif "restart" in argv:
    target = next(a for a in argv if a.startswith("deployment/"))
    print(f"deployment.apps/{{target.split('/')[1]}} restarted{{suffix}}")
elif "scale" in argv:
    target = next(a for a in argv if a.startswith("deployment/"))
    print(f"deployment.apps/{{target.split('/')[1]}} scaled{{suffix}}")
elif "undo" in argv:
    target = next(a for a in argv if a.startswith("deployment/"))
    print(f"deployment.apps/{{target.split('/')[1]}} rolled back{{suffix}}")
elif "delete" in argv:
    print(f'pod "{{argv[argv.index("pod") + 1]}}" deleted{{suffix}}')
else:
    sys.stderr.write("error: unknown command\n")
    sys.exit(1)
'''


class FakeKubectl:
    """`kubectl` first on PATH for the test; `calls` are the argv lists it received."""

    def __init__(self, root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        bin_dir = root / "fakebin"
        bin_dir.mkdir()
        self.log = root / "kubectl-calls.jsonl"
        script = bin_dir / "kubectl"
        script.write_text(SCRIPT.format(python=sys.executable, log=str(self.log)))
        script.chmod(0o755)
        monkeypatch.setenv("PATH", f"{bin_dir}:/usr/bin:/bin")
        self.monkeypatch = monkeypatch

    @property
    def calls(self) -> list[list[str]]:
        if not self.log.exists():
            return []
        return [json.loads(line) for line in self.log.read_text().splitlines()]

    def mutating(self) -> list[list[str]]:
        """The calls that would change the cluster (no reads, no dry runs)."""
        return [c for c in self.calls
                if "get" not in c and not any(a.startswith("--dry-run") for a in c)]

    def fail_on(self, word: str) -> None:
        self.monkeypatch.setenv("FAKE_KUBECTL_FAIL", word)

    def replicas(self, count: int) -> None:
        self.monkeypatch.setenv("FAKE_REPLICAS", str(count))


class Recorder:
    """An `httpx.MockTransport` handler that records requests and answers by route."""

    def __init__(self, routes: dict[tuple[str, str], Any]) -> None:
        self.routes = routes
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        answer = self.routes.get((request.method, request.url.path))
        if answer is None:
            return httpx.Response(404, json={"message": "not found"})
        if callable(answer):
            answer = answer(request)
        if isinstance(answer, httpx.Response):
            return answer
        return httpx.Response(200, json=answer)

    def client(self, base: str) -> httpx.Client:
        return httpx.Client(base_url=base, transport=httpx.MockTransport(self))

    def bodies(self, method: str = "POST") -> list[Any]:
        return [json.loads(r.content) for r in self.requests if r.method == method]
