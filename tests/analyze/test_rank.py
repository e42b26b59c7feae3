"""Ranking on small, hand-built snapshots whose right answer is known by construction."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from oncall.analyze import analyze_incident
from oncall.model import Alert, Change, Incident, MetricSeries, Snapshot, Span
from oncall.topology import Topology

NOW = datetime(2026, 3, 14, 2, 19, tzinfo=UTC)
ONSET = NOW - timedelta(minutes=8)
EDGES = [("frontend", "checkout"), ("checkout", "payments"), ("checkout", "inventory")]


def _alert(service: str, name: str = "HighLatency") -> Alert:
    return Alert(fingerprint=f"{name}-{service}", labels={"alertname": name, "service": service},
                 annotations={}, starts_at=ONSET, ends_at=NOW + timedelta(minutes=5),
                 updated_at=NOW)


def _series(service: str, name: str, base: float, bad: float, pod: str | None = None
            ) -> MetricSeries:
    start = int((NOW - timedelta(minutes=60)).timestamp())
    samples = []
    for i in range(61):
        t = start + 60 * i
        wiggle = base * 0.02 * ((i * 7) % 5 - 2)
        samples.append((float(t), (bad if t >= ONSET.timestamp() else base) + wiggle))
    labels = {"service": service, **({"pod": pod} if pod else {})}
    return MetricSeries(name=name, labels=labels, samples=tuple(samples))


def _failing_trace(i: int, start_us: int) -> list[Span]:
    tid = f"t{i:04d}"
    return [
        Span(tid, "a", None, "frontend", "GET /", start_us, 900_000, error=True),
        Span(tid, "b", "a", "checkout", "POST /checkout", start_us + 1000, 850_000, error=True),
        Span(tid, "c", "b", "payments", "POST /charge", start_us + 2000, 800_000, error=True,
             pod="payments-1", messages=("upstream connect error",)),
        Span(tid, "d", "b", "inventory", "GET /stock", start_us + 3000, 10_000),
    ]


def _incident(services: list[str]) -> Incident:
    return Incident(id="inc", alerts=[_alert(s) for s in services], services=services,
                    started_at=ONSET)


def test_the_deepest_failing_service_ranks_first_with_evidence() -> None:
    onset_us = int(ONSET.timestamp() * 1e6)
    spans = [s for i in range(20) for s in _failing_trace(i, onset_us + i * 1_000_000)]
    snap = Snapshot(name="t", now=NOW, spans=spans,
                    metrics=[_series("payments", "error_ratio", 0.001, 0.3),
                             _series("checkout", "error_ratio", 0.001, 0.25),
                             _series("frontend", "error_ratio", 0.001, 0.2)])
    hyps = analyze_incident(_incident(["frontend", "checkout"]), snap, Topology(EDGES))
    assert hyps[0].service == "payments"
    assert hyps[0].kind == "code"
    assert any("originate in payments" in line for line in hyps[0].evidence)


def test_a_deploy_on_the_culprit_before_onset_wins_and_a_later_one_does_not() -> None:
    snap = Snapshot(
        name="t", now=NOW,
        metrics=[_series("payments", "error_ratio", 0.001, 0.3),
                 _series("checkout", "error_ratio", 0.001, 0.05)],
        changes=[
            Change("dep-1", "deploy", "payments", ONSET - timedelta(minutes=4)),
            Change("dep-late", "deploy", "checkout", ONSET + timedelta(minutes=3)),
            Change("cfg-old", "config", "inventory", ONSET - timedelta(hours=5)),
        ],
    )
    hyps = analyze_incident(_incident(["checkout"]), snap, Topology(EDGES))
    assert (hyps[0].service, hyps[0].change, hyps[0].kind) == ("payments", "dep-1", "deploy")
    assert all(h.change != "dep-late" for h in hyps)


def test_a_recent_change_on_a_healthy_service_loses_to_a_no_change_cause() -> None:
    snap = Snapshot(
        name="t", now=NOW,
        metrics=[_series("payments", "cpu_utilization", 0.3, 0.97, pod="payments-1"),
                 _series("payments", "latency_p95_seconds", 0.1, 1.5, pod="payments-1"),
                 _series("inventory", "latency_p95_seconds", 0.05, 0.05)],
        changes=[Change("dep-2", "deploy", "inventory", ONSET - timedelta(minutes=2))],
    )
    hyps = analyze_incident(_incident(["checkout"]), snap, Topology(EDGES))
    assert (hyps[0].service, hyps[0].change, hyps[0].kind) == ("payments", None, "capacity")


def test_ranking_is_deterministic() -> None:
    snap = Snapshot(name="t", now=NOW,
                    metrics=[_series(s, "latency_p95_seconds", 0.1, 0.9) for s in
                             ("payments", "inventory", "checkout")])
    runs = [analyze_incident(_incident(["checkout"]), snap, Topology(EDGES)) for _ in range(3)]
    assert [[(h.service, h.score) for h in r] for r in runs] == \
        [[(h.service, h.score) for h in runs[0]]] * 3
