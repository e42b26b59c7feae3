"""Case resolution: de-duplicate alerts, set noise aside, cluster the rest into incidents.

The rules are the ones an experienced responder applies by hand:
- one fingerprint (or one label set) is one alert, however often it was re-sent;
- silenced, inhibited, heartbeat, informational and flapping alerts are noise;
- a symptom on a caller belongs to the incident of the dependency it calls: each alert
  is attached to the deepest alerting service below it in the dependency graph, and
  alerts that share that root, or whose roots share a nearby dependency or failing
  traces, form one incident. Unrelated concurrent failures stay apart.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from oncall.model import Alert, Incident, NoiseAlert, NoiseStats, Span
from oncall.topology import Topology

HEARTBEATS = frozenset({"Watchdog", "DeadMansSwitch", "DeadMansSnitch", "InfoInhibitor"})
QUIET_SEVERITIES = frozenset({"none", "info", "informational", "debug"})
ROOT_MERGE_WINDOW = timedelta(minutes=15)
SHARED_DEPENDENCY_HOPS = 2
CO_FIRING = timedelta(seconds=90)


@dataclass(slots=True)
class Correlation:
    incidents: list[Incident]
    noise: list[NoiseAlert]
    stats: NoiseStats


def correlate(
    alerts: list[Alert], now: datetime, topology: Topology, spans: list[Span] | None = None
) -> Correlation:
    episodes = _by_identity(alerts)
    current: dict[str, Alert] = {}
    flapping: set[str] = set()
    for key, eps in episodes.items():
        firing = [a for a in eps if a.firing_at(now)]
        if not firing:
            continue
        current[key] = max(firing, key=_recency)
        if any(not a.firing_at(now) for a in eps):
            flapping.add(key)

    noise: list[NoiseAlert] = []
    candidates: dict[str, Alert] = {}
    for key, alert in sorted(current.items()):
        reason = _noise_reason(alert)
        if reason:
            noise.append(NoiseAlert(alert.fingerprint, alert.name, reason))
        else:
            candidates[key] = alert

    steady = {k: a for k, a in candidates.items() if k not in flapping}
    groups = _cluster(list(steady.values()), topology, spans or [])
    # A flapping alert joins an incident only when its service is already part of it.
    for key in sorted(flapping & set(candidates)):
        alert = candidates[key]
        home = next((g for g in groups if alert.service and alert.service in _services(g)), None)
        if home is not None:
            home.append(alert)
        else:
            noise.append(NoiseAlert(alert.fingerprint, alert.name,
                                    "flapping: resolved and fired again"))

    incidents = [_incident(group) for group in groups]
    incidents.sort(key=lambda inc: (-len(inc.alerts), inc.started_at, inc.id))
    stats = NoiseStats(
        alerts_received=len(alerts),
        firing=len(current),
        distinct=len(current),
        incidents=len(incidents),
        noise=len(noise),
    )
    return Correlation(incidents=incidents, noise=noise, stats=stats)


def _by_identity(alerts: list[Alert]) -> dict[str, list[Alert]]:
    """Groups episodes by fingerprint, and merges fingerprints with identical labels."""
    label_owner: dict[tuple[tuple[str, str], ...], str] = {}
    out: dict[str, list[Alert]] = defaultdict(list)
    for alert in alerts:
        labels = tuple(sorted(alert.labels.items()))
        key = label_owner.setdefault(labels, alert.fingerprint)
        out[key].append(alert)
    return out


def _recency(alert: Alert) -> tuple[datetime, datetime]:
    return (alert.updated_at or alert.starts_at, alert.starts_at)


def _noise_reason(alert: Alert) -> str | None:
    if alert.silenced_by:
        return "silenced"
    if alert.inhibited_by:
        return "inhibited"
    if alert.state == "suppressed":
        return "suppressed"
    if alert.name in HEARTBEATS:
        return "heartbeat"
    if alert.severity in QUIET_SEVERITIES:
        return f"informational (severity {alert.severity})"
    return None


def _services(group: list[Alert]) -> set[str]:
    return {a.service for a in group if a.service}


def _cluster(alerts: list[Alert], topology: Topology, spans: list[Span]) -> list[list[Alert]]:
    alerting = {a.service for a in alerts if a.service}
    root_of: dict[str, str] = {}
    for service in sorted(alerting):
        root_of[service] = _root(service, alerting, topology)

    by_root: dict[str, list[Alert]] = defaultdict(list)
    for alert in sorted(alerts, key=lambda a: (a.starts_at, a.fingerprint)):
        key = root_of.get(alert.service or "", f"~{alert.name}~{alert.service or ''}")
        by_root[key].append(alert)

    start = {r: min(a.starts_at for a in group) for r, group in by_root.items()}
    roots = sorted(by_root, key=lambda r: (start[r], r))
    parent = {r: r for r in roots}

    def find(r: str) -> str:
        while parent[r] != r:
            parent[r] = parent[parent[r]]
            r = parent[r]
        return r

    co_failing = _co_failing_pairs(spans)
    alerting_services = set(alerting)
    # Roots are in start order, so each is compared only with those inside the window.
    for i, a in enumerate(roots):
        for b in roots[i + 1:]:
            if start[b] - start[a] > ROOT_MERGE_WINDOW:
                break
            if find(a) != find(b) and _related_roots(
                a, b, start, topology, co_failing, alerting_services
            ):
                parent[find(a)] = find(b)
    merged: dict[str, list[Alert]] = defaultdict(list)
    for r in roots:
        merged[find(r)].extend(by_root[r])
    return [sorted(g, key=lambda a: (a.starts_at, a.fingerprint)) for g in merged.values()]


def _root(service: str, alerting: set[str], topology: Topology) -> str:
    """The deepest alerting service below `service` (itself when nothing below alerts)."""
    if service not in topology:
        return service
    below = topology.downstream(service)
    deeper = [s for s in below if s in alerting and s != service]
    leaves = [s for s in deeper if not (set(topology.downstream(s)) & alerting - {s})]
    if not leaves:
        return service
    return min(leaves, key=lambda s: (below[s], s))


def _related_roots(
    a: str,
    b: str,
    start: dict[str, datetime],
    topology: Topology,
    co_failing: set[tuple[str, str]],
    alerting: set[str],
) -> bool:
    """Two groups are one incident when time and topology or traces tie them together."""
    gap = abs(start[a] - start[b])
    if gap > ROOT_MERGE_WINDOW:
        return False
    if gap <= CO_FIRING:
        # Alerts that start within the same evaluation interval or two share a cause
        # far more often than not, even where the known topology is incomplete.
        return True
    if a in topology and b in topology:
        near_a = set(topology.downstream(a, SHARED_DEPENDENCY_HOPS)) | {a}
        near_b = set(topology.downstream(b, SHARED_DEPENDENCY_HOPS)) | {b}
        if near_a & near_b:
            return True
        callers_a = set(topology.upstream(a, SHARED_DEPENDENCY_HOPS))
        callers_b = set(topology.upstream(b, SHARED_DEPENDENCY_HOPS))
        if callers_a & callers_b & alerting:
            return True
    return (min(a, b), max(a, b)) in co_failing


def _co_failing_pairs(spans: list[Span]) -> set[tuple[str, str]]:
    """Pairs of services that failed together in at least one trace."""
    failing: dict[str, set[str]] = defaultdict(set)
    for span in spans:
        if span.error:
            failing[span.trace_id].add(span.service)
    pairs: set[tuple[str, str]] = set()
    for services in failing.values():
        ordered = sorted(services)
        for i, a in enumerate(ordered):
            for b in ordered[i + 1:]:
                pairs.add((a, b))
    return pairs


def _incident(group: list[Alert]) -> Incident:
    services: list[str] = []
    for alert in group:
        if alert.service and alert.service not in services:
            services.append(alert.service)
    # Keyed by the first alert so the id stays put as more alerts join the incident.
    first = min(group, key=lambda a: (a.starts_at, a.fingerprint))
    seed = f"{first.fingerprint}@{first.starts_at.isoformat()}"
    digest = hashlib.sha256(seed.encode()).hexdigest()[:10]
    return Incident(
        id=f"inc-{digest}",
        alerts=group,
        services=services,
        started_at=min(a.starts_at for a in group),
    )
