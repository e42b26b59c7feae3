"""Incident enrichment: owner, escalation, blast radius, business impact, title, story.

All from the catalog and the analysis, by template: a responder gets who to call and
what it costs without an LLM.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from oncall.model import Catalog, Impact, Incident, MetricSeries
from oncall.topology import Topology

KIND_LABEL = {
    "deploy": "bad deploy",
    "config": "config change",
    "flag": "feature flag",
    "infra": "infrastructure change",
    "cert": "certificate problem",
    "capacity": "capacity saturation",
    "dependency": "failing dependency",
    "code": "code fault",
    "network": "network degradation",
}


def enrich(
    incident: Incident,
    catalog: Catalog | None,
    topology: Topology,
    metrics: list[MetricSeries] | None,
    now: datetime,
) -> None:
    culprit = incident.hypotheses[0].service if incident.hypotheses else None
    focus = [s for s in [culprit, *incident.services] if s]
    for service in focus:
        entity = catalog.get(service) if catalog else None
        if entity is not None and entity.owner:
            incident.owner = entity.owner
            group = catalog.group(entity.owner) if catalog else None
            if group is not None:
                incident.escalation = group.annotations.get("oncall/escalation") or group.email
            break
    incident.impact = _impact(incident, catalog, topology, metrics, now, culprit)
    incident.title = _title(incident)
    incident.narrative = _narrative(incident, now)


def _impact(
    incident: Incident,
    catalog: Catalog | None,
    topology: Topology,
    metrics: list[MetricSeries] | None,
    now: datetime,
    culprit: str | None,
) -> Impact:
    affected = list(dict.fromkeys([*(s for s in [culprit] if s), *incident.services]))
    radius: dict[str, None] = dict.fromkeys(affected)
    for service in affected:
        if service in topology:
            radius.update(dict.fromkeys(sorted(topology.upstream(service))))
    minutes = max(0.0, (now - incident.started_at).total_seconds() / 60.0)
    tiers: list[int] = []
    users = revenue = None
    burn: dict[str, float] = {}
    latest = _latest(metrics)
    for service in radius:
        entity = catalog.get(service) if catalog else None
        if entity is None:
            continue
        if service in affected and entity.tier is not None:
            tiers.append(entity.tier)
        u = entity.number("oncall/users-per-minute")
        r = entity.number("oncall/revenue-per-minute")
        if service in affected or service in incident.services:
            users = max(users or 0.0, u) if u is not None else users
            revenue = max(revenue or 0.0, r) if r is not None else revenue
        for signal, key in (("latency_p95_seconds", "oncall/slo-latency-p95-seconds"),
                            ("error_ratio", "oncall/slo-error-ratio")):
            slo = entity.number(key)
            value = latest.get((service, signal))
            if slo and value is not None and service in affected:
                burn[f"{service}:{signal}"] = round(value / slo, 2)
    tier = min(tiers) if tiers else None
    parts = [f"tier {tier}" if tier is not None else "tier unknown"]
    if users is not None:
        parts.append(f"~{users:,.0f} users/min, ~{users * minutes:,.0f} users so far")
    if revenue is not None:
        parts.append(f"~${revenue:,.0f}/min at risk, ~${revenue * minutes:,.0f} so far")
    over = {k: v for k, v in burn.items() if v > 1.0}
    if over:
        worst = max(over, key=lambda k: over[k])
        parts.append(f"{worst.replace(':', ' ')} at {over[worst]:.1f}x its SLO")
    parts.append(f"{minutes:.0f} min since first alert; blast radius {len(radius)} service(s)")
    return Impact(
        tier=tier,
        summary="; ".join(parts),
        users_affected=users * minutes if users is not None else None,
        revenue_at_risk=revenue * minutes if revenue is not None else None,
        minutes=round(minutes, 1),
        blast_radius=list(radius),
        slo_burn=burn,
    )


def _latest(metrics: list[MetricSeries] | None) -> dict[tuple[str, str], float]:
    """The worst current value per service and signal across its pods."""
    out: dict[tuple[str, str], float] = defaultdict(float)
    for series in metrics or ():
        if series.service and series.samples:
            key = (series.service, series.name)
            out[key] = max(out[key], series.samples[-1][1])
    return dict(out)


def _symptoms(incident: Incident) -> str:
    names: dict[str, None] = {}
    for alert in incident.alerts:
        names[alert.name] = None
    shown = list(names)[:3]
    more = f" +{len(names) - 3}" if len(names) > 3 else ""
    return ", ".join(shown) + more


def _title(incident: Incident) -> str:
    symptoms = _symptoms(incident)
    if not incident.hypotheses:
        return f"{symptoms} on {', '.join(incident.services[:3]) or 'unknown service'}"
    top = incident.hypotheses[0]
    cause = KIND_LABEL.get(top.kind, top.kind)
    change = f" {top.change}" if top.change else ""
    return f"{symptoms}: likely {cause}{change} on {top.service}"


def _narrative(incident: Incident, now: datetime) -> str:
    minutes = (now - incident.started_at).total_seconds() / 60.0
    parts = [
        f"Since {incident.started_at:%H:%M}Z ({minutes:.0f} min), {len(incident.alerts)} "
        f"alert(s) fired on {', '.join(incident.services[:5])}"
        f"{' and more' if len(incident.services) > 5 else ''}."
    ]
    if incident.hypotheses:
        top = incident.hypotheses[0]
        cause = KIND_LABEL.get(top.kind, top.kind)
        via = f" introduced by change {top.change}" if top.change else ""
        parts.append(f"The likeliest cause is a {cause} on {top.service}{via} "
                     f"(score {top.score:.2f}).")
        if top.evidence:
            parts.append(f"Strongest evidence: {top.evidence[0]}.")
    if incident.owner:
        esc = f", escalation {incident.escalation}" if incident.escalation else ""
        parts.append(f"Owner: {incident.owner}{esc}.")
    if incident.remediations:
        first = incident.remediations[0]
        parts.append(f"First move: {first.action} {first.target} ({first.risk} risk, "
                     f"policy: {first.decision}).")
    return " ".join(parts)
