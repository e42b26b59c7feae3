"""Alerts the dependency graph knows nothing about.

An alert whose service is in neither the catalog nor the traces (a node exporter, a
cert manager, a service the catalog forgot) cannot be placed by topology. Its alerts
form *units* per service, split where the service stayed quiet for a merge window.
A unit joins an incident only when it co-fires with one of its alerts and carries the
same `namespace` (the same application, not the node underneath it); when no topology
is known at all, co-firing is the only evidence there is and units that start within
one co-firing interval of a group's first alert join it.
"""

from __future__ import annotations

from bisect import bisect_left
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from oncall.correlate.roots import CO_FIRING
from oncall.model import Alert

SESSION_GAP = timedelta(minutes=15)


@dataclass(slots=True)
class Cluster:
    """Alerts that form one incident (so far), and the roots they were attached to."""

    alerts: list[Alert]
    roots: set[str] = field(default_factory=set)

    @property
    def onset(self) -> datetime:
        return min(a.starts_at for a in self.alerts)

    @property
    def newest(self) -> datetime:
        return max(a.starts_at for a in self.alerts)

    @property
    def services(self) -> set[str]:
        return {a.service for a in self.alerts if a.service} | self.roots


def sessions(alerts: list[Alert]) -> list[list[Alert]]:
    """Alerts per service (per alert name without one), split at quiet gaps."""
    by_key: dict[str, list[Alert]] = defaultdict(list)
    for alert in alerts:
        by_key[alert.service or f"~{alert.name}"].append(alert)
    out: list[list[Alert]] = []
    for key in sorted(by_key):
        run: list[Alert] = []
        for alert in sorted(by_key[key], key=lambda a: (a.starts_at, a.fingerprint)):
            if run and alert.starts_at - run[-1].starts_at > SESSION_GAP:
                out.append(run)
                run = []
            run.append(alert)
        out.append(run)
    return out


def attach_units(clusters: list[Cluster], units: list[list[Alert]]) -> list[Cluster]:
    """Joins each unit to a co-firing cluster of the same namespace, or keeps it apart.

    Without any topology cluster (no catalog, no traces) units are grouped by leader
    clustering on their onsets: a unit joins the group whose first unit started at most
    one co-firing interval before it, so staggered alerts do not chain."""
    units = sorted(units, key=lambda u: (u[0].starts_at, u[0].fingerprint))
    if not clusters:
        out: list[Cluster] = []
        for unit in units:
            if out and unit[0].starts_at - out[-1].onset <= CO_FIRING:
                out[-1].alerts.extend(unit)
            else:
                out.append(Cluster(alerts=list(unit)))
        return out
    index: dict[str, tuple[list[datetime], list[int]]] = {}
    rows: dict[str, list[tuple[datetime, int]]] = defaultdict(list)
    for i, cluster in enumerate(clusters):
        for alert in cluster.alerts:
            namespace = alert.labels.get("namespace")
            if namespace:
                rows[namespace].append((alert.starts_at, i))
    for namespace, items in rows.items():
        items.sort()
        index[namespace] = ([t for t, _ in items], [i for _, i in items])
    extra: list[Cluster] = []
    for unit in units:
        home = _co_firing(unit, index)
        if home is None:
            extra.append(Cluster(alerts=list(unit)))
        else:
            clusters[home].alerts.extend(unit)
    return clusters + extra


def _co_firing(
    unit: list[Alert], index: dict[str, tuple[list[datetime], list[int]]]
) -> int | None:
    """The cluster with an alert of the same namespace nearest in time to the unit's
    first alert, if within one co-firing interval."""
    first = unit[0]
    namespace = first.labels.get("namespace")
    if not namespace or namespace not in index:
        return None
    times, owners = index[namespace]
    pos = bisect_left(times, first.starts_at)
    best: tuple[float, int] | None = None
    for j in (pos - 1, pos):
        if 0 <= j < len(times):
            gap = abs((times[j] - first.starts_at).total_seconds())
            if gap <= CO_FIRING.total_seconds() and (best is None or gap < best[0]):
                best = (gap, owners[j])
    return best[1] if best else None
