"""Enrichment: owner, escalation, blast radius, business impact, title and narrative."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from oncall.enrich import enrich
from oncall.model import Alert, Catalog, CatalogEntity, Hypothesis, Incident, MetricSeries
from oncall.topology import Topology

NOW = datetime(2026, 3, 14, 2, 20, tzinfo=UTC)
START = NOW - timedelta(minutes=10)


def _alert(name: str, service: str | None, fingerprint: str) -> Alert:
    labels = {"alertname": name, **({"service": service} if service else {})}
    return Alert(fingerprint=fingerprint, labels=labels, annotations={}, starts_at=START,
                 ends_at=None, updated_at=None)


def _incident(services: list[str | None], culprit: str | None = None) -> Incident:
    alerts = [_alert("HighErrorRate", s, f"f{i}") for i, s in enumerate(services)]
    incident = Incident(id="inc-1", alerts=alerts,
                        services=[s for s in dict.fromkeys(services) if s],
                        started_at=START)
    if culprit:
        incident.hypotheses = [Hypothesis(service=culprit, kind="deploy", score=0.8,
                                          change="dep-1", evidence=["deployed 2 min before"])]
    return incident


def _component(name: str, deps: tuple[str, ...] = (),
               annotations: dict[str, str] | None = None) -> CatalogEntity:
    return CatalogEntity(kind="Component", name=name, owner=f"group:{name}-team",
                         depends_on=tuple(f"component:{d}" for d in deps),
                         annotations={f"oncall/{k}": v for k, v in (annotations or {}).items()})


CATALOG = Catalog(entities=(
    _component("web", ("checkout",), {"tier": "1", "users-per-minute": "5000",
                                      "revenue-per-minute": "300"}),
    _component("checkout", ("payments",), {"tier": "2", "slo-error-ratio": "0.01"}),
    CatalogEntity(kind="Resource", name="payments"),
    CatalogEntity(kind="Group", name="checkout-team",
                  annotations={"oncall/escalation": "pagerduty:checkout"}),
    CatalogEntity(kind="Group", name="web-team", email="web@example.com"),
))
TOPOLOGY = Topology(CATALOG.edges())


def test_owner_and_escalation_come_from_the_culprits_team() -> None:
    incident = _incident(["web", "checkout"], culprit="checkout")
    enrich(incident, CATALOG, TOPOLOGY, None, NOW)
    assert incident.owner == "group:checkout-team"
    assert incident.escalation == "pagerduty:checkout"
    assert "Owner: group:checkout-team, escalation pagerduty:checkout." in incident.narrative


def test_escalation_falls_back_to_the_group_email() -> None:
    incident = _incident(["web"])
    enrich(incident, CATALOG, TOPOLOGY, None, NOW)
    assert (incident.owner, incident.escalation) == ("group:web-team", "web@example.com")


def test_impact_multiplies_per_minute_figures_by_the_minutes_so_far() -> None:
    incident = _incident(["web", "checkout"], culprit="checkout")
    error_ratio = MetricSeries("error_ratio", {"service": "checkout"}, ((0.0, 0.05),))
    enrich(incident, CATALOG, TOPOLOGY, [error_ratio], NOW)
    impact = incident.impact
    assert impact is not None
    assert impact.tier == 1
    assert impact.minutes == 10.0
    assert impact.users_affected == 50_000
    assert impact.revenue_at_risk == 3_000
    assert impact.slo_burn == {"checkout:error_ratio": 5.0}
    assert impact.blast_radius == ["checkout", "web"]
    assert "~5,000 users/min, ~50,000 users so far" in impact.summary
    assert "checkout error_ratio at 5.0x its SLO" in impact.summary


def test_a_backend_culprit_reports_its_dependents_as_an_upper_bound() -> None:
    """Only the payments resource alerts; it carries no figures, its dependents do."""
    incident = _incident(["payments"], culprit="payments")
    enrich(incident, CATALOG, TOPOLOGY, None, NOW)
    impact = incident.impact
    assert impact is not None
    assert impact.blast_radius == ["payments", "checkout", "web"]
    assert impact.tier is None
    assert "tier unknown; tier 1 dependents in the blast radius" in impact.summary
    assert "up to 5,000 users/min" in impact.summary


def test_no_catalog_unknown_services_and_missing_labels_are_fine() -> None:
    incident = _incident([None, None])
    enrich(incident, None, Topology(), None, NOW)
    assert incident.owner is None
    assert incident.impact is not None and incident.impact.tier is None
    assert incident.impact.summary == (
        "tier unknown; 10 min since first alert; blast radius 0 service(s)")
    assert incident.title == "HighErrorRate on services without a service label"
    assert "Owner: unknown" in incident.narrative


def test_dependency_cycles_do_not_loop() -> None:
    catalog = Catalog(entities=(_component("a", ("b",)), _component("b", ("a",))))
    incident = _incident(["a"])
    enrich(incident, catalog, Topology(catalog.edges()), None, NOW)
    assert incident.impact is not None
    assert sorted(incident.impact.blast_radius) == ["a", "b"]


def test_ten_thousand_alerts_and_a_long_dependency_chain() -> None:
    """10,000 alerts on the deepest of 2,000 chained services: every service above it
    is in the blast radius (timing is measured in benchmarks/, not here)."""
    names = [f"svc-{i}" for i in range(2_000)]
    catalog = Catalog(entities=tuple(
        _component(n, (names[i + 1],) if i + 1 < len(names) else ()) for i, n in
        enumerate(names)))
    incident = _incident([names[-1]] * 10_000)
    enrich(incident, catalog, Topology(catalog.edges()), None, NOW)
    assert incident.impact is not None and len(incident.impact.blast_radius) == 2_000
    assert incident.title == f"HighErrorRate on {names[-1]}"
