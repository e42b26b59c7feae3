"""Approving a remediation: the policy decision the triage computed is the only gate.

The dashboard never decides anything itself. `deny` (and any decision it does not
know) is refused with the policy's reason; `approve` needs the person to type the
target's name, so a stray key press cannot approve a rollback; `auto` is recorded as
allowed by policy. The ledger enforces this, not the screens, so no UI path can skip
it.

Nothing runs from here. Without executors, the approval is recorded (in the audit log
when the ledger has one: if the record cannot be written, the approval is refused, since
an unaudited approval did not happen) and the person is told to run the command
themselves. With executors (`runner.RemediationRunner`), an approval keeps the exact
call the person was shown, and the action loop records it when the move runs, as
`oncall act` does; that ledger has no audit log of its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from oncall.audit import AuditLog
from oncall.errors import OncallError
from oncall.model import Remediation

How = Literal["approved", "auto"]


class ApprovalRefused(OncallError):
    """The policy decision, or the typed confirmation, does not allow this approval."""


@dataclass(frozen=True, slots=True)
class Gate:
    """What approving one remediation takes: refused, auto, or a typed confirmation."""

    kind: Literal["refused", "auto", "confirm"]
    reason: str
    phrase: str = ""  # what the person must type when kind == "confirm"


@dataclass(frozen=True, slots=True)
class Approval:
    incident_id: str
    action: str
    target: str
    command: str
    how: How
    reason: str  # the policy's reason, kept with the approval for the record
    call: str = ""  # the exact call previewed and approved (with executors)


def gate(remediation: Remediation, needs_person: bool = False) -> Gate:
    """`needs_person`: an `auto` move the loop would not run by policy alone (its call
    cannot be undone, or its dry run failed) takes a typed confirmation too."""
    reason = remediation.reason or f"policy decision: {remediation.decision}"
    if remediation.decision == "auto" and not needs_person:
        return Gate("auto", reason)
    if remediation.decision in ("approve", "auto"):
        return Gate("confirm", reason, phrase=remediation.target)
    return Gate("refused", reason)


class ApprovalLedger:
    """The approvals given in this dashboard session, one per incident/action/target."""

    def __init__(self, audit: AuditLog | None = None) -> None:
        self.audit = audit
        self._approvals: dict[tuple[str, str, str], Approval] = {}

    def approve(self, incident_id: str, remediation: Remediation, typed: str = "", *,
                call: str = "", needs_person: bool = False) -> Approval:
        verdict = gate(remediation, needs_person)
        if verdict.kind == "refused":
            raise ApprovalRefused(f"{remediation.action} {remediation.target} is "
                                  f"{remediation.decision or 'undecided'} by policy: "
                                  f"{verdict.reason}")
        if verdict.kind == "confirm" and typed.strip() != verdict.phrase:
            raise ApprovalRefused(f"confirmation does not match: type {verdict.phrase!r} "
                                  f"to approve {remediation.action} {remediation.target}")
        how: How = "auto" if verdict.kind == "auto" else "approved"
        approval = Approval(incident_id, remediation.action, remediation.target,
                            remediation.command, how, verdict.reason, call)
        if self.audit is not None:
            self.audit.append("approval", {
                "action": approval.action, "target": approval.target,
                "command": approval.command, "decision": remediation.decision,
                "reason": approval.reason, "how": how, "via": "dashboard",
            }, incident=incident_id)
        self._approvals[_key(incident_id, remediation)] = approval
        return approval

    def get(self, incident_id: str, remediation: Remediation) -> Approval | None:
        return self._approvals.get(_key(incident_id, remediation))

    def all(self) -> list[Approval]:
        return list(self._approvals.values())

    def withdraw(self, incident_id: str, remediation: Remediation) -> None:
        """Forgets an approval once it was used or went stale (the call changed)."""
        self._approvals.pop(_key(incident_id, remediation), None)


def without_executor(approval: Approval) -> str:
    """What the person is told when no executor is configured: the next step is theirs."""
    command = approval.command or f"{approval.action} {approval.target}"
    what = "approved" if approval.how == "approved" else "auto by policy"
    return f"{what}, no executor configured: run {command} yourself"


def _key(incident_id: str, remediation: Remediation) -> tuple[str, str, str]:
    return (incident_id, remediation.action, remediation.target)
