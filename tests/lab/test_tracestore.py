"""The lab's trace store: span files read back and answered as Jaeger's query API.

The spans are written by the demo services' own `Tracer` (or as raw lines, for what a
writer can leave behind), served by the control plane over HTTP, and read by oncall's
own Jaeger connector and trace parser: what is tested is what the lab's triage reads.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from oncall.config import SourceConfig
from oncall.errors import SourceUnavailable
from oncall.lab.control import ControlPlane
from oncall.lab.demo import Tracer, new_span_id, new_trace_id
from oncall.lab.deploy import Deployer
from oncall.lab.logstore import LogStore
from oncall.lab.tracestore import TraceQueryError, TraceStore, parse_search
from oncall.sources.live.base import Window
from oncall.sources.live.http import Fetcher
from oncall.sources.live.traces import JaegerConnector
from oncall.sources.traces import parse_traces

NOW = time.time()


@pytest.fixture
def store(tmp_path: Path) -> TraceStore:
    (tmp_path / "traces").mkdir()
    return TraceStore(tmp_path / "traces")


@pytest.fixture
def plane(tmp_path: Path, store: TraceStore) -> Iterator[ControlPlane]:
    (tmp_path / "config").mkdir()
    (tmp_path / "logs").mkdir()
    control = ControlPlane(Deployer(tmp_path / "config"), LogStore(tmp_path / "logs"),
                           store).start()
    try:
        yield control
    finally:
        control.stop()


def _tracers(store: TraceStore) -> dict[str, Tracer]:
    tracers = {name: Tracer(store.path(name), name)
               for name in ("frontend", "checkout", "payments")}
    for i, tracer in enumerate(tracers.values()):
        tracer.instance = f"127.0.0.1:{40000 + i}"
    return tracers


def _checkout_request(tracers: dict[str, Tracer], at: float, timeout: bool) -> str:
    """One request frontend -> checkout -> payments as the services record it; with
    `timeout`, checkout's one call to payments times out and the request fails."""
    trace = new_trace_id()
    fe, fe_call, co, co_call, pay = (new_span_id() for _ in range(5))
    tracers["payments"].record(trace, pay, co_call, "server", "GET /", at + 0.006, 0.012,
                               200, False, "4.12.0")
    tracers["checkout"].record(trace, co_call, co, "client", "GET payments", at + 0.005,
                               0.006 if timeout else 0.014, None if timeout else 200, timeout,
                               "2.31.0", peer="payments", attempt=1,
                               message="timed out after 6 ms" if timeout else None)
    code = 504 if timeout else 200
    tracers["checkout"].record(trace, co, fe_call, "server", "GET /", at + 0.004, 0.02, code,
                               timeout, "2.31.0", message="call to payments failed after 1 "
                               "attempt(s): timed out after 6 ms" if timeout else None)
    tracers["frontend"].record(trace, fe_call, fe, "client", "GET checkout", at + 0.003,
                               0.022, 504 if timeout else 200, timeout, "7.2.1",
                               peer="checkout", attempt=1,
                               message="checkout answered 504" if timeout else None)
    tracers["frontend"].record(trace, fe, None, "server", "GET /", at, 0.03,
                               502 if timeout else 200, timeout, "7.2.1")
    return trace


def _flush(tracers: dict[str, Tracer]) -> None:
    for tracer in tracers.values():
        tracer.flush()


def _connector(url: str, **fields: object) -> JaegerConnector:
    config = SourceConfig(kind="jaeger", url=url, origin="t", where="sources.jaeger",
                          **fields)  # type: ignore[arg-type]
    return JaegerConnector(Fetcher(httpx.Client(base_url=url, timeout=5), "jaeger",
                                   retries=0, sleep=lambda _s: None), config)


def _window() -> Window:
    now = datetime.now(UTC) + timedelta(seconds=2)
    return Window(start=now - timedelta(minutes=10), end=now,
                  changes_start=now - timedelta(hours=1), step_seconds=1)


def test_the_jaeger_connector_reads_whole_linked_traces(plane: ControlPlane,
                                                        store: TraceStore) -> None:
    tracers = _tracers(store)
    ok = _checkout_request(tracers, NOW - 5, timeout=False)
    bad = _checkout_request(tracers, NOW - 2, timeout=True)
    _flush(tracers)
    connector = _connector(plane.url, services=("frontend", "checkout", "payments"),
                           limit=50)
    fetched = connector.fetch(_window())
    assert fetched.problems == []
    body = fetched.body
    assert [t["traceID"] for t in body["data"]] == [bad, ok]  # newest first, de-duplicated
    trace = body["data"][0]
    assert {p["serviceName"] for p in trace["processes"].values()} == {
        "frontend", "checkout", "payments"}
    assert all(s["processID"] in trace["processes"] for s in trace["spans"])

    spans = parse_traces(body, "jaeger")
    assert len(spans) == 10 and {s.trace_id for s in spans} == {ok, bad}
    failed = {s.span_id: s for s in spans if s.trace_id == bad}
    by_id = {s.span_id: s for s in spans}
    root = next(s for s in failed.values() if s.parent_id is None)
    assert (root.service, root.kind, root.status_code, root.error) == (
        "frontend", "server", 502, True)
    call = next(s for s in failed.values() if s.service == "checkout" and s.kind == "client")
    assert call.peer == "payments" and call.error and call.status_code is None
    assert call.messages == ("timed out after 6 ms",)
    assert call.pod == "checkout-0" and call.version == "2.31.0"
    callee = next(s for s in failed.values() if s.service == "payments")
    assert callee.parent_id == call.span_id and not callee.error
    # every parent is in the trace: frontend -> client -> checkout -> client -> payments
    chain = [callee]
    while chain[-1].parent_id:
        chain.append(by_id[chain[-1].parent_id])
    assert [(s.service, s.kind) for s in reversed(chain)] == [
        ("frontend", "server"), ("frontend", "client"), ("checkout", "server"),
        ("checkout", "client"), ("payments", "server")]
    assert connector.probe() == "Jaeger, 3 service(s)"


def test_search_by_tags_operation_duration_time_and_limit(plane: ControlPlane,
                                                          store: TraceStore) -> None:
    tracers = _tracers(store)
    old = _checkout_request(tracers, NOW - 5400, timeout=True)
    first = _checkout_request(tracers, NOW - 30, timeout=False)
    second = _checkout_request(tracers, NOW - 20, timeout=True)
    third = _checkout_request(tracers, NOW - 10, timeout=False)
    _flush(tracers)
    api = f"{plane.url}/api/traces"
    now_us = int((NOW + 1) * 1e6)

    def ids(**params: str) -> list[str]:
        response = httpx.get(api, params={"end": str(now_us), **params}, timeout=5)
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["errors"] is None and body["total"] == len(body["data"])
        return [t["traceID"] for t in body["data"]]

    assert ids(service="payments") == [third, second, first]  # lookback 1h by default
    assert ids(service="payments", lookback="2h") == [third, second, first, old]
    assert ids(service="payments", start=str(now_us - 15_000_000)) == [third]
    assert ids(service="payments", limit="2") == [third, second]
    assert ids(service="checkout", tags=json.dumps({"error": "true"})) == [second]
    assert ids(service="checkout", tag="peer.service:payments", limit="1") == [third]
    assert ids(service="checkout", tags='{"k8s.pod.name": "checkout-0", '
               '"message": "timed out after 6 ms"}') == [second]
    assert ids(service="frontend", operation="GET checkout") == [third, second, first]
    assert ids(service="checkout", minDuration="15ms") == [third, second, first]
    assert ids(service="checkout", operation="GET payments", minDuration="10ms") == [
        third, first]
    assert ids(service="checkout", maxDuration="0.01s", operation="GET payments") == [second]
    assert ids(service="nobody") == []

    one = httpx.get(f"{api}/{second}", timeout=5).json()["data"]
    assert [t["traceID"] for t in one] == [second] and len(one[0]["spans"]) == 5
    missing = httpx.get(f"{api}/{'0' * 31}1", timeout=5)
    assert missing.status_code == 404 and missing.json()["errors"][0]["msg"] == "trace not found"
    assert [t["traceID"] for t in httpx.get(api, params={"traceID": [first, third]},
                                            timeout=5).json()["data"]] == [first, third]
    services = httpx.get(f"{plane.url}/api/services", timeout=5).json()
    assert services["data"] == ["checkout", "frontend", "payments"]
    ops = httpx.get(f"{plane.url}/api/services/checkout/operations", timeout=5).json()
    assert ops["data"] == ["GET /", "GET payments"]
    kinds = httpx.get(f"{plane.url}/api/operations",
                      params={"service": "checkout", "spanKind": "client"}, timeout=5).json()
    assert kinds["data"] == [{"name": "GET payments", "spanKind": "client"}]


@pytest.mark.parametrize(("params", "message"), [
    ({}, "parameter 'service' is required"),
    ({"service": "a", "limit": "many"}, "unable to parse param 'limit'"),
    ({"service": "a", "tags": "{error"}, "malformed 'tags' parameter"),
    ({"service": "a", "tag": "error"}, "malformed 'tag' parameter"),
    ({"service": "a", "minDuration": "5 parsecs"}, "invalid duration"),
    ({"service": "a", "start": "yesterday"}, "unable to parse param 'start'"),
    ({"service": "a", "lookback": "forever"}, "unable to parse param 'lookback'"),
])
def test_a_search_jaeger_would_refuse_is_a_400_in_its_shape(
        plane: ControlPlane, params: dict[str, str], message: str) -> None:
    response = httpx.get(f"{plane.url}/api/traces", params=params, timeout=5)
    assert response.status_code == 400
    body = response.json()
    assert body["data"] is None and body["errors"][0]["code"] == 400
    assert message in body["errors"][0]["msg"]
    with pytest.raises(TraceQueryError, match="service"):
        parse_search({"service": [""]})


def test_the_connector_names_a_refused_search(plane: ControlPlane) -> None:
    connector = _connector(plane.url, services=("checkout",), tags={"a": "b"}, limit=10)
    assert connector.fetch(_window()).body == {"data": []}  # nothing matches: no error
    refused = _connector(plane.url, services=("",), limit=10)
    with pytest.raises(SourceUnavailable, match=r"HTTP 400.*parameter 'service' is required"):
        refused.fetch(_window())


def test_files_are_read_as_they_grow_and_half_lines_wait(store: TraceStore) -> None:
    path = store.path("payments")
    line = {"trace_id": "ab" * 16, "span_id": "cd" * 8, "service": "payments",
            "operation": "GET /", "kind": "server", "start_us": int(NOW * 1e6),
            "duration_us": 1200, "error": False, "status_code": 200}
    text = json.dumps(line)
    path.write_text(text + "\n" + "not json\n" + text[:20])
    query = parse_search({"service": ["payments"], "end": [str(int(NOW * 1e6) + 1)]})
    assert len(store.search(query)) == 1
    with path.open("a") as fh:  # the rest of the half line: a second span of the trace
        fh.write(text[20:].replace("cd" * 8, "ef" * 8) + "\n")
    (trace,) = store.search(query)
    assert sorted(s["spanID"] for s in trace["spans"]) == ["cd" * 8, "ef" * 8]
    assert trace["spans"][0]["references"] == []


def test_the_oldest_traces_are_dropped_past_the_cap(tmp_path: Path) -> None:
    store = TraceStore(tmp_path, max_traces=3)
    with store.path("payments").open("w") as fh:
        for i in range(5):
            fh.write(json.dumps({"trace_id": f"{i + 1:032x}", "span_id": f"{i + 1:016x}",
                                 "service": "payments", "operation": "GET /",
                                 "start_us": int(NOW * 1e6) + i, "duration_us": 5,
                                 "error": False}) + "\n")
    found = store.search(parse_search({"service": ["payments"], "limit": ["10"],
                                       "end": [str(int(NOW * 1e6) + 10)]}))
    assert [t["traceID"] for t in found] == [f"{i:032x}" for i in (5, 4, 3)]
