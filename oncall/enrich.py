"""Incident enrichment: owner, escalation, blast radius, business impact, title, story.

All from the catalog and the analysis, by template: a responder gets who to call and
what it costs without an LLM. Everything degrades gracefully: without a catalog the
owner is unknown and the impact names only the duration and the blast radius found in
the traces; services the catalog does not know, alerts without a service label and
cycles in `dependsOn` are all allowed.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from oncall.model import Catalog, CatalogEntity, Impact, Incident, MetricSeries, ref_name
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
SLO_SIGNALS: tuple[tuple[str, str], ...] = (
    ("latency_p95_seconds", "oncall/slo-latency-p95-seconds"),
    ("error_ratio", "oncall/slo-error-ratio"),
)


class _Entities:
    """Catalog components and resources by name, and groups by name (one pass)."""

    def __init__(self, catalog: Catalog | None) -> None:
        self.services: dict[str, CatalogEntity] = {}
        self.groups: dict[str, CatalogEntity] = {}
        for entity in catalog.entities if catalog else ():
            if entity.kind in ("Component", "Resource"):
                self.services.setdefault(entity.name, entity)
            elif entity.kind == "Group":
                self.groups.setdefault(entity.name, entity)

    def group(self, ref: str) -> CatalogEntity | None:
        return self.groups.get(ref_name(ref))


def enrich(
    incident: Incident,
    catalog: Catalog | None,
    topology: Topology,
    metrics: list[MetricSeries] | None,
    now: datetime,
) -> None:
    entities = _Entities(catalog)
    culprit = incident.hypotheses[0].service if incident.hypotheses else None
    _owner(incident, entities, culprit)
    incident.impact = _impact(incident, entities, topology, metrics, now, culprit)
    incident.title = _title(incident)
    incident.narrative = _narrative(incident, now)


def _owner(incident: Incident, entities: _Entities, culprit: str | None) -> None:
    """The team that owns the likeliest culprit, else the first alerting service with an
    owner: they can act on the cause. The escalation handle is the group's
    `oncall/escalation` annotation, else its e-mail."""
    for service in dict.fromkeys(s for s in [culprit, *incident.services] if s):
        entity = entities.services.get(service)
        if entity is None or not entity.owner:
            continue
        incident.owner = entity.owner
        group = entities.group(entity.owner)
        if group is not None:
            incident.escalation = group.annotations.get("oncall/escalation") or group.email
        return


def _impact(
    incident: Incident,
    entities: _Entities,
    topology: Topology,
    metrics: list[MetricSeries] | None,
    now: datetime,
    culprit: str | None,
) -> Impact:
    """Tier, users and revenue per minute times the minutes so far, SLO burn, and the
    blast radius: the affected services and everything that depends on them.

    Users and revenue are the largest figure among the affected services (the same
    users pass through every hop of one request path, so adding them would count a
    user once per hop); when no affected service carries a figure, the largest in the
    blast radius stands in as an upper bound ("up to")."""
    affected = list(dict.fromkeys([*(s for s in [culprit] if s), *incident.services]))
    radius: dict[str, None] = dict.fromkeys(affected)
    for service in affected:
        if service in topology:
            radius.update(dict.fromkeys(sorted(topology.upstream(service))))
    minutes = max(0.0, (now - incident.started_at).total_seconds() / 60.0)
    tier = _best_tier(entities, affected)
    radius_tier = _best_tier(entities, list(radius))
    users, users_bound = _per_minute(entities, affected, radius, "oncall/users-per-minute")
    revenue, revenue_bound = _per_minute(entities, affected, radius,
                                         "oncall/revenue-per-minute")
    burn = _slo_burn(entities, affected, metrics)

    parts = [f"tier {tier}" if tier is not None else "tier unknown"]
    if radius_tier is not None and (tier is None or radius_tier < tier):
        parts.append(f"tier {radius_tier} dependents in the blast radius")
    hedge = {True: "up to ", False: "~"}
    if users is not None:
        parts.append(f"{hedge[users_bound]}{users:,.0f} users/min, "
                     f"{hedge[users_bound]}{users * minutes:,.0f} users so far")
    if revenue is not None:
        parts.append(f"{hedge[revenue_bound]}${revenue:,.0f}/min at risk, "
                     f"{hedge[revenue_bound]}${revenue * minutes:,.0f} so far")
    over = {k: v for k, v in burn.items() if v > 1.0}
    if over:
        worst = max(sorted(over), key=lambda k: over[k])
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


def _best_tier(entities: _Entities, services: list[str]) -> int | None:
    """The most critical tier ("1" is most critical) among `services`."""
    tiers = [e.tier for s in services if (e := entities.services.get(s)) and e.tier is not None]
    return min(tiers) if tiers else None


def _per_minute(
    entities: _Entities, affected: list[str], radius: dict[str, None], key: str
) -> tuple[float | None, bool]:
    """(figure, is an upper bound) for a per-minute annotation."""
    for services, bound in ((affected, False), (list(radius), True)):
        values = [v for s in services
                  if (e := entities.services.get(s)) and (v := e.number(key)) is not None
                  and v >= 0]
        if values:
            return max(values), bound
    return None, False


def _slo_burn(
    entities: _Entities, affected: list[str], metrics: list[MetricSeries] | None
) -> dict[str, float]:
    """Current value over the SLO, per affected service and signal the catalog sets an
    SLO for (1.0 = exactly at the objective)."""
    latest = _latest(metrics)
    burn: dict[str, float] = {}
    for service in affected:
        entity = entities.services.get(service)
        if entity is None:
            continue
        for signal, key in SLO_SIGNALS:
            slo = entity.number(key)
            value = latest.get((service, signal))
            if slo and slo > 0 and value is not None:
                burn[f"{service}:{signal}"] = round(value / slo, 2)
    return burn


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
        names[alert.name or "unnamed alert"] = None
    shown = list(names)[:3]
    more = f" +{len(names) - 3}" if len(names) > 3 else ""
    return ", ".join(shown) + more


def _where(incident: Incident, limit: int) -> str:
    if not incident.services:
        return "services without a service label"
    more = " and more" if len(incident.services) > limit else ""
    return ", ".join(incident.services[:limit]) + more


def _title(incident: Incident) -> str:
    symptoms = _symptoms(incident)
    if not incident.hypotheses:
        return f"{symptoms} on {_where(incident, 3)}"
    top = incident.hypotheses[0]
    cause = KIND_LABEL.get(top.kind, top.kind)
    change = f" {top.change}" if top.change else ""
    return f"{symptoms}: likely {cause}{change} on {top.service}"


def _narrative(incident: Incident, now: datetime) -> str:
    minutes = max(0.0, (now - incident.started_at).total_seconds() / 60.0)
    parts = [
        f"Since {incident.started_at:%H:%M}Z ({minutes:.0f} min), {len(incident.alerts)} "
        f"alert(s) fired on {_where(incident, 5)}."
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
    else:
        parts.append("Owner: unknown (no catalog entry for these services).")
    if incident.remediations:
        first = incident.remediations[0]
        parts.append(f"First move: {first.action} {first.target} ({first.risk} risk, "
                     f"policy: {first.decision}).")
    return " ".join(parts)
