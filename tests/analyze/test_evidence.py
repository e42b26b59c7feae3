"""Evidence rules: spiky series, error-rate jumps, other incidents, and the kind of cause."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from oncall.analyze import analyze_incident
from oncall.analyze.kinds import KindEvidence, kind_without_change
from oncall.analyze.logs import analyze_logs
from oncall.analyze.metrics import analyze_metrics
from oncall.model import Alert, Incident, LogLine, MetricSeries, Snapshot, Span
from oncall.topology import Topology

NOW = datetime(2026, 3, 14, 2, 19, tzinfo=UTC)
ONSET = NOW - timedelta(minutes=8)
ONSET_TS = ONSET.timestamp()


def _alert(service: str, name: str = "HighErrorRate") -> Alert:
    return Alert(fingerprint=f"{name}-{service}", labels={"alertname": name, "service": service},
                 annotations={}, starts_at=ONSET, ends_at=NOW + timedelta(minutes=5),
                 updated_at=NOW)


def _incident(services: list[str], iid: str = "inc") -> Incident:
    return Incident(id=iid, alerts=[_alert(s) for s in services], services=services,
                    started_at=ONSET)


def _series(service: str, name: str, values: list[float]) -> MetricSeries:
    """One sample a minute, the last `len(values)` minutes up to now."""
    start = NOW.timestamp() - 60 * (len(values) - 1)
    return MetricSeries(name=name, labels={"service": service},
                        samples=tuple((start + 60 * i, v) for i, v in enumerate(values)))


def _steady(service: str, name: str, base: float, bad: float, from_ts: float = ONSET_TS
            ) -> MetricSeries:
    start = NOW.timestamp() - 60 * 60
    samples = []
    for i in range(61):
        t = start + 60 * i
        wiggle = base * 0.02 * ((i * 7) % 5 - 2)
        samples.append((t, (bad if t >= from_ts else base) + wiggle))
    return MetricSeries(name=name, labels={"service": service}, samples=tuple(samples))


def test_a_spike_the_baseline_already_reached_is_not_an_anomaly() -> None:
    quiet = [0.01, 0.012, 0.011, 0.01, 0.009] * 10
    spiky = list(quiet)
    spiky[10] = spiky[25] = 20.0  # the series spikes now and then
    recent = [20.0, 19.0, 0.01, 0.01, 0.01, 0.01, 0.01, 0.01]
    found = analyze_metrics([_series("spiky", "latency_p95_seconds", spiky + recent),
                             _series("steady", "latency_p95_seconds", quiet + recent)],
                            ONSET_TS)
    assert "spiky" not in found
    assert found["steady"][0].peak == 20.0


def test_a_service_logging_at_its_usual_rate_explains_less_than_one_whose_rate_jumped() -> None:
    lines = []
    for i in range(10):  # ten minutes before the onset: 'chatty' logs a line a minute
        lines.append(LogLine(ONSET_TS - 720 + 60 * i, "chatty", None, "error", f"bad input {i}"))
    for i in range(6):  # since then: chatty as usual, 'worker' starts failing
        lines.append(LogLine(ONSET_TS - 110 + 60 * i, "chatty", None, "error", f"bad input {i}"))
        lines.append(LogLine(ONSET_TS - 100 + 60 * i, "worker", None, "error", f"boom {i}"))
    found = analyze_logs(lines, ONSET_TS)
    assert found.errors_recent["chatty"] == found.errors_recent["worker"] == 6
    assert found.excess("chatty") < 1.0
    assert found.excess("worker") == 6.0
    # without a minute of lines before the onset, there is no rate to subtract
    short = analyze_logs([ln for ln in lines if ln.timestamp >= ONSET_TS - 150], ONSET_TS)
    assert short.excess("chatty") == 6.0

    snap = Snapshot(name="t", now=NOW, logs=lines)
    hyps = analyze_incident(_incident(["web"]), snap, Topology([("web", "chatty"),
                                                               ("web", "worker")]))
    order = [h.service for h in hyps]
    assert order.index("worker") < order.index("chatty")
    chatty = next(h for h in hyps if h.service == "chatty")
    assert any("mostly its usual rate" in line for line in chatty.evidence)


def test_a_culprit_whose_alerts_form_another_incident_yields_to_this_ones() -> None:
    metrics = [_steady("search", "error_ratio", 0.001, 0.4),
               _steady("profile", "error_ratio", 0.001, 0.15),
               _steady("api", "error_ratio", 0.001, 0.05)]
    logs = [LogLine(ONSET_TS + 5 * i, "search", None, "error", f"pool rejected task {i}")
            for i in range(30)]
    logs += [LogLine(ONSET_TS + 7 * i, "profile", None, "error", f"KeyError 'x' {i}")
             for i in range(3)]
    snap = Snapshot(name="t", now=NOW, metrics=metrics, logs=logs)
    topo = Topology([("api", "search"), ("api", "profile")])
    mine = Incident(id="inc-b", alerts=[_alert("profile"), _alert("api")],
                    services=["profile", "api"], started_at=ONSET)
    other = _incident(["search"], iid="inc-a")
    alone = analyze_incident(mine, snap, topo)
    assert alone[0].service == "search"  # the stronger anomaly, when nothing else is known
    beside = analyze_incident(mine, snap, topo, [other])
    assert beside[0].service == "profile"
    search = next(h for h in beside if h.service == "search")
    assert any("belong to incident inc-a" in line for line in search.evidence)


def test_a_cpu_rise_with_headroom_left_is_slow_code_not_capacity() -> None:
    slow_code = KindEvidence(latency=0.9, saturation=0.9, saturation_peak=0.7)
    assert kind_without_change(slow_code) == "code"
    pinned = KindEvidence(latency=0.9, saturation=0.9, saturation_peak=0.97)
    assert kind_without_change(pinned) == "capacity"
    surge = KindEvidence(latency=0.9, saturation=0.9, saturation_peak=0.7, load=1.0)
    assert kind_without_change(surge) == "capacity"


def test_an_instrumented_database_without_a_catalog_is_a_dependency() -> None:
    onset_us = int(ONSET_TS * 1e6)
    spans = []
    for i in range(12):
        tid = f"t{i}"
        start = onset_us + i * 1_000_000
        msg = ("FATAL: sorry, too many clients already (accounts-db:5432)",)
        spans += [
            Span(tid, "s", None, "auth", "POST /login", start, 50_000, error=True, pod="auth-1"),
            Span(tid, "c", "s", "auth", "SELECT accounts", start + 1000, 40_000, error=True,
                 pod="auth-1", messages=msg, kind="client", peer="accounts-db"),
            Span(f"{tid}", "d", "s", "accounts-db", "SELECT accounts", start + 2000, 30_000,
                 pod="accounts-db-0"),
        ]
    metrics = [_steady("accounts-db", "saturation", 0.3, 0.95)]
    snap = Snapshot(name="t", now=NOW, spans=spans, metrics=metrics)
    hyps = analyze_incident(_incident(["auth"]), snap, Topology([]))
    db = next(h for h in hyps if h.service == "accounts-db")
    assert db.kind == "dependency"
    # the same spans under an HTTP operation name are a service, not a datastore
    http = [Span(s.trace_id, s.span_id, s.parent_id, s.service,
                 "GET /accounts" if s.service == "accounts-db" else s.operation,
                 s.start_us, s.duration_us, s.error, s.pod, messages=s.messages,
                 kind=s.kind, peer=s.peer) for s in spans]
    hyps = analyze_incident(_incident(["auth"]), Snapshot(name="t", now=NOW, spans=http,
                                                          metrics=metrics), Topology([]))
    assert next(h for h in hyps if h.service == "accounts-db").kind != "dependency"


def test_callers_saying_the_connection_to_it_resets_read_as_network() -> None:
    lines = []
    for i in range(8):
        for caller in ("gateway", "browse"):
            lines.append(LogLine(ONSET_TS + 10 * i, caller, None, "error",
                                 f"read tcp 10.0.0.{i}:443: connection reset by peer (auth) r{i}"))
    metrics = [_steady("auth", "error_ratio", 0.001, 0.2)]
    topo = Topology([("gateway", "auth"), ("browse", "auth")])
    hyps = analyze_incident(_incident(["gateway", "browse"]),
                            Snapshot(name="t", now=NOW, logs=lines, metrics=metrics), topo)
    assert (hyps[0].service, hyps[0].kind) == ("auth", "network")
    assert any("callers name auth" in line for line in hyps[0].evidence)
