"""Background noise: clusters that are firing but are not what the page is about.

Two judgements an experienced responder makes before reading further:

- *stale*: warnings that were already firing long before the incident began and
  have no dependency or trace link to it (a target down for a day, a clock drifting
  for hours, a certificate expiring in weeks) are the estate's standing background;
  they were there before the page and will be there after it.
- *lingering*: a warning whose acute counterpart (same alert, same service, a
  paging severity, e.g. the fast window of a multi-window SLO burn alert) has already
  resolved: the spike is over and only the slow window has not caught up yet. This
  one is judged per alert, before clustering (see `lingering`), so a leftover can
  neither seed an incident nor steer a neighbour's incident onto its service.

Neither rule looks at alert names; they read severity, timing and the dependency graph.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from oncall.correlate.episodes import is_acute, is_warning
from oncall.correlate.merge import NEAR_HOPS
from oncall.correlate.units import Cluster
from oncall.model import Alert
from oncall.topology import Topology

# A warning that started this long before an incident was not caused by it, and an
# SRE does not read it as part of it (a quarter hour is the merge window; twice that
# leaves room for a slow-burning cause that warned early).
STALE_LEAD = timedelta(minutes=30)


def resolved_acute(alerts: list[Alert], now: datetime) -> dict[tuple[str, str], Alert]:
    """Per (alert name, service): the latest acute episode that has already ended."""
    out: dict[tuple[str, str], Alert] = {}
    for alert in alerts:
        if alert.ends_at is None or alert.ends_at > now or alert.starts_at > now:
            continue
        if not is_acute(alert) or not alert.service:
            continue
        key = (alert.name, alert.service)
        seen = out.get(key)
        if seen is None or (seen.ends_at or now) < alert.ends_at:
            out[key] = alert
    return out


def split_background(
    clusters: list[Cluster],
    topology: Topology,
    co_failing: set[tuple[str, str]],
) -> tuple[list[Cluster], list[tuple[Cluster, str]]]:
    """(clusters that stay incidents, stale background clusters with the reason)."""
    kept: list[Cluster] = []
    background: list[tuple[Cluster, str]] = []
    # Latest first, so a cluster is only ever measured against clusters that stay.
    for cluster in sorted(clusters, key=lambda c: (c.onset, c.alerts[0].fingerprint),
                          reverse=True):
        reason = _stale(cluster, kept, topology, co_failing)
        if reason:
            background.append((cluster, reason))
        else:
            kept.append(cluster)
    kept.reverse()
    background.reverse()
    return kept, background


def live_acute(alerts: Iterable[Alert]) -> set[tuple[str, str]]:
    """(alert name, service) of the acute alerts still firing."""
    return {(a.name, a.service or "") for a in alerts if is_acute(a)}


def lingering(
    alert: Alert,
    resolved: dict[tuple[str, str], Alert],
    live: set[tuple[str, str]],
    now: datetime,
) -> str | None:
    """Why `alert` is a leftover: a warning whose acute counterpart (same name, same
    service, started no later) has resolved while no acute twin still fires.

    Judged per alert, before clustering: a leftover is evidence of nothing that is
    still going on, so it must neither seed an incident of its own nor pull a
    neighbour's fresh incident onto its service (a slow burn window still firing on
    a dependency that recovered would otherwise become the root of every caller that
    starts alerting minutes later)."""
    key = (alert.name, alert.service or "")
    acute = resolved.get(key)
    if (not is_warning(alert) or acute is None or key in live
            or acute.starts_at > alert.starts_at or acute.ends_at is None):
        return None
    ago = _span(now - acute.ends_at)
    return (f"lingering: the {acute.severity} {acute.name} on {acute.service} resolved "
            f"{ago} ago, only a slower warning still fires")


def _stale(
    cluster: Cluster,
    kept: list[Cluster],
    topology: Topology,
    co_failing: set[tuple[str, str]],
) -> str | None:
    """Warnings only, started long before an incident that has no link to them."""
    if not all(is_warning(a) for a in cluster.alerts):
        return None
    newest = cluster.newest
    later = [c for c in kept if c.onset > newest]
    if not later:
        return None
    incident = min(later, key=lambda c: c.onset)
    if incident.onset - newest <= STALE_LEAD:
        return None
    if any(_linked(cluster.services, c.services, topology, co_failing) for c in later):
        return None
    return (f"background: firing {_span(incident.onset - cluster.onset)} before this "
            f"incident, no dependency or trace link to it")


def _linked(
    mine: set[str], theirs: set[str], topology: Topology, co_failing: set[tuple[str, str]]
) -> bool:
    """A shared service, a dependency path of at most two hops, or a failing trace."""
    if mine & theirs:
        return True
    for service in mine:
        if service not in topology:
            continue
        near = set(topology.downstream(service, NEAR_HOPS)) | set(
            topology.upstream(service, NEAR_HOPS))
        if near & theirs:
            return True
        if any((min(service, t), max(service, t)) in co_failing for t in theirs):
            return True
    return False


def _span(delta: timedelta) -> str:
    """A duration the way people say it: 45 min, 5h, 3d."""
    minutes = max(0, int(delta.total_seconds() // 60))
    if minutes < 120:
        return f"{minutes} min"
    hours = minutes // 60
    if hours < 48:
        return f"{hours}h"
    return f"{hours // 24}d"


def group_by_service(clusters: list[Cluster]) -> dict[str, int]:
    """Service -> index of the first cluster that holds it."""
    out: dict[str, int] = {}
    for i, cluster in enumerate(clusters):
        for service in sorted(cluster.services):
            out.setdefault(service, i)
    return out


def root_index(clusters: list[Cluster]) -> dict[str, int]:
    """Root -> index of the cluster it was merged into."""
    out: dict[str, int] = {}
    for i, cluster in enumerate(clusters):
        for root in sorted(cluster.roots):
            out.setdefault(root, i)
    return out
