"""The plan stage: namespaces per service, decisions with reasons on every move."""

from __future__ import annotations

from datetime import UTC, datetime

from oncall.model import Alert, Catalog, CatalogEntity, Hypothesis, Incident, Policy, Snapshot
from oncall.remediate import plan_incident
from oncall.remediate.stage import namespaces_for

NOW = datetime(2026, 3, 14, 2, 19, tzinfo=UTC)


def _alert(fp: str, service: str, namespace: str) -> Alert:
    return Alert(fingerprint=fp, labels={"alertname": "X", "service": service,
                                         "namespace": namespace},
                 annotations={}, starts_at=NOW, ends_at=None, updated_at=None)


def _snapshot(alerts: list[Alert], catalog: Catalog | None = None) -> Snapshot:
    return Snapshot(name="s", now=NOW, alerts=alerts, catalog=catalog)


def test_namespace_prefers_catalog_then_own_alerts_then_incident_majority() -> None:
    noise = _alert("n", "node-exporter", "monitoring")
    incident = Incident(id="i", alerts=[_alert("a", "api", "shop"), _alert("b", "web", "shop"),
                                        _alert("c", "pay", "payments")],
                        services=["api"], started_at=NOW)
    catalog = Catalog((CatalogEntity("Component", "web", {
        "backstage.io/kubernetes-namespace": "frontend"}),))
    snap = _snapshot([noise, *incident.alerts], catalog)
    got = namespaces_for(["api", "web", "pay", "db"], incident, snap)
    assert got == {"api": "shop", "web": "frontend", "pay": "payments", "db": "shop"}


def test_plan_incident_decides_every_move_with_a_reason() -> None:
    incident = Incident(id="i", alerts=[_alert("a", "api", "shop")], services=["api"],
                        started_at=NOW,
                        hypotheses=[Hypothesis(service="api", kind="deploy", score=0.9,
                                               change="dep-1")])
    plan_incident(incident, _snapshot(incident.alerts),
                  Policy(autonomy="execute", actions={"rollback": "auto"}))
    first = incident.remediations[0]
    assert (first.action, first.decision) == ("rollback", "auto")
    assert first.command == "kubectl rollout undo deployment/api -n shop"
    assert all(r.reason for r in incident.remediations)
