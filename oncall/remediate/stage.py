"""The plan stage for one incident: moves, recovery targets, namespaces, decisions.

`pipeline.py` calls `plan_incident` once per incident; everything the planner needs from
the snapshot is gathered here, so the pipeline stays orchestration only.
"""

from __future__ import annotations

from collections import Counter

from oncall.model import Catalog, Incident, Policy, Snapshot
from oncall.remediate.planner import MAX_CAUSES, order_causes, plan_remediations
from oncall.remediate.policy import decide
from oncall.remediate.verify import recovery_targets

NAMESPACE_ANNOTATION = "backstage.io/kubernetes-namespace"


def plan_incident(incident: Incident, snap: Snapshot, policy: Policy) -> None:
    """Fills `incident.remediations`, each with its policy decision and reason."""
    causes = order_causes(incident.hypotheses)[:MAX_CAUSES]
    services = list(dict.fromkeys(h.service for h in causes))
    verify = recovery_targets(services, snap.metrics, snap.catalog, incident.started_at)
    revisions = {c.id: c.previous_revision for c in snap.changes or () if c.previous_revision}
    namespaces = namespaces_for(services, incident, snap)
    incident.remediations = plan_remediations(causes, verify, revisions=revisions,
                                              namespaces=namespaces)
    for remediation in incident.remediations:
        verdict = decide(remediation.action, policy, snap.now)
        remediation.decision, remediation.reason = verdict.decision, verdict.reason


def namespaces_for(services: list[str], incident: Incident, snap: Snapshot) -> dict[str, str]:
    """The Kubernetes namespace of each service, best source first.

    The catalog's `backstage.io/kubernetes-namespace` annotation is the team's own
    statement; then the `namespace` label on this incident's alerts for that service;
    then the namespace most of the incident's alerts carry (a culprit that pages only
    through its callers usually lives beside them); then any alert's namespace. Alerts
    outside the incident are the last resort because unrelated noise (a monitoring
    stack, a node exporter) often lives in a namespace of its own. Values are not
    trusted here: the planner validates them before they reach a command.
    """
    own: dict[str, Counter[str]] = {}
    overall: Counter[str] = Counter()
    for alert in incident.alerts:
        ns = alert.labels.get("namespace")
        if not ns:
            continue
        overall[ns] += 1
        if alert.service:
            own.setdefault(alert.service, Counter())[ns] += 1
    fallback = _most_common(overall) or next(
        (a.labels["namespace"] for a in snap.alerts if a.labels.get("namespace")), "")
    out: dict[str, str] = {}
    for service in services:
        ns = (_annotated(snap.catalog, service) or _most_common(own.get(service, Counter()))
              or fallback)
        if ns:
            out[service] = ns
    return out


def _annotated(catalog: Catalog | None, service: str) -> str:
    entity = catalog.get(service) if catalog else None
    return entity.annotations.get(NAMESPACE_ANNOTATION, "") if entity else ""


def _most_common(counts: Counter[str]) -> str:
    """The most frequent value; ties go to the alphabetically first (deterministic)."""
    if not counts:
        return ""
    return min(counts.items(), key=lambda kv: (-kv[1], kv[0]))[0]
