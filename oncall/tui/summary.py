"""The incident list as data: severity, age and counts, ready for a table row.

Ages are measured from the snapshot's `now`, never from the wall clock: a scenario
frozen last month must read "7m" the way it did at page time, and screenshots of it
must not change from one run to the next.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from oncall.model import Incident, Triage

# Alertmanager severities as teams spell them, worst first.
SEVERITY_RANK = {"critical": 0, "page": 0, "high": 1, "error": 1, "major": 1, "warning": 2,
                 "warn": 2, "minor": 3, "info": 4, "informational": 4, "none": 5}
SEVERITY_SHORT = {0: "crit", 1: "high", 2: "warn", 3: "minor", 4: "info", 5: "none"}


@dataclass(frozen=True, slots=True)
class IncidentRow:
    number: int
    incident_id: str
    severity: str  # short form: crit, high, warn, ... or "-"
    tier: str
    age: str
    alerts: int
    services: str
    title: str


def severity(incident: Incident) -> str:
    """The worst severity among the incident's alerts, in its short form."""
    ranks = [SEVERITY_RANK[a.severity] for a in incident.alerts if a.severity in SEVERITY_RANK]
    return SEVERITY_SHORT[min(ranks)] if ranks else "-"


def age(now: datetime, since: datetime) -> str:
    """`7m`, `5h02m`, `3d4h`: compact enough for a narrow column."""
    minutes = max(0, int((now - since).total_seconds() // 60))
    if minutes < 60:
        return f"{minutes}m"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours}h{minutes:02d}m"
    days, hours = divmod(hours, 24)
    return f"{days}d{hours}h"


def incident_rows(result: Triage) -> list[IncidentRow]:
    rows = []
    for number, incident in enumerate(result.incidents, start=1):
        tier = incident.impact.tier if incident.impact else None
        rows.append(IncidentRow(
            number=number,
            incident_id=incident.id,
            severity=severity(incident),
            tier=str(tier) if tier is not None else "-",
            age=age(result.now, incident.started_at),
            alerts=len(incident.alerts),
            services=", ".join(incident.services),
            title=incident.title or ", ".join(incident.services),
        ))
    return rows


def headline(result: Triage) -> str:
    """The one line that says how much reading the triage saved."""
    stats = result.stats
    return (f"{stats.firing} firing alert(s) -> {stats.incidents} incident(s), "
            f"{stats.noise} noise ({stats.reduction:.0%} fewer things to read)")
