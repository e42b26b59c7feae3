"""Acting from the dashboard through the very loop `oncall act` runs, not a copy of it.

The dashboard splits what `oncall act` does in one go across keys: `p` previews, `a`
approves, `x` runs, `u` undoes. Each key drives `oncall.remediate.session.ActSession`
with the same policy, executors (`Router`) and audit log, so the log reads the same
events as for the CLI: a preview is `oncall act --dry-run` (decision, the preview note,
the outcome note); a run is `oncall act` after the person has confirmed (decision,
preview, approval, execution, verification, undo or escalation when it did not help).

What a person approved in the dashboard is the exact call they were shown. When `x`
runs, the session previews again right before executing and asks for confirmation;
the answer is yes only if that fresh call is the one approved, so what runs is what
was previewed (a replica count that changed in between means approving again).
Approvers are the person at the dashboard plus the `--approved-by` names, counted by
the session against `approvers.min` as for the CLI (`oncall.remediate.approvals`: one
person however the name is cased or spaced; a blank name is nobody).

Everything here blocks (executors call out, verification polls): the screens call it
from Textual thread workers. One session per incident keeps proposals to one record
per triage, as one `oncall act` run does; a reload brings a new triage and a new one.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace

import httpx

from oncall.audit import AuditLog
from oncall.model import Incident, MetricSeries, Remediation, Snapshot
from oncall.remediate.approvals import approvals_needed, distinct_approvers
from oncall.remediate.executors import ExecutorConfig, Result, Router, build_request
from oncall.remediate.session import (
    ActOutcome,
    ActSession,
    ActSettings,
    Confirm,
    Confirmation,
    ConfirmRequest,
    Verifier,
)
from oncall.remediate.verify_loop import MetricsReader
from oncall.tui.approvals import Approval

VerifierFactory = Callable[[Snapshot], Verifier]  # a fresh one per run (replays restart)
Progress = Callable[[str], None]


@dataclass(frozen=True, slots=True)
class Ran:
    """A move this dashboard executed, with what its undo needs from that moment."""

    snap: Snapshot
    incident: Incident
    index: int
    outcome: ActOutcome
    undo: Result | None = None  # a later `u`

    @property
    def undoable(self) -> bool:
        return not self.why_not_undoable()

    def why_not_undoable(self) -> str:
        """"" when `u` may undo it: executed, reversible by its executor, not undone yet."""
        out = self.outcome
        if (self.undo is not None and self.undo.ok) or (out.undo is not None and out.undo.ok):
            return "it was already undone"
        if out.result is None or not out.result.ok or out.preview is None:
            return f"it did not execute ({out.status})"
        if out.preview.undo_kind != "undo":
            return f"its executor cannot undo it ({out.preview.undo})"
        return ""


class DashboardSession(ActSession):
    """`ActSession` with the settings of each key press, and undo as its own step.

    `oncall act` undoes inside the loop, right after verification fails; the dashboard
    also lets a person undo a move later (it recovered, then did harm; or the undo was
    declined at first). That goes through the loop's own undo step, so it is confirmed
    and audited (an `approval` of the undo, then the `undo` record) the same way.
    """

    def use(self, settings: ActSettings, verifier: Verifier | None = None) -> None:
        self.settings = settings
        if verifier is not None:
            self.verifier = verifier

    def undo_executed(self, index: int, outcome: ActOutcome) -> Result | None:
        if outcome.decision is None or outcome.preview is None or outcome.result is None:
            raise ValueError("only an executed move can be undone")
        rem = self.incident.remediations[index]
        request = build_request(rem, self.incident, self.snap)
        executor = self.router.route(request)
        return self._undo(rem, outcome.decision, request, executor, outcome.preview,
                          outcome.result)


class RemediationRunner:
    """The executors, the audit log and the approvers of one dashboard run."""

    def __init__(self, config: ExecutorConfig, audit: AuditLog, verifier: VerifierFactory, *,
                 approved_by: Sequence[str] = (),
                 clients: Mapping[str, httpx.Client] | None = None) -> None:
        self.config = config
        self.audit = audit
        self.verifier = verifier
        self.approved_by = tuple(approved_by)
        self.router = Router(config, clients=clients)
        self._sessions: dict[str, DashboardSession] = {}
        self._ran: dict[tuple[str, str, str], Ran] = {}
        self._last: dict[tuple[str, str, str], ActOutcome] = {}

    @property
    def actor(self) -> str:
        return self.audit.actor

    def approvers(self) -> list[str]:
        """Who approves a move confirmed here: the person, then the names they attest,
        each person once (as the session counts them)."""
        return distinct_approvers((self.actor,), self.approved_by)

    @staticmethod
    def approvals_needed(snap: Snapshot, decision: str) -> int:
        return approvals_needed(snap.policy, decision)

    def preview(self, snap: Snapshot, incident: Incident, index: int) -> ActOutcome:
        """The dry run: the exact call and what the dry run said; nothing executes."""
        session = self._session(snap, incident)
        session.use(ActSettings(dry_run=True))
        return self._remember(incident, index, session.act(index))

    def run(self, snap: Snapshot, incident: Incident, index: int, approval: Approval | None,
            ask_undo: Confirm, progress: Progress | None = None) -> ActOutcome:
        """Runs the move through the loop: policy again, preview, confirmation (the
        approval given here, which must be for this exact call), execution, verification
        and, when the signals did not recover, undo (asked of the person through
        `ask_undo` unless policy let the move run by itself) and escalation."""
        session = self._session(snap, incident)
        settings = ActSettings(yes=True, confirm=self._confirm(approval, ask_undo),
                               approvers=self.approved_by)
        verifier = self.verifier(snap)
        if progress is not None:
            verifier = replace(verifier, reader=_reporting(verifier.reader, progress))
        session.use(settings, verifier)
        outcome = self._remember(incident, index, session.act(index))
        if outcome.executed:
            self._ran[_key(incident.id, incident.remediations[index])] = Ran(
                snap, incident, index, outcome)
        return outcome

    def undo(self, incident_id: str, remediation: Remediation) -> Result | None:
        """Undoes an executed move the person has just confirmed undoing; None when
        its executor has nothing to undo (the loop records that as a note)."""
        key = _key(incident_id, remediation)
        ran = self._ran.get(key)
        if ran is None or not ran.undoable:
            raise ValueError(f"{remediation.action} {remediation.target} has nothing to undo")
        session = DashboardSession(ran.snap, ran.incident, self.router, self.audit,
                                   ActSettings(confirm=self._person), self.verifier(ran.snap))
        result = session.undo_executed(ran.index, ran.outcome)
        self._ran[key] = replace(ran, undo=result)
        return result

    def ran(self, incident_id: str, remediation: Remediation) -> Ran | None:
        return self._ran.get(_key(incident_id, remediation))

    def last(self, incident_id: str, remediation: Remediation) -> ActOutcome | None:
        """The last outcome of a preview or run of this move in this dashboard."""
        return self._last.get(_key(incident_id, remediation))

    def close(self) -> None:
        self.router.close()

    # ----------------------------------------------------------------------------

    def _session(self, snap: Snapshot, incident: Incident) -> DashboardSession:
        session = self._sessions.get(incident.id)
        if session is None or session.snap is not snap:
            session = DashboardSession(snap, incident, self.router, self.audit, ActSettings(),
                                       self.verifier(snap))
            self._sessions[incident.id] = session
        return session

    def _remember(self, incident: Incident, index: int, outcome: ActOutcome) -> ActOutcome:
        if 0 <= index < len(incident.remediations):
            self._last[_key(incident.id, incident.remediations[index])] = outcome
        return outcome

    def _confirm(self, approval: Approval | None, ask_undo: Confirm) -> Confirm:
        def confirm(request: ConfirmRequest) -> Confirmation:
            if request.undo:
                return ask_undo(request)
            rem = request.remediation
            if approval is None or approval.how != "approved":
                return Confirmation(False, note=f"{rem.action} {rem.target} needs a person: "
                                    "it was not approved in the dashboard (a)")
            if approval.call != request.preview.call:
                return Confirmation(False, note=f"the call changed since it was approved "
                                    f"({approval.call} -> {request.preview.call}): approve "
                                    "it again")
            return Confirmation(True, (self.actor,))

        return confirm

    def _person(self, request: ConfirmRequest) -> Confirmation:
        """`u` asks before the worker starts; reaching the loop means the person typed it."""
        if request.undo:
            return Confirmation(True, (self.actor,))
        return Confirmation(False, note="only an undo is confirmed here")


def _reporting(reader: MetricsReader | None, progress: Progress) -> MetricsReader | None:
    """The reader, saying each verification poll as it happens (the window can be long)."""
    if reader is None:
        return None
    polls = 0

    def read(services: list[str]) -> list[MetricSeries]:
        nonlocal polls
        polls += 1
        progress(f"verifying: poll {polls}")
        return reader(services)

    return read


def _key(incident_id: str, remediation: Remediation) -> tuple[str, str, str]:
    return (incident_id, remediation.action, remediation.target)
