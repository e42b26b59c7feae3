"""Which failing service each alert is a symptom of.

A responder reads a page from the bottom of the dependency graph up: the deepest
service that was already failing when an alert fired is its likeliest cause, and
callers alerting a minute later are symptoms of it. Each alert is attached to one
*root*: an implicated service that nothing below it had beaten to alerting.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections import Counter, defaultdict
from datetime import datetime, timedelta
from itertools import pairwise

from oncall.model import Alert
from oncall.topology import Topology

# Two evaluation intervals of a typical Prometheus rule group: alerts this close fired
# on the same evidence, so their order says nothing about cause and effect.
CO_FIRING = timedelta(seconds=90)
# How long a failure usually takes to show on its callers (timeouts, retries, queues).
PROPAGATION = timedelta(minutes=5)
# Labels with which an alert on a caller names the dependency it is about (an exporter
# or mesh rule such as TLS handshake or upstream errors: `upstream="payments"`).
LINK_LABELS: tuple[str, ...] = ("upstream", "peer_service", "destination_service",
                                "target_service", "upstream_service")


def subject(alert: Alert, topology: Topology) -> str | None:
    """The service an alert is about: a dependency it names, else its own service.

    A caller alert that names a known dependency (`upstream=ledger`) is evidence against
    that dependency even when the dependency itself has no alert rule."""
    own = alert.service
    for key in LINK_LABELS:
        named = alert.labels.get(key)
        if named and named != own and named in topology:
            return named
    return own


class RootAssigner:
    """Finds the roots among the alerting services and assigns every alert to one."""

    def __init__(self, alerts: list[Alert], topology: Topology) -> None:
        self.topology = topology
        self.onset: dict[str, datetime] = {}
        self.first: dict[str, dict[str, datetime]] = defaultdict(dict)
        self._about: dict[int, str | None] = {}
        for alert in alerts:
            own = alert.service
            about = self._about[id(alert)] = subject(alert, topology)
            for service in (own,) if about == own else (own, about):
                if service is None or service not in topology:
                    continue
                if service not in self.onset or alert.starts_at < self.onset[service]:
                    self.onset[service] = alert.starts_at
                seen = self.first[service].get(alert.name)
                if seen is None or alert.starts_at < seen:
                    self.first[service][alert.name] = alert.starts_at
        self._below: dict[str, list[tuple[str, int]]] = {}
        self._times: dict[str, list[datetime]] = {}
        self._sessions = _sessions(alerts)
        # service -> root -> how many of its alerts (so far, in time order) went there
        self.held: dict[str, Counter[str]] = defaultdict(Counter)
        self.roots = self._find_roots()

    def _find_roots(self) -> set[str]:
        """A service is a root when no implicated service below it alerted before it
        (within one co-firing interval). Inside a dependency cycle where every member
        has another below it, the first by name is made the root so the cycle still
        forms one incident."""
        roots: set[str] = set()
        for service in sorted(self.onset):
            limit = self.onset[service] + CO_FIRING
            if not any(self.onset[t] <= limit for t, _ in self._implicated_below(service)):
                roots.add(service)
        self.roots = roots
        for service in sorted(self.onset):
            if service not in roots and not self.roots_below(service):
                roots.add(service)
                self._below.clear()
                self._times.clear()
        return roots

    def _implicated_below(self, service: str) -> list[tuple[str, int]]:
        below = self.topology.downstream(service)
        if len(self.onset) < len(below):
            return [(t, below[t]) for t in self.onset if t in below and t != service]
        return [(t, hops) for t, hops in below.items() if t in self.onset and t != service]

    def roots_below(self, service: str) -> list[tuple[str, int]]:
        """Roots in the dependency closure of `service` with their hop counts, in onset
        order (then by name)."""
        found = self._below.get(service)
        if found is None:
            below = self.topology.downstream(service)
            if len(self.roots) < len(below):
                found = [(r, below[r]) for r in self.roots if r in below and r != service]
            else:
                found = [(r, h) for r, h in below.items() if r in self.roots and r != service]
            found.sort(key=lambda item: (self.onset[item[0]], item[0]))
            self._below[service] = found
            self._times[service] = [self.onset[r] for r, _ in found]
        return found

    def assign(self, alert: Alert) -> str | None:
        """The root whose incident `alert` belongs to (None: not in the topology).

        Call in start order: earlier choices on the same service and on the services it
        calls are evidence for later ones."""
        key = id(alert)
        about = self._about[key] if key in self._about else subject(alert, self.topology)
        if about is None or about not in self.topology:
            return None
        at = alert.starts_at
        if about not in self.roots or self._later_session(alert.service, about, at):
            chosen = self.pick(about, alert.name, at)
        else:
            chosen = about
        own = alert.service
        if own:
            self.held[own][chosen] += 1
        return chosen

    def _later_session(self, own: str | None, about: str, at: datetime) -> bool:
        """A root's alert from a later burst than the one that made it a root, with a
        root below it that has started failing since: the old trouble and the new
        symptom are different things (a warning firing for hours on a caller does not
        make every later alert of that caller its own incident)."""
        if own != about:
            return False
        starts, session = self._sessions.get(about, ([], []))
        i = bisect_right(starts, at) - 1
        if i < 0 or session[i] <= self.onset[about]:
            return False
        if not self.roots_below(about):
            return False
        return self._times[about][0] <= at + CO_FIRING

    def pick(self, about: str, name: str, at: datetime, among: set[str] | None = None) -> str:
        """Of the roots below `about`, the likeliest cause of a `name` alert at `at`.

        A cause alerts before (or with) its symptoms; a symptom usually follows within a
        few minutes, so a root that started failing just before the alert beats one
        that has been failing for a quarter of an hour; a root that already raised the
        same kind of alert (latency begets latency, errors beget errors) beats one that
        did not; a root that earlier alerts of this service, or of the alerting services
        it calls directly, were attached to beats one they were not (a symptom travels
        up the call chain one hop at a time); then the nearer onset, then fewer hops."""
        candidates = self.roots_below(about)
        times = self._times[about]
        if among is not None:
            candidates = [c for c in candidates if c[0] in among]
            times = [self.onset[r] for r, _ in candidates]
        if not candidates:
            return about
        # Candidates are in onset order: the eligible ones are a prefix, the recent
        # ones among them a suffix of that prefix.
        end = bisect_right(times, at + CO_FIRING) or len(candidates)
        start = bisect_left(times, at - PROPAGATION, 0, end)
        recent = candidates[start:end] or candidates[:end]
        if len(recent) == 1:
            return recent[0][0]
        nearby = [self.held[about]] + [
            self.held[c] for c in self.topology.callees.get(about, ()) if c in self.held]

        def rank(item: tuple[str, int]) -> tuple[int, int, float, int, str]:
            root, hops = item
            same = self.first[root].get(name)
            matched = same is not None and same <= at
            affinity = sum(counts[root] for counts in nearby)
            gap = abs((at - self.onset[root]).total_seconds())
            return (0 if matched else 1, -affinity, gap, hops, root)

        return min(recent, key=rank)[0]


SESSION_GAP = timedelta(minutes=15)


def _sessions(alerts: list[Alert]) -> dict[str, tuple[list[datetime], list[datetime]]]:
    """Per service: its alerts' start times, sorted, and for each the start of its burst
    (a burst ends where the service stayed quiet for longer than SESSION_GAP)."""
    starts: dict[str, list[datetime]] = defaultdict(list)
    for alert in alerts:
        if alert.service:
            starts[alert.service].append(alert.starts_at)
    out: dict[str, tuple[list[datetime], list[datetime]]] = {}
    for service, times in starts.items():
        times.sort()
        session = [times[0]]
        for before, now in pairwise(times):
            session.append(session[-1] if now - before <= SESSION_GAP else now)
        out[service] = (times, session)
    return out
