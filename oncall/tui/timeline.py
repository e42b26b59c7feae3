"""One incident's timeline: alerts, the changes that could explain them, anomaly onsets.

Reading the order of events is how a responder checks a hypothesis ("the config push
landed two minutes before p95 left its baseline"), so the timeline puts the three on
one clock. Changes are those on a service of the incident or its blast radius in the
lookback window, plus any change a hypothesis names wherever it sits; onsets come from
the same metric analysis the ranking used, for the services the incident touches.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from oncall.analyze.metrics import analyze_metrics
from oncall.model import Incident, Snapshot

# A change older than this before the first alert is rarely the cause of a page.
CHANGE_LOOKBACK = timedelta(hours=2)
KIND_ORDER = {"change": 0, "onset": 1, "alert": 2, "now": 3}


@dataclass(frozen=True, slots=True)
class Entry:
    at: datetime
    kind: str  # change | onset | alert | now
    service: str
    text: str
    suspect: bool = False  # a change some hypothesis names


def incident_timeline(incident: Incident, snap: Snapshot) -> list[Entry]:
    """Every entry, oldest first; at equal times a change sorts before what it caused."""
    entries = [*_alerts(incident), *_changes(incident, snap), *_onsets(incident, snap)]
    entries.append(Entry(snap.now, "now", "", "page time (the snapshot's now)"))
    return sorted(entries, key=lambda e: (e.at, KIND_ORDER.get(e.kind, 9), e.service, e.text))


def relative(at: datetime, origin: datetime) -> str:
    """`T-8m`, `T+0m`, `T+1h05m` against the incident's first alert."""
    seconds = (at - origin).total_seconds()
    sign = "-" if seconds < 0 else "+"
    minutes = int(abs(seconds) // 60)
    if minutes < 60:
        return f"T{sign}{minutes}m"
    return f"T{sign}{minutes // 60}h{minutes % 60:02d}m"


def _alerts(incident: Incident) -> list[Entry]:
    out = []
    for alert in incident.alerts:
        sev = f" [{alert.severity}]" if alert.severity else ""
        pod = f" pod {alert.pod}" if alert.pod else ""
        out.append(Entry(alert.starts_at, "alert", alert.service or "",
                         f"{alert.name}{sev}{pod}"))
    return out


def _changes(incident: Incident, snap: Snapshot) -> list[Entry]:
    named = {h.change for h in incident.hypotheses if h.change}
    near = {*incident.services, *(h.service for h in incident.hypotheses)}
    if incident.impact:
        near.update(incident.impact.blast_radius)
    since = incident.started_at - CHANGE_LOOKBACK
    out = []
    for change in snap.changes or ():
        if change.id in named or (change.service in near and change.at >= since):
            by = f" by {change.author}" if change.author else ""
            out.append(Entry(change.at, "change", change.service,
                             f"{change.id} ({change.kind}){by}: {change.summary}",
                             suspect=change.id in named))
    return out


def _onsets(incident: Incident, snap: Snapshot) -> list[Entry]:
    if not snap.metrics:
        return []
    services = {*incident.services, *(h.service for h in incident.hypotheses)}
    wanted = [s for s in snap.metrics if s.service in services]
    out = []
    for service, anomalies in analyze_metrics(wanted, incident.started_at.timestamp()).items():
        for anomaly in anomalies:
            if anomaly.onset is None:
                continue
            at = datetime.fromtimestamp(anomaly.onset, UTC)
            out.append(Entry(at, "onset", service,
                             f"{anomaly.signal} left its baseline: {anomaly.baseline:.3g} -> "
                             f"{anomaly.peak:.3g}"))
    return out
