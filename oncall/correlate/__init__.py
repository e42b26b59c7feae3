"""Case resolution: de-duplicate alerts, set noise aside, cluster the rest into incidents.

The rules are the ones an experienced responder applies by hand:
- one fingerprint (or one label set) is one alert, however often it was re-sent
  (`episodes`);
- silenced, inhibited, heartbeat and informational alerts are noise (`episodes`);
- a symptom on a caller belongs to the incident of the failing dependency below it that
  started just before it (`roots`); roots become one incident only on evidence: a
  shared failing trace, a dependency path, a shared dependency or caller alerting in the
  same interval (`merge`). Time alone joins nothing when the topology knows the
  services, so concurrent unrelated incidents stay apart;
- alerts the topology does not know join an incident they co-fire with in the same
  namespace (`units`);
- warnings that linger after their acute counterpart resolved are set aside before
  clustering, so they neither seed nor steer an incident; like flapping alerts they
  join one only as a symptom (`background`);
- warnings that were firing long before an unrelated incident are background noise
  (`background`);
- a flapping or lingering alert joins the incident of its service (or of the root
  below it), else it is noise.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from oncall.correlate.background import (
    group_by_service,
    lingering,
    live_acute,
    resolved_acute,
    root_index,
    split_background,
)
from oncall.correlate.episodes import current_alerts, noise_reason
from oncall.correlate.merge import merge_roots
from oncall.correlate.roots import RootAssigner, subject
from oncall.correlate.traces import co_failing_pairs
from oncall.correlate.units import Cluster, attach_units, sessions
from oncall.model import Alert, Incident, NoiseAlert, NoiseStats, Span
from oncall.topology import Topology

__all__ = ["Correlation", "correlate"]


@dataclass(slots=True)
class Correlation:
    incidents: list[Incident]
    noise: list[NoiseAlert]
    stats: NoiseStats


def correlate(
    alerts: list[Alert], now: datetime, topology: Topology, spans: list[Span] | None = None
) -> Correlation:
    episodes = current_alerts(alerts, now)
    noise: list[NoiseAlert] = []
    candidates: dict[str, Alert] = {}
    for key, alert in sorted(episodes.current.items()):
        reason = noise_reason(alert)
        if reason:
            noise.append(NoiseAlert(alert.fingerprint, alert.name, reason))
        else:
            candidates[key] = alert

    resolved = resolved_acute(alerts, now)
    live = live_acute(candidates.values())
    leftover: list[tuple[Alert, str]] = []
    steady: list[Alert] = []
    for key, alert in candidates.items():
        if key in episodes.flapping:
            continue
        reason = lingering(alert, resolved, live, now)
        if reason:
            leftover.append((alert, reason))
        else:
            steady.append(alert)
    co_failing = co_failing_pairs(spans or [])
    assigner = RootAssigner(steady, topology)
    clusters = _cluster(steady, topology, assigner, co_failing)
    clusters, background = split_background(clusters, topology, co_failing)
    for cluster, reason in background:
        for alert in cluster.alerts:
            noise.append(NoiseAlert(alert.fingerprint, alert.name, reason))
    flapping = [(candidates[k], "flapping: resolved and fired again")
                for k in sorted(episodes.flapping & set(candidates))]
    noise.extend(_attach_symptoms(leftover + flapping, clusters, assigner, topology))

    incidents = [_incident(c.alerts) for c in clusters]
    incidents.sort(key=lambda inc: (-len(inc.alerts), inc.started_at, inc.id))
    noise.sort(key=lambda n: (n.fingerprint, n.reason))
    stats = NoiseStats(
        alerts_received=len(alerts),
        firing=len(episodes.current),
        distinct=len(episodes.current),
        incidents=len(incidents),
        noise=len(noise),
    )
    return Correlation(incidents=incidents, noise=noise, stats=stats)


def _cluster(
    alerts: list[Alert],
    topology: Topology,
    assigner: RootAssigner,
    co_failing: set[tuple[str, str]],
) -> list[Cluster]:
    """Alerts -> roots -> merged roots, then the alerts outside the topology."""
    by_root: dict[str, list[Alert]] = defaultdict(list)
    outside: list[Alert] = []
    for alert in sorted(alerts, key=lambda a: (a.starts_at, a.fingerprint)):
        root = assigner.assign(alert)
        if root is None:
            outside.append(alert)
        else:
            by_root[root].append(alert)
    onset = {root: assigner.onset[root] for root in by_root}
    union = merge_roots(onset, topology, co_failing, set(assigner.onset))
    merged: dict[str, Cluster] = {}
    for root in sorted(by_root, key=lambda r: (onset[r], r)):
        cluster = merged.setdefault(union.find(root), Cluster(alerts=[]))
        cluster.alerts.extend(by_root[root])
        cluster.roots.add(root)
    return attach_units(list(merged.values()), sessions(outside))


def _attach_symptoms(
    weak: list[tuple[Alert, str]],
    clusters: list[Cluster],
    assigner: RootAssigner,
    topology: Topology,
) -> list[NoiseAlert]:
    """Alerts too weak to seed or steer an incident (flapping ones, lingering warnings)
    join one only where their service (or the root they would be a symptom of) already
    is; on their own they are noise, with the reason given."""
    noise: list[NoiseAlert] = []
    by_service = group_by_service(clusters)
    by_root = root_index(clusters)
    live_roots = set(by_root)
    for alert, reason in weak:
        about = subject(alert, topology)
        home = by_service.get(about) if about else None
        if home is None and about in topology and about is not None:
            root = assigner.pick(about, alert.name, alert.starts_at, among=live_roots)
            home = by_root.get(root)
        if home is None:
            noise.append(NoiseAlert(alert.fingerprint, alert.name, reason))
        else:
            clusters[home].alerts.append(alert)
    return noise


def _incident(group: list[Alert]) -> Incident:
    group = sorted(group, key=lambda a: (a.starts_at, a.fingerprint))
    services: list[str] = []
    for alert in group:
        if alert.service and alert.service not in services:
            services.append(alert.service)
    # Keyed by the first alert so the id stays put as more alerts join the incident.
    first = group[0]
    seed = f"{first.fingerprint}@{first.starts_at.isoformat()}"
    digest = hashlib.sha256(seed.encode()).hexdigest()[:10]
    return Incident(
        id=f"inc-{digest}",
        alerts=group,
        services=services,
        started_at=first.starts_at,
    )
