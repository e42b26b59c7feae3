"""The incident's header: title, owner and escalation, impact, in three lines or fewer."""

from __future__ import annotations

from datetime import datetime

from rich.text import Text
from textual.widgets import Static

from oncall.model import Incident
from oncall.tui.summary import age, severity
from oncall.tui.text import safe


def summary_text(incident: Incident, now: datetime) -> Text:
    text = safe(incident.title or ", ".join(incident.services), style="bold", limit=200)
    text.append("\n")
    text.append(f"{severity(incident)} · {age(now, incident.started_at)} · "
                f"{len(incident.alerts)} alert(s) · owner ")
    text.append(safe(incident.owner or "unknown", style="bold", limit=60))
    if incident.escalation:
        text.append(" · escalate ")
        text.append(safe(incident.escalation, limit=60))
    if incident.impact:
        text.append("\n")
        text.append(safe(incident.impact.summary, style="dim", limit=400))
    return text


class IncidentSummary(Static):
    """Static text; the incident screen rebuilds it when a reload changes the incident."""

    def __init__(self, incident: Incident, now: datetime) -> None:
        super().__init__(summary_text(incident, now), id="summary")
