"""The operating numbers: MTTR, autonomous resolution, who let actions run, noise, tickets.

Pure: takes audit records (`AuditLog.records()`) and saved triage bodies, returns a
`Report`. The definitions (also in docs/itsm.md):

- resolved: an incident with a remediation whose recovery was verified (a
  `verification` record with status `recovered`, not undone afterwards);
- MTTR: mean of (verified recovery - first alert) over resolved incidents whose first
  alert is known from a saved triage; the others are counted, not guessed;
- autonomous resolution rate: resolved incidents whose resolving action policy ran by
  itself (approval by `policy`, no person) / all resolved incidents;
- actions auto / approved / denied / proposed: every remediation attempt (a `decision`
  record) by how it ended, so the four shares add up to one;
- alerts: distinct alert fingerprints across the triages (each would have opened a
  ticket in a per-alert integration); incidents: distinct incident ids; noise
  reduction = 1 - incidents / alerts; tickets avoided = alerts - incidents. Counting
  fingerprints and ids (not summing per-file stats) means saving the same page twice,
  or triaging it again a few minutes later, does not double the numbers;
- tickets opened: distinct (system, ticket) pairs that the ticket sync created.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from oncall.errors import InputError
from oncall.itsm.content import views
from oncall.itsm.outcomes import ROUTES, outcomes
from oncall.sources.fields import parse_rfc3339


@dataclass(slots=True)
class IncidentRow:
    id: str
    title: str = ""
    scenario: str = ""
    started_at: datetime | None = None
    resolved_at: datetime | None = None
    resolved_by: str = ""  # "config_revert checkout"
    route: str = ""  # how the resolving action was let run
    attempts: int = 0

    @property
    def minutes(self) -> float | None:
        if self.started_at is None or self.resolved_at is None:
            return None
        return (self.resolved_at - self.started_at).total_seconds() / 60.0

    @property
    def autonomous(self) -> bool:
        return self.resolved_at is not None and self.route == "auto"


@dataclass(slots=True)
class Report:
    incidents: list[IncidentRow] = field(default_factory=list)
    routes: dict[str, int] = field(default_factory=lambda: dict.fromkeys(ROUTES, 0))
    alerts: int = 0
    incidents_seen: int = 0  # distinct incident ids in the triages
    tickets_opened: int = 0
    triages: int = 0
    audit_records: int = 0

    @property
    def resolved(self) -> list[IncidentRow]:
        return [r for r in self.incidents if r.resolved_at is not None]

    @property
    def autonomous(self) -> int:
        return sum(1 for r in self.resolved if r.autonomous)

    @property
    def autonomous_rate(self) -> float | None:
        return self.autonomous / len(self.resolved) if self.resolved else None

    @property
    def repair_minutes(self) -> list[float]:
        return [m for r in self.resolved if (m := r.minutes) is not None]

    @property
    def mttr_minutes(self) -> float | None:
        values = self.repair_minutes
        return statistics.fmean(values) if values else None

    @property
    def median_minutes(self) -> float | None:
        values = self.repair_minutes
        return statistics.median(values) if values else None

    @property
    def resolved_without_start(self) -> int:
        return sum(1 for r in self.resolved if r.started_at is None)

    @property
    def attempts(self) -> int:
        return sum(self.routes.values())

    def share(self, route: str) -> float | None:
        return self.routes[route] / self.attempts if self.attempts else None

    @property
    def noise_reduction(self) -> float | None:
        return 1.0 - self.incidents_seen / self.alerts if self.alerts else None

    @property
    def tickets_avoided(self) -> int:
        return max(0, self.alerts - self.incidents_seen)

    def as_dict(self) -> dict[str, Any]:
        return {
            "incidents": [{
                "id": r.id, "title": r.title, "scenario": r.scenario,
                "started_at": _stamp(r.started_at), "resolved_at": _stamp(r.resolved_at),
                "minutes_to_resolve": _round(r.minutes), "resolved_by": r.resolved_by,
                "route": r.route or None, "autonomous": r.autonomous, "attempts": r.attempts,
            } for r in self.incidents],
            "resolved": len(self.resolved),
            "resolved_without_start": self.resolved_without_start,
            "mttr_minutes": _round(self.mttr_minutes),
            "median_minutes_to_resolve": _round(self.median_minutes),
            "autonomous_resolved": self.autonomous,
            "autonomous_resolution_rate": _round(self.autonomous_rate),
            "actions": {route: {"count": self.routes[route], "share": _round(self.share(route))}
                        for route in ROUTES},
            "alerts": self.alerts,
            "incidents_opened": self.incidents_seen,
            "noise_reduction": _round(self.noise_reduction),
            "tickets_avoided": self.tickets_avoided,
            "tickets_opened": self.tickets_opened,
            "triages": self.triages,
            "audit_records": self.audit_records,
        }


def build_report(records: Iterable[Mapping[str, Any]],
                 triages: Sequence[tuple[str, Mapping[str, Any]]]) -> Report:
    """`triages`: (source name, decoded triage JSON) pairs."""
    record_list = list(records)
    report = Report(triages=len(triages), audit_records=len(record_list))
    rows: dict[str, IncidentRow] = {}
    fingerprints: set[str] = set()
    for source, body in triages:
        for view in views(body, source):
            started = parse_rfc3339(view.started_at) if view.started_at else None
            row = rows.setdefault(view.id, IncidentRow(view.id, view.title, view.scenario))
            if started is not None and (row.started_at is None or started < row.started_at):
                row.started_at = started
            fingerprints.update(view.alerts)
        fingerprints.update(_noise(body, source))
    report.incidents_seen = len(rows)
    report.alerts = len(fingerprints)
    opened: set[tuple[str, str]] = set()
    for incident, state in outcomes(record_list).items():
        for attempt in state.attempts:
            report.routes[attempt.route] += 1
        opened.update((t.system, t.ticket) for t in state.tickets
                      if t.action == "created" and t.ticket)
        if not state.attempts:
            continue
        row = rows.setdefault(incident, IncidentRow(incident))
        row.attempts = len(state.attempts)
        by = state.resolved_by
        if by is not None:
            row.resolved_at = by.verified_at
            row.resolved_by = f"{by.action} {by.target}".strip()
            row.route = by.route
    report.tickets_opened = len(opened)
    report.incidents = sorted(rows.values(), key=lambda r: (
        r.started_at is None, r.started_at.timestamp() if r.started_at else 0.0, r.id))
    return report


def _noise(body: Mapping[str, Any], source: str) -> list[str]:
    noise = body.get("noise", [])
    if not isinstance(noise, list) or not all(isinstance(n, str) for n in noise):
        raise InputError(source, "expected a list of alert fingerprints", field="noise")
    return list(noise)


def _stamp(moment: datetime | None) -> str | None:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ") if moment else None


def _round(value: float | None) -> float | None:
    return round(value, 3) if value is not None else None
