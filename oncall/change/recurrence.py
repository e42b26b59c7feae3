"""Recurring causes: the same service failing the same way, again and again.

Two incidents recur when they hit the same service with the same cause kind and their
causes look alike (the words of the root cause, the change summary and diff, the alert
names overlap), within a time window. Alike-ness is single-linkage, so a chain of
similar write-ups forms one cluster even when the first and last share few words. A
cluster needs at least `min_count` incidents; clusters are ranked by what they cost in
total (revenue, then users, then minutes to resolve), because that is what a permanent
fix saves.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from oncall.change.history import IncidentRecord

SIMILARITY = 0.25  # Jaccard over cause words; kind + service must already match


@dataclass(slots=True)
class Recurrence:
    id: str
    service: str
    kind: str
    incidents: list[IncidentRecord] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.incidents)

    @property
    def total_minutes(self) -> float:
        return sum(r.minutes or 0.0 for r in self.incidents)

    @property
    def mean_minutes(self) -> float | None:
        known = [r.minutes for r in self.incidents if r.minutes is not None]
        return sum(known) / len(known) if known else None

    @property
    def total_revenue(self) -> float:
        return sum(r.revenue or 0.0 for r in self.incidents)

    @property
    def total_users(self) -> float:
        return sum(r.users or 0.0 for r in self.incidents)

    def rank_key(self) -> tuple[float, float, float, int, str]:
        return (-self.total_revenue, -self.total_users, -self.total_minutes, -self.count,
                self.id)


def similar(a: IncidentRecord, b: IncidentRecord) -> bool:
    if (a.service, a.kind) != (b.service, b.kind):
        return False
    wa, wb = a.words(), b.words()
    if not wa and not wb:
        return True  # nothing written beyond service and kind: those already match
    return len(wa & wb) / max(1, len(wa | wb)) >= SIMILARITY


def find_recurring(records: list[IncidentRecord], now: datetime, window_days: int = 90,
                   min_count: int = 2) -> list[Recurrence]:
    since = now - timedelta(days=window_days)
    recent = [r for r in records if since <= r.day <= now]
    parent = list(range(len(recent)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i in range(len(recent)):
        for j in range(i + 1, len(recent)):
            if similar(recent[i], recent[j]):
                parent[root(j)] = root(i)
    groups: dict[int, list[IncidentRecord]] = {}
    for i, record in enumerate(recent):
        groups.setdefault(root(i), []).append(record)
    found = []
    for members in groups.values():
        if len(members) < min_count:
            continue
        members.sort(key=lambda r: (r.day, r.id))
        digest = hashlib.sha256("|".join(r.id for r in members).encode()).hexdigest()[:8]
        first = members[0]
        found.append(Recurrence(id=f"REC-{first.service}-{first.kind}-{digest}",
                                service=first.service, kind=first.kind, incidents=members))
    return sorted(found, key=Recurrence.rank_key)
