"""The state one dashboard run shares across screens: data, approvals, the runner.

Screens receive the session rather than reaching into the app, so each can be built
and tested with a hand-made triage. The data is replaced on every successful reload;
approvals stay, keyed by incident, action and target, so a refresh does not forget
what a person already approved. `runner` is None when no executor is configured: the
dashboard then approves and the person runs the command.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from oncall.model import Incident
from oncall.tui.approvals import ApprovalLedger
from oncall.tui.data import DashboardData
from oncall.tui.runner import RemediationRunner


@dataclass(frozen=True, slots=True)
class Busy:
    """The remediation step running now; one at a time, as at a terminal."""

    incident_id: str
    action: str
    target: str
    step: str  # previewing | running | undoing, then the latest progress ("verifying: poll 2")

    def describe(self) -> str:
        return f"{self.action} {self.target}: {self.step}"


@dataclass(slots=True)
class Session:
    data: DashboardData | None = None
    runner: RemediationRunner | None = None
    ledger: ApprovalLedger = field(default_factory=ApprovalLedger)
    load_error: str = ""  # why the last load failed, shown where the data would be
    busy: Busy | None = None

    def incident(self, incident_id: str) -> Incident | None:
        if self.data is None:
            return None
        for incident in self.data.triage.incidents:
            if incident.id == incident_id:
                return incident
        return None
