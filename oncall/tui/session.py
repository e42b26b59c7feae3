"""The state one dashboard run shares across screens: data, approvals, the executor.

Screens receive the session rather than reaching into the app, so each can be built
and tested with a hand-made triage. The data is replaced on every successful reload;
approvals stay, keyed by incident, action and target, so a refresh does not forget
what a person already approved.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from oncall.model import Incident
from oncall.tui.approvals import ApprovalLedger, Executor
from oncall.tui.data import DashboardData


@dataclass(slots=True)
class Session:
    data: DashboardData | None = None
    executor: Executor | None = None
    ledger: ApprovalLedger = field(default_factory=ApprovalLedger)
    load_error: str = ""  # why the last load failed, shown where the data would be

    def incident(self, incident_id: str) -> Incident | None:
        if self.data is None:
            return None
        for incident in self.data.triage.incidents:
            if incident.id == incident_id:
                return incident
        return None
