"""Calls between services: blame for failing calls, wire time, peers named from text."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from oncall.analyze import analyze_incident
from oncall.analyze.calls import PeerNamer
from oncall.analyze.metrics import analyze_metrics
from oncall.analyze.traces import analyze_traces
from oncall.model import Alert, Change, Incident, MetricSeries, Snapshot, Span
from oncall.topology import Topology

NOW = datetime(2026, 3, 14, 2, 19, tzinfo=UTC)
ONSET = NOW - timedelta(minutes=8)
ONSET_US = int(ONSET.timestamp() * 1e6)


def _alert(service: str) -> Alert:
    return Alert(fingerprint=f"a-{service}", labels={"alertname": "HighErrorRate",
                                                      "service": service},
                 annotations={}, starts_at=ONSET, ends_at=NOW + timedelta(minutes=5),
                 updated_at=NOW)


def _incident(services: list[str]) -> Incident:
    return Incident(id="inc", alerts=[_alert(s) for s in services], services=services,
                    started_at=ONSET)


def _call(tid: str, caller: str, peer: str, start: int, *, fail: bool = False,
          wire_ms: int = 5, op: str = "call") -> list[Span]:
    """A server span of `caller` with one client span to an untraced `peer`."""
    msg = (f"connection refused to {peer}:5432 request_id=r{tid}",) if fail else ()
    return [
        Span(tid, "s", None, caller, "GET /x", start, (wire_ms + 3) * 1000, error=fail,
             pod=f"{caller}-1"),
        Span(tid, "c", "s", caller, op, start + 1000, wire_ms * 1000, error=fail,
             pod=f"{caller}-1", messages=msg),
    ]


def _wrapped(tid: str, caller: str, callee: str, start: int, gap_ms: int) -> list[Span]:
    """caller server span -> caller client span -> callee server span (10 ms)."""
    return [
        Span(tid, "s", None, caller, "GET /x", start, (gap_ms + 14) * 1000, pod=f"{caller}-1"),
        Span(tid, "c", "s", caller, "HTTP GET", start + 1000, (gap_ms + 10) * 1000,
             pod=f"{caller}-1"),
        Span(tid, "k", "c", callee, "GET /y", start + 1000 + gap_ms * 500, 10_000,
             pod=f"{callee}-1"),
    ]


def test_the_peer_is_named_by_the_longest_known_name_and_learned_per_operation() -> None:
    namer = PeerNamer(["search", "search-index", "api"])
    failing = Span("t", "c", "s", "api", "POST /q", 0, 10, error=True,
                   messages=("timeout calling search-index:9200",))
    quiet = Span("t2", "c", "s", "api", "POST /q", 0, 10)
    assert namer.name(failing) == "search-index"
    assert namer.name(quiet) == "search-index"
    assert namer.name(Span("t3", "c", "s", "api", "GET /other", 0, 10)) is None


def test_failing_calls_from_several_callers_are_blamed_on_the_untraced_peer() -> None:
    spans: list[Span] = []
    for i, caller in enumerate(["checkout", "orders"] * 10):
        spans += _call(f"b{i}", caller, "orders-db", ONSET_US - 600_000_000 + i * 1_000_000,
                       op="SELECT")
        spans += _call(f"a{i}", caller, "orders-db", ONSET_US + i * 1_000_000, fail=True,
                       op="SELECT")
    snap = Snapshot(name="t", now=NOW, spans=spans)
    topo = Topology([("frontend", "checkout"), ("frontend", "orders")])
    hyps = analyze_incident(_incident(["checkout", "orders"]), snap, topo)
    assert (hyps[0].service, hyps[0].kind) == ("orders-db", "dependency")
    assert any("failing calls blamed on orders-db" in line for line in hyps[0].evidence)


def test_a_caller_failing_on_a_peer_that_serves_others_is_blamed_with_its_change() -> None:
    spans: list[Span] = []
    for i in range(12):
        start = ONSET_US + i * 1_000_000
        spans += _call(f"p{i}", "promotions", "cache", start, fail=True, op="GET")
        spans += _call(f"d{i}", "dispatch", "cache", start, op="GET")
        spans += _call(f"e{i}", "eta", "cache", start, op="GET")
        spans += _call(f"b{i}", "promotions", "cache", ONSET_US - 600_000_000 + i * 1_000_000,
                       op="GET")
    change = Change("cfg-1", "config", "promotions", ONSET - timedelta(minutes=4),
                    summary="move cache client to the new endpoint")
    snap = Snapshot(name="t", now=NOW, spans=spans, changes=[change])
    topo = Topology([("gateway", "promotions"), ("gateway", "dispatch"), ("gateway", "eta"),
                     ("promotions", "cache"), ("dispatch", "cache"), ("eta", "cache")])
    hyps = analyze_incident(_incident(["promotions"]), snap, topo)
    assert (hyps[0].service, hyps[0].change, hyps[0].kind) == ("promotions", "cfg-1", "config")


def test_time_lost_on_calls_into_one_service_points_at_it_as_network() -> None:
    spans: list[Span] = []
    for i, caller in enumerate(["travel", "food", "preserve"] * 6):
        spans += _wrapped(f"b{i}", caller, "route", ONSET_US - 200_000_000 + i * 5_000_000, 3)
        spans += _wrapped(f"a{i}", caller, "route", ONSET_US + i * 5_000_000, 900)
        spans += _wrapped(f"o{i}", caller, "station", ONSET_US + i * 5_000_000, 3)
        spans += _wrapped(f"q{i}", caller, "station", ONSET_US - 200_000_000 + i * 5_000_000, 3)
    snap = Snapshot(name="t", now=NOW, spans=spans)
    topo = Topology([("gateway", c) for c in ("travel", "food", "preserve")])
    hyps = analyze_incident(_incident(["travel", "food", "preserve"]), snap, topo)
    assert (hyps[0].service, hyps[0].kind) == ("route", "network")
    assert any("calls to route" in line for line in hyps[0].evidence)


def test_failures_as_common_before_the_onset_are_background() -> None:
    spans: list[Span] = []
    for i in range(30):
        spans += _call(f"b{i}", "api", "db", ONSET_US - 900_000_000 + i * 1_000_000)
        spans[-2] = Span(f"b{i}", "s", None, "api", "GET /x", spans[-2].start_us, 8000,
                         error=i % 3 == 0)
    for i in range(30):
        spans += _call(f"a{i}", "api", "db", ONSET_US + i * 1_000_000)
        spans[-2] = Span(f"a{i}", "s", None, "api", "GET /x", spans[-2].start_us, 8000,
                         error=i % 3 == 0)
    found = analyze_traces(spans, ONSET_US)
    assert found.origins["api"] == 10
    assert found.excess(found.origins_before["api"], found.origins["api"]) < 1.0
    assert found.excess(0, found.origins["api"]) == 10


def test_a_change_stamped_after_the_first_anomalous_sample_is_not_the_cause() -> None:
    start = int((NOW - timedelta(minutes=60)).timestamp())
    samples = tuple((float(start + 60 * i), 0.3 if start + 60 * i >= ONSET.timestamp() else 0.001)
                    for i in range(61))
    metrics = [MetricSeries("error_ratio", {"service": "payments"}, samples)]
    changes = [
        Change("flag-early", "flag", "payments", ONSET - timedelta(minutes=9)),
        Change("flag-late", "flag", "payments", ONSET + timedelta(seconds=30)),
    ]
    snap = Snapshot(name="t", now=NOW, metrics=metrics, changes=changes)
    hyps = analyze_incident(_incident(["payments"]), snap, Topology([("web", "payments")]))
    assert hyps[0].change == "flag-early"
    assert all(h.change != "flag-late" for h in hyps)


def test_a_new_pod_without_history_is_judged_against_its_siblings() -> None:
    start = int((NOW - timedelta(minutes=60)).timestamp())
    onset = ONSET.timestamp()
    old = tuple((float(start + 60 * i), 0.1 + 0.002 * (i % 3)) for i in range(61))
    new = tuple((float(t), 1.2) for t, _ in old if t >= onset - 60)
    series = [
        MetricSeries("latency_p95_seconds", {"service": "recs", "pod": "recs-old"}, old),
        MetricSeries("latency_p95_seconds", {"service": "recs", "pod": "recs-new"}, new),
    ]
    found = analyze_metrics(series, onset)
    assert [a.pods for a in found["recs"]] == [["recs-new"]]


def _direct(tid: str, caller: str, callee: str, start: int, self_ms: int) -> list[Span]:
    """caller server span -> callee server span (10 ms), no client span in between."""
    return [
        Span(tid, "s", None, caller, "GET /x", start, (self_ms + 10) * 1000, pod=f"{caller}-1"),
        Span(tid, "k", "s", callee, "GET /y", start + self_ms * 500, 10_000,
             pod=f"{callee}-1"),
    ]


def test_self_time_lost_only_on_the_way_to_one_peer_points_at_that_peer() -> None:
    """Without client spans the wire to a slow-to-reach peer shows as the caller's
    self-time; when only the requests that call that peer slowed, the peer's network
    is the cause, not the caller's code."""
    spans: list[Span] = []
    for i in range(12):
        before = ONSET_US - 300_000_000 + i * 10_000_000
        after = ONSET_US + i * 10_000_000
        spans += _direct(f"tb{i}", "gateway", "transfers", before, 4)
        spans += _direct(f"ta{i}", "gateway", "transfers", after, 500)
        spans += _direct(f"ab{i}", "gateway", "accounts", before + 1_000_000, 4)
        spans += _direct(f"aa{i}", "gateway", "accounts", after + 1_000_000, 4)
    snap = Snapshot(name="t", now=NOW, spans=spans)
    topo = Topology([("gateway", "transfers"), ("gateway", "accounts")])
    hyps = analyze_incident(_incident(["gateway"]), snap, topo)
    assert (hyps[0].service, hyps[0].kind) == ("transfers", "network")
    assert any("calls to transfers" in line for line in hyps[0].evidence)
    gateway = next(h for h in hyps if h.service == "gateway")
    assert not any("self-time of gateway" in line for line in gateway.evidence)


def test_a_slow_caller_network_is_not_blamed_on_the_peer_only_it_calls() -> None:
    """A slow network on a service's pods slows its calls out as well as the calls into
    it; the peer only it calls is not the fault."""
    spans: list[Span] = []
    for i in range(12):
        before = ONSET_US - 300_000_000 + i * 10_000_000
        after = ONSET_US + i * 10_000_000
        spans += _direct(f"tb{i}", "gateway", "transfers", before, 4)
        spans += _direct(f"ta{i}", "gateway", "transfers", after, 500)
        spans += _direct(f"ab{i}", "gateway", "accounts", before + 1_000_000, 4)
        spans += _direct(f"aa{i}", "gateway", "accounts", after + 1_000_000, 4)
        spans += _direct(f"lb{i}", "transfers", "ledger", before + 2_000_000, 30)
        spans += _direct(f"la{i}", "transfers", "ledger", after + 2_000_000, 900)
        spans += _direct(f"xb{i}", "transfers", "fees", before + 3_000_000, 30)
        spans += _direct(f"xa{i}", "transfers", "fees", after + 3_000_000, 30)
    snap = Snapshot(name="t", now=NOW, spans=spans)
    topo = Topology([("gateway", "transfers"), ("gateway", "accounts"),
                     ("transfers", "ledger"), ("transfers", "fees")])
    hyps = analyze_incident(_incident(["gateway"]), snap, topo)
    assert (hyps[0].service, hyps[0].kind) == ("transfers", "network")
    assert all(h.service != "ledger" or h.kind != "network" for h in hyps)


def test_a_callers_change_about_its_peer_takes_the_calls_that_fail_on_it() -> None:
    """A config push moves the caller to a new endpoint of its only peer: the calls are
    refused before they reach the peer, whose own requests keep succeeding."""
    spans: list[Span] = []
    for i in range(12):
        before = ONSET_US - 300_000_000 + i * 10_000_000
        after = ONSET_US + i * 10_000_000
        spans += _wrapped(f"b{i}", "transfers", "payments", before, 3)
        if i % 3:
            spans += _call(f"f{i}", "transfers", "payments", after, fail=True, op="HTTP POST")
        else:
            spans += _wrapped(f"a{i}", "transfers", "payments", after, 3)
    change = Change("cfg-1", "config", "transfers", ONSET - timedelta(minutes=15),
                    summary="move the payments client to the new endpoint",
                    diff="- upstreams.payments.url: payments:8080\n"
                         "+ upstreams.payments.url: payments-v2:8080\n")
    snap = Snapshot(name="t", now=NOW, spans=spans, changes=[change],
                    metrics=[_cpu("payments", 0.3, 0.5)])
    topo = Topology([("gateway", "transfers"), ("transfers", "payments")])
    hyps = analyze_incident(_incident(["gateway"]), snap, topo)
    assert (hyps[0].service, hyps[0].change, hyps[0].kind) == ("transfers", "cfg-1", "config")
    assert any("failing calls to payments are its own" in line for line in hyps[0].evidence)


def _cpu(service: str, base: float, bad: float) -> MetricSeries:
    start = int((NOW - timedelta(minutes=60)).timestamp())
    samples = []
    for i in range(61):
        t = start + 60 * i
        wiggle = base * 0.02 * ((i * 7) % 5 - 2)
        samples.append((float(t), (bad if t >= ONSET.timestamp() else base) + wiggle))
    return MetricSeries(name="cpu_utilization", labels={"service": service},
                        samples=tuple(samples))
