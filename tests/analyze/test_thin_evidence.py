"""Evidence resting on a few samples, and culprits outside the alerting services' reach."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from oncall.analyze import analyze_incident
from oncall.analyze.traces import TraceFindings, analyze_traces, carried, wire_shift
from oncall.model import Alert, Incident, LogLine, Snapshot, Span
from oncall.topology import Topology

NOW = datetime(2026, 3, 14, 2, 19, tzinfo=UTC)
ONSET = NOW - timedelta(minutes=8)
ONSET_US = int(ONSET.timestamp() * 1e6)


def _incident(services: list[str]) -> Incident:
    alerts = [Alert(fingerprint=f"a-{s}", labels={"alertname": "HighErrorLogRate", "service": s},
                    annotations={}, starts_at=ONSET, ends_at=NOW + timedelta(minutes=5),
                    updated_at=NOW) for s in services]
    return Incident(id="inc", alerts=alerts, services=services, started_at=ONSET)


def _wrapped(tid: str, caller: str, callee: str, start: int, gap_ms: int) -> list[Span]:
    """caller server span -> caller client span -> callee server span (10 ms)."""
    return [
        Span(tid, "s", None, caller, "GET /x", start, (gap_ms + 14) * 1000, pod=f"{caller}-1"),
        Span(tid, "c", "s", caller, "HTTP GET", start + 1000, (gap_ms + 10) * 1000,
             pod=f"{caller}-1"),
        Span(tid, "k", "c", callee, "GET /y", start + 1000 + gap_ms * 500, 10_000,
             pod=f"{callee}-1"),
    ]


def test_carried_counts_the_recent_samples_nearer_the_new_level() -> None:
    assert carried([2_000, 3_000, 230_000, 232_000, 2_500], 4.0, 173.0) == 2
    assert carried([1_990_000, 2_000_000, 1_005_000], 23.0, 1992.0) == 2
    assert carried([], 4.0, 173.0) == 0


def test_wire_shift_reports_how_many_calls_carry_the_rise() -> None:
    before = [(ONSET_US - 200_000_000 + i * 5_000_000, 3_000) for i in range(20)]
    two_slow = [(ONSET_US + i * 5_000_000, 230_000 if i in (1, 2) else 3_000) for i in range(6)]
    all_slow = [(ONSET_US + i * 5_000_000, 230_000) for i in range(6)]
    few = wire_shift(before + two_slow, ONSET_US)
    many = wire_shift(before + all_slow, ONSET_US)
    assert few is not None and many is not None
    assert few[1] > 20 and few[3] == 2
    assert many[3] == 6


def test_a_wire_rise_on_two_calls_loses_to_a_service_logging_a_burst_of_errors() -> None:
    """Two slow calls move an upper quartile as far as a fault does; they count less."""
    spans: list[Span] = []
    for i in range(20):
        spans += _wrapped(f"b{i}", "basic", "train", ONSET_US - 200_000_000 + i * 5_000_000, 3)
    for i in range(6):
        spans += _wrapped(f"a{i}", "basic", "train", ONSET_US + i * 5_000_000,
                          450 if i in (1, 2) else 3)
    logs = [LogLine(timestamp=ONSET.timestamp() + i, line=f"ERROR no contact {i}",
                    service="contacts", pod=None, level="error") for i in range(12)]
    snap = Snapshot(name="t", now=NOW, spans=spans, logs=logs)
    topo = Topology([("preserve", "contacts"), ("preserve", "basic"), ("basic", "train")])
    hyps = analyze_incident(_incident(["preserve", "contacts"]), snap, topo)
    assert hyps[0].service == "contacts"
    train = next(h for h in hyps if h.service == "train")
    assert any("2 slow call(s) since" in line for line in train.evidence)


def test_the_same_rise_carried_by_every_call_still_points_at_the_network() -> None:
    spans: list[Span] = []
    for i in range(20):
        spans += _wrapped(f"b{i}", "basic", "train", ONSET_US - 200_000_000 + i * 5_000_000, 3)
    for i in range(6):
        spans += _wrapped(f"a{i}", "basic", "train", ONSET_US + i * 5_000_000, 450)
    logs = [LogLine(timestamp=ONSET.timestamp() + i, line=f"ERROR no contact {i}",
                    service="contacts", pod=None, level="error") for i in range(12)]
    snap = Snapshot(name="t", now=NOW, spans=spans, logs=logs)
    topo = Topology([("preserve", "contacts"), ("preserve", "basic"), ("basic", "train")])
    hyps = analyze_incident(_incident(["preserve", "contacts"]), snap, topo)
    assert (hyps[0].service, hyps[0].kind) == ("train", "network")


def test_a_single_trace_before_the_onset_is_no_failure_rate() -> None:
    found = TraceFindings(traces=63, traces_before=1)
    assert found.excess(1, 3) == 3.0
    assert TraceFindings(traces=63, traces_before=5).excess(2, 3) == 3.0
    steady = TraceFindings(traces=60, traces_before=30)
    assert steady.excess(10, 10) < 1.0


def _request(tid: str, entry: str, leaf: str, start: int, *, fail: bool) -> list[Span]:
    return [
        Span(tid, "r", None, "gateway", "GET /", start, 50_000, error=fail),
        Span(tid, "e", "r", entry, "GET /e", start + 1_000, 40_000, error=fail),
        Span(tid, "l", "e", leaf, "GET /l", start + 2_000, 10_000, error=fail,
             messages=("code check failed",) if fail else ()),
    ]


def _outsider_snapshot(extra: list[Span]) -> Snapshot:
    spans: list[Span] = []
    for i in range(8):  # the paged path: checkout -> stock fails now and then
        spans += _request(f"c{i}", "checkout", "stock", ONSET_US + i * 3_000_000, fail=i < 2)
    return Snapshot(name="t", now=NOW, spans=spans + extra)


def test_a_service_failing_every_request_it_serves_is_a_suspect_outside_the_alerts() -> None:
    extra: list[Span] = []
    for i in range(4):  # login -> verify, unrelated to the paged checkout path
        extra += _request(f"v{i}", "login", "verify", ONSET_US + i * 4_000_000, fail=True)
    topo = Topology([("gateway", "checkout"), ("checkout", "stock"),
                     ("gateway", "login"), ("login", "verify")])
    hyps = analyze_incident(_incident(["checkout"]), _outsider_snapshot(extra), topo)
    services = [h.service for h in hyps]
    assert "verify" in services
    outsider = next(h for h in hyps if h.service == "verify")
    assert any("not linked to the alerting services" in line for line in outsider.evidence)
    assert "login" not in services  # its failures originate below it


def test_an_outsider_weighs_less_than_the_same_evidence_below_the_alerts() -> None:
    extra: list[Span] = []
    for i in range(4):
        extra += _request(f"v{i}", "login", "verify", ONSET_US + i * 4_000_000, fail=True)
    unlinked = Topology([("gateway", "checkout"), ("checkout", "stock"),
                         ("gateway", "login"), ("login", "verify")])
    linked = Topology([("gateway", "checkout"), ("checkout", "stock"),
                       ("checkout", "login"), ("login", "verify")])
    snap = _outsider_snapshot(extra)
    away = next(h for h in analyze_incident(_incident(["checkout"]), snap, unlinked)
                if h.service == "verify")
    below = next(h for h in analyze_incident(_incident(["checkout"]), snap, linked)
                 if h.service == "verify")
    assert away.score < below.score


def test_a_client_of_the_alerting_service_is_its_victim_not_an_outsider() -> None:
    extra: list[Span] = []
    for i in range(4):  # batch calls checkout and fails every time, in its own code
        start = ONSET_US + i * 4_000_000
        extra += [
            Span(f"x{i}", "r", None, "batch", "run", start, 50_000, error=True,
                 messages=("batch aborted",)),
            Span(f"x{i}", "e", "r", "checkout", "GET /e", start + 1_000, 10_000),
        ]
    topo = Topology([("gateway", "checkout"), ("checkout", "stock"), ("batch", "checkout")])
    found = analyze_traces(_outsider_snapshot(extra).spans or [], ONSET_US)
    assert found.origins["batch"] == 4
    hyps = analyze_incident(_incident(["checkout"]), _outsider_snapshot(extra), topo)
    assert "batch" not in [h.service for h in hyps]
