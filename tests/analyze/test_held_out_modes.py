"""Failure modes found on scenarios the rules were not tuned on, each built by hand."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from oncall.analyze import analyze_incident
from oncall.analyze.blame import CallBlame
from oncall.analyze.kinds import KindEvidence, kind_without_change
from oncall.analyze.rank import Evidence, _only_its_calls
from oncall.model import Alert, Catalog, CatalogEntity, Incident, MetricSeries, Snapshot, Span
from oncall.topology import Topology

NOW = datetime(2026, 3, 14, 2, 19, tzinfo=UTC)
ONSET = NOW - timedelta(minutes=8)
ONSET_US = int(ONSET.timestamp() * 1e6)


def _alert(service: str, name: str = "HighErrorRate") -> Alert:
    return Alert(fingerprint=f"{name}-{service}", labels={"alertname": name, "service": service},
                 annotations={}, starts_at=ONSET, ends_at=NOW + timedelta(minutes=5),
                 updated_at=NOW)


def _series(service: str, name: str, base: float, bad: float) -> MetricSeries:
    start = int((NOW - timedelta(minutes=60)).timestamp())
    samples = []
    for i in range(61):
        t = start + 60 * i
        wiggle = base * 0.02 * ((i * 7) % 5 - 2)
        samples.append((float(t), (bad if t >= ONSET.timestamp() else base) + wiggle))
    return MetricSeries(name=name, labels={"service": service}, samples=tuple(samples))


def test_failures_only_at_calls_with_resets_and_flat_cpu_are_the_network() -> None:
    on_the_wire = KindEvidence(origin=0.5, spans=0.0, as_peer=0.3, latency=0.8,
                               hints={"network"})
    assert kind_without_change(on_the_wire) == "network"
    # The same, but its own spans fail too: a code fault that also saw a reset.
    own_code = KindEvidence(origin=0.5, spans=0.4, as_peer=0.3, latency=0.8,
                            hints={"network"})
    assert kind_without_change(own_code) == "code"


def test_a_resource_at_its_limit_under_more_load_is_capacity_even_if_the_rise_is_shared() -> None:
    # The saturation strength is low because many services' CPU rose with the load.
    hot = KindEvidence(saturation=0.2, saturation_peak=0.9, load=1.0, logs=1.0)
    assert kind_without_change(hot) == "capacity"
    # The same load on a service with headroom left is not its capacity.
    cool = KindEvidence(origin=1.0, spans=1.0, saturation=0.2, saturation_peak=0.5, load=1.0)
    assert kind_without_change(cool) == "code"


def _failing_trace(i: int, start_us: int) -> list[Span]:
    tid = f"t{i:04d}"
    return [
        Span(tid, "a", None, "frontend", "GET /", start_us, 900_000, error=True),
        Span(tid, "b", "a", "checkout", "POST /checkout", start_us + 1000, 850_000, error=True),
        Span(tid, "c", "b", "payments", "POST /charge", start_us + 2000, 800_000, error=True,
             messages=("unknown card, returning 404",)),
    ]


def _payments_score(failing: int) -> float:
    spans = [s for i in range(failing) for s in _failing_trace(i, ONSET_US + i * 1_000_000)]
    snap = Snapshot(name="t", now=NOW, spans=spans)
    topo = Topology([("frontend", "checkout"), ("checkout", "payments")])
    incident = Incident(id="inc", alerts=[_alert("frontend")], services=["frontend"],
                        started_at=ONSET)
    hyps = analyze_incident(incident, snap, topo)
    return next(h.score for h in hyps if h.service == "payments")


def test_one_failing_trace_is_weaker_evidence_than_several() -> None:
    assert _payments_score(1) < 0.6 * _payments_score(5)


def test_a_datastore_whose_own_alert_says_down_outranks_its_failing_caller() -> None:
    catalog = Catalog(entities=(
        CatalogEntity(kind="Component", name="pricing", depends_on=("resource:catalog-db",)),
        CatalogEntity(kind="Resource", name="catalog-db"),
    ))
    snap = Snapshot(name="t", now=NOW, catalog=catalog,
                    metrics=[_series("pricing", "error_ratio", 0.001, 1.0)])
    topo = Topology([("pricing", "catalog-db")])
    alerts = [_alert("pricing"), _alert("catalog-db", "PostgresDown")]
    incident = Incident(id="inc", alerts=alerts, services=["pricing", "catalog-db"],
                        started_at=ONSET)
    hyps = analyze_incident(incident, snap, topo)
    assert (hyps[0].service, hyps[0].kind) == ("catalog-db", "dependency")
    assert any("says it is down" in line for line in hyps[0].evidence)


def test_peers_failing_only_on_one_callers_calls_do_not_make_it_a_victim() -> None:
    blame = CallBlame()
    blame.failing_edges["store"] = [("svc", "store", 4.0)]
    blame.failing_edges["ledger"] = [("svc", "ledger", 2.0)]
    named_only = Evidence(service="store", mention=0.8, origin=0.2, as_peer=0.2)
    assert _only_its_calls(named_only, "svc", blame)
    # A peer whose own series moved is anomalous on its own account.
    slow = Evidence(service="store", mention=0.8, origin=0.2, as_peer=0.2, metric=0.6)
    assert not _only_its_calls(slow, "svc", blame)
    # With a single peer failing, the peer is as likely the cause as the caller.
    lone = CallBlame()
    lone.failing_edges["store"] = [("svc", "store", 4.0)]
    assert not _only_its_calls(named_only, "svc", lone)
    # Another caller's calls failing on it too point at the peer.
    shared = CallBlame()
    shared.failing_edges["store"] = [("svc", "store", 4.0), ("web", "store", 3.0)]
    shared.failing_edges["ledger"] = [("svc", "ledger", 2.0)]
    assert not _only_its_calls(named_only, "svc", shared)
