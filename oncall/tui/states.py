"""What the queue says about each move: proposed, approved, running, what came of it.

One function decides it for the State column and the detail pane alike, from what the
session knows, most recent first: a step running now, then what a run did (and a
later undo), then an approval waiting for `x`, then the last preview or refusal, and
otherwise the policy decision the triage computed.
"""

from __future__ import annotations

from dataclasses import dataclass

from oncall.model import Remediation
from oncall.tui.session import Session

STATE_STYLE = {
    "recovered": "bold green", "approved": "bold green", "auto": "bold green",
    "undone": "bold yellow", "previewed": "cyan", "running": "bold cyan",
    "failed": "bold red", "escalated": "bold red", "unverified": "bold red",
    "denied": "red", "refused": "red", "rejected": "red", "blocked": "red",
}
STEP_LABEL = {"previewing": "preview…", "running": "running", "undoing": "undoing"}


@dataclass(frozen=True, slots=True)
class MoveState:
    label: str  # the State column: ten characters at most
    detail: str  # one line for the detail pane ("" when there is nothing to add)

    @property
    def style(self) -> str:
        return STATE_STYLE.get(self.label, "dim")


def move_state(session: Session, incident_id: str, rem: Remediation) -> MoveState:
    busy = session.busy
    if busy is not None and (busy.incident_id, busy.action, busy.target) == (
            incident_id, rem.action, rem.target):
        return MoveState(STEP_LABEL.get(busy.step, "running"), busy.step)
    runner = session.runner
    ran = runner.ran(incident_id, rem) if runner is not None else None
    if ran is not None:
        if ran.undo is not None:
            label = "undone" if ran.undo.ok else "failed"
            return MoveState(label, f"undo {ran.undo.call}: {ran.undo.detail}")
        out = ran.outcome
        again = "; u undoes it" if ran.undoable else ""
        return MoveState(out.status, f"{out.status}: {out.message}{again}")
    approval = session.ledger.get(incident_id, rem)
    if approval is not None:
        if runner is None:
            return MoveState(approval.how, f"{approval.how} in this session; no executor "
                             "ran it")
        return MoveState(approval.how, f"{approval.how}: x runs {approval.call or rem.command}")
    last = runner.last(incident_id, rem) if runner is not None else None
    if last is not None and last.status == "dry_run" and last.preview is not None:
        return MoveState("previewed", f"previewed: {last.preview.call}; a approves it")
    if last is not None:
        return MoveState(last.status, f"{last.status}: {last.message}")
    if rem.decision == "deny":
        return MoveState("blocked", "")
    return MoveState("proposed", "")
