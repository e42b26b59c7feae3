"""The demo service processes: metrics, config reloads, failures, traces, and their
cleanup."""

from __future__ import annotations

import json
import os
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx
import pytest

from oncall.lab.demo import parse_traceparent, traceparent
from oncall.lab.procs import LabError, Supervisor, read_port, wait_until
from oncall.lab.settings import ServiceConfig, write_config

pytest.importorskip("prometheus_client", reason="the demo services need prometheus_client "
                    "(pip install 'prometheus_client>=0.20')")


@pytest.fixture
def supervisor(tmp_path: Path) -> Iterator[Supervisor]:
    (tmp_path / "out").mkdir()
    sup = Supervisor(tmp_path / "out")
    try:
        yield sup
    finally:
        sup.stop_all()


def _start(sup: Supervisor, root: Path, name: str, config: ServiceConfig,
           upstream: str | None = None) -> str:
    write_config(root / f"{name}.json", config)
    argv = [sys.executable, "-m", "oncall.lab.demo", "--parent", str(os.getpid()), "service",
            "--name", name, "--config", str(root / f"{name}.json"),
            "--log", str(root / f"{name}.log"), "--port-file", str(root / f"{name}.port"),
            "--spans", str(root / f"{name}.jsonl")]
    if upstream:
        argv += ["--upstream", upstream]
    sup.start(name, argv)
    wait_until(lambda: read_port(root / f"{name}.port") is not None, 20, f"{name} port", sup)
    return f"http://127.0.0.1:{read_port(root / f'{name}.port')}"


def _metric(url: str, line_start: str) -> float:
    for line in httpx.get(f"{url}/metrics", timeout=5).text.splitlines():
        if line.startswith(line_start):
            return float(line.rsplit(" ", 1)[1])
    raise AssertionError(f"no {line_start} in /metrics")


def _log(root: Path, name: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in (root / f"{name}.log").read_text().splitlines()]


def _spans(root: Path, name: str, trace_id: str | None, count: int) -> list[dict[str, Any]]:
    """The spans (of one trace, or all) in a service's span file once `count` of them are
    there (the service writes its spans in batches, a fraction of a second later), in
    the order they started, a server span before the calls it makes."""
    path = root / f"{name}.jsonl"

    def read() -> list[dict[str, Any]]:
        if not path.exists():
            return []
        lines = [json.loads(line) for line in path.read_text().splitlines()]
        return [s for s in lines if trace_id is None or s["trace_id"] == trace_id]

    wait_until(lambda: len(read()) >= count, 10, f"{count} span(s) from {name}")
    return sorted(read(), key=lambda s: (s["start_us"], s["kind"] != "server"))


def _replace(path: Path, config: ServiceConfig) -> None:
    time.sleep(0.01)  # a new mtime even on coarse clocks (the inode changes anyway)
    write_config(path, config)


def test_a_service_counts_times_and_reloads_its_config(tmp_path: Path,
                                                       supervisor: Supervisor) -> None:
    fast = ServiceConfig(latency_ms=(0.0, 1.0))
    url = _start(supervisor, tmp_path, "payments", fast)
    assert httpx.get(url, timeout=5).status_code == 200
    assert _metric(url, 'lab_http_requests_total{code="200"}') == 1.0
    assert _metric(url, 'lab_http_requests_total{code="503"}') == 0.0  # exported as zero
    assert _metric(url, "lab_http_request_duration_seconds_count") == 1.0
    _replace(tmp_path / "payments.json", replace(fast, error_rate=1.0, version="6.6.6"))
    assert httpx.get(url, timeout=5).status_code == 500
    assert _metric(url, 'lab_http_requests_total{code="500"}') == 1.0
    errors = [e["msg"] for e in _log(tmp_path, "payments") if e["level"] == "error"]
    assert errors and "version 6.6.6" in str(errors[-1])
    (tmp_path / "payments.json").write_text('{"workers": "many"}')
    assert httpx.get(url, timeout=5).status_code == 500  # the last good config stays
    assert any("config rejected" in str(e["msg"]) for e in _log(tmp_path, "payments"))


def test_a_short_upstream_timeout_fails_after_the_retries(tmp_path: Path,
                                                          supervisor: Supervisor) -> None:
    payments = _start(supervisor, tmp_path, "payments", ServiceConfig(latency_ms=(30.0, 40.0)))
    checkout = _start(supervisor, tmp_path, "checkout",
                      ServiceConfig(latency_ms=(0.0, 1.0), upstream_timeout_ms=5, retries=2,
                                    retry_backoff_ms=1), upstream=f"payments={payments}")
    assert httpx.get(checkout, timeout=5).status_code == 504
    last = [e for e in _log(tmp_path, "checkout") if e["level"] == "error"][-1]
    assert last["msg"] == "call to payments failed after 3 attempt(s): timed out after 5 ms"
    server, *calls = _spans(tmp_path, "checkout", None, 4)
    assert (server["status_code"], server["error"], server["message"]) == (
        504, True, last["msg"])
    assert [(c["attempt"], c["error"], c.get("status_code"), c["message"]) for c in calls] \
        == [(n, True, None, "timed out after 5 ms") for n in (1, 2, 3)]
    assert all(c["parent_id"] == server["span_id"] for c in calls)
    _replace(tmp_path / "checkout.json", ServiceConfig(latency_ms=(0.0, 1.0)))
    assert httpx.get(checkout, timeout=5).status_code == 200


def test_a_request_is_one_trace_across_the_services(tmp_path: Path,
                                                   supervisor: Supervisor) -> None:
    payments = _start(supervisor, tmp_path, "payments", ServiceConfig(latency_ms=(0.0, 1.0)))
    checkout = _start(supervisor, tmp_path, "checkout", ServiceConfig(latency_ms=(0.0, 1.0)),
                      upstream=f"payments={payments}")
    trace_id, caller = "4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7"
    assert httpx.get(checkout, headers={"traceparent": traceparent(trace_id, caller)},
                     timeout=5).status_code == 200
    server, call = _spans(tmp_path, "checkout", trace_id, 2)
    (callee,) = _spans(tmp_path, "payments", trace_id, 1)
    assert server["parent_id"] == caller and server["kind"] == "server"
    assert (server["service"], server["operation"], server["status_code"], server["error"]) \
        == ("checkout", "GET /", 200, False)
    assert server["pod"] == "checkout-0"
    assert server["instance"] == checkout.removeprefix("http://")
    assert call["parent_id"] == server["span_id"] and call["kind"] == "client"
    assert (call["peer"], call["attempt"], call["status_code"]) == ("payments", 1, 200)
    assert callee["parent_id"] == call["span_id"] and callee["service"] == "payments"
    assert "parent_id" not in callee or callee["parent_id"] != server["span_id"]
    assert len({server["span_id"], call["span_id"], callee["span_id"]}) == 3
    assert server["start_us"] <= call["start_us"] <= callee["start_us"]
    assert server["duration_us"] >= call["duration_us"] >= callee["duration_us"]

    # without a (valid) traceparent a request starts a trace of its own
    assert httpx.get(payments, headers={"traceparent": "00-xyz-1-01"}, timeout=5) \
        .status_code == 200
    everything = _spans(tmp_path, "payments", None, 2)
    assert everything[-1]["trace_id"] != trace_id and "parent_id" not in everything[-1]


def test_traceparent_is_read_as_w3c_trace_context() -> None:
    trace_id, span_id = "4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7"
    assert traceparent(trace_id, span_id) == f"00-{trace_id}-{span_id}-01"
    assert parse_traceparent(f"00-{trace_id}-{span_id}-01") == (trace_id, span_id)
    assert parse_traceparent(f"01-{trace_id}-{span_id}-00-more") == (trace_id, span_id)
    for bad in (None, "", f"00-{trace_id}-{span_id}-01-more", f"ff-{trace_id}-{span_id}-01",
                f"00-{'0' * 32}-{span_id}-01", f"00-{trace_id}-{'0' * 16}-01",
                f"00-{trace_id.upper()}-{span_id}-01", f"00-{trace_id}-{span_id}"):
        assert parse_traceparent(bad) is None, bad


def test_a_full_worker_pool_sheds_requests(tmp_path: Path, supervisor: Supervisor) -> None:
    url = _start(supervisor, tmp_path, "payments",
                 ServiceConfig(latency_ms=(400.0, 400.0), workers=1))
    with httpx.Client(timeout=5) as client:
        slow = threading.Thread(target=lambda: client.get(url))
        slow.start()
        time.sleep(0.15)
        assert client.get(url).status_code == 503
        slow.join()
    assert any("queue full: shedding request" in str(e["msg"])
               for e in _log(tmp_path, "payments"))


def test_stop_all_leaves_no_process_and_a_dead_one_is_reported(tmp_path: Path) -> None:
    (tmp_path / "out").mkdir()
    sup = Supervisor(tmp_path / "out")
    url = _start(sup, tmp_path, "payments", ServiceConfig())
    proc = sup.procs[0]
    sleeper = sup.start("quitter", [sys.executable, "-c", "print('bye')"])
    wait_until(lambda: not sleeper.alive(), 10, "the quitter to exit")
    with pytest.raises(LabError, match="quitter exited with 0: bye"):
        sup.check()
    sup.stop_all()
    assert proc.process.returncode is not None and not sup.procs
    with pytest.raises(httpx.TransportError):
        httpx.get(url, timeout=1)
    sup.stop_all()  # idempotent


def test_a_service_whose_lab_is_gone_exits_by_itself(tmp_path: Path) -> None:
    (tmp_path / "out").mkdir()
    sup = Supervisor(tmp_path / "out")
    write_config(tmp_path / "x.json", ServiceConfig())
    orphan = sup.start("orphan", [
        sys.executable, "-m", "oncall.lab.demo", "--parent", "1", "service", "--name", "x",
        "--config", str(tmp_path / "x.json"), "--log", str(tmp_path / "x.log"),
        "--port-file", str(tmp_path / "x.port")])
    try:
        wait_until(lambda: not orphan.alive(), 10, "the orphaned service to exit")
        assert orphan.process.returncode == 0
    finally:
        sup.stop_all()
