"""The remediation keys of the incident screen: `p` preview, `a` approve, `x` run, `u` undo.

The flows live here so the incident screen stays a layout. Every step that calls an
executor or polls metrics runs in a Textual thread worker owned by the app (leaving the
incident screen must not orphan a run half way), one at a time (`Session.busy`), and
reports back with `call_from_thread`; the queue shows the step as it goes.

Policy is checked before anything is asked of the loop, and by the loop again:
`deny` is refused here with its reason and never previewed, the approvals a move needs
are counted (the person plus `--approved-by`) before the typed confirmation is offered,
and `x` runs an `approve` move only with an approval of the exact call. When the
signals do not recover after a move a person approved, the loop asks to undo it; the
worker waits for that answer from the same typed confirmation.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from textual.app import App
from textual.notifications import SeverityLevel
from textual.worker import get_current_worker

from oncall.errors import OncallError
from oncall.model import Incident, Remediation, Snapshot
from oncall.remediate.session import ActOutcome, Confirmation, ConfirmRequest
from oncall.tui.approvals import Approval, gate, without_executor
from oncall.tui.runner import RemediationRunner
from oncall.tui.screens.confirm import ConfirmScreen
from oncall.tui.screens.outcome import OutcomeScreen
from oncall.tui.screens.preview import PreviewScreen, preview_text
from oncall.tui.session import Busy, Session
from oncall.tui.text import clean

NO_EXECUTOR = ("no executor configured (--executor-config, executors.yaml, or executors: in "
               "oncall.yaml; see docs/action.md)")
SEVERITY: dict[str, SeverityLevel] = {
    "recovered": "information", "dry_run": "information", "escalated": "warning",
    "proposed": "warning", "rejected": "warning", "undone": "warning",
}


class RemediationActions:
    """`changed` redraws the queues after a step; `app` runs workers and modals."""

    def __init__(self, app: App[None], session: Session, changed: Callable[[], None]) -> None:
        self.app = app
        self.session = session
        self.changed = changed

    # ---- keys ----------------------------------------------------------------------

    def preview(self, incident: Incident, rem: Remediation) -> None:
        runner = self._runner(rem, f"{NO_EXECUTOR}: nothing to preview; the proposed "
                              f"command is {rem.command or rem.action}")
        if runner is None or not self._allowed(rem) or not self._idle():
            return
        snap = self._snap()
        self._start(incident, rem, "previewing",
                    lambda: self._preview_job(runner, snap, incident, rem))

    def approve(self, incident: Incident, rem: Remediation) -> None:
        if not self._allowed(rem):
            return
        runner = self.session.runner
        if runner is None:
            self._approve_without_executor(incident, rem)
            return
        if not self._enough_approvers(runner, rem) or not self._idle():
            return
        snap = self._snap()
        self._start(incident, rem, "previewing",
                    lambda: self._preview_job(runner, snap, incident, rem, approving=True))

    def run(self, incident: Incident, rem: Remediation) -> None:
        runner = self._runner(rem, f"{NO_EXECUTOR}: run {rem.command or rem.action} yourself")
        if runner is None or not self._allowed(rem) or not self._enough_approvers(runner, rem):
            return
        approval = self.session.ledger.get(incident.id, rem)
        if gate(rem).kind == "confirm" and (approval is None or approval.how != "approved"):
            self._say(f"{rem.action} {rem.target} needs a person's approval first: press a "
                      "to see the call and approve it", "not run", "warning")
            return
        if not self._idle():
            return
        snap = self._snap()
        self._start(incident, rem, "running",
                    lambda: self._run_job(runner, snap, incident, rem, approval))

    def undo(self, incident: Incident, rem: Remediation) -> None:
        runner = self._runner(rem, f"{NO_EXECUTOR}: nothing ran from here, nothing to undo")
        if runner is None or not self._idle():
            return
        ran = runner.ran(incident.id, rem)
        why = "it was not executed from this dashboard" if ran is None else ran.why_not_undoable()
        if ran is None or why:
            self._say(f"nothing to undo for {rem.action} {rem.target}: {why}", "undo",
                      "warning")
            return

        def confirmed(typed: str | None) -> None:
            if typed is None:
                self._say("not undone", "undo", "information")
                return
            self._start(incident, rem, "undoing", lambda: self._undo_job(runner, incident, rem))

        self.app.push_screen(ConfirmScreen(rem, rem.target, preview=ran.outcome.preview,
                                           verb="undo"), callback=confirmed)

    # ---- jobs (worker threads) -------------------------------------------------------

    def _preview_job(self, runner: RemediationRunner, snap: Snapshot, incident: Incident,
                     rem: Remediation, approving: bool = False) -> None:
        outcome = runner.preview(snap, incident, incident.remediations.index(rem))
        self.app.call_from_thread(self._previewed, runner, incident, rem, outcome, approving)

    def _run_job(self, runner: RemediationRunner, snap: Snapshot, incident: Incident,
                 rem: Remediation, approval: Approval | None) -> None:
        index = incident.remediations.index(rem)
        outcome = runner.run(snap, incident, index, approval,
                             lambda request: self._ask_undo(runner, request),
                             self._progress(incident, rem))
        self.app.call_from_thread(self._ran, incident, rem, outcome)

    def _undo_job(self, runner: RemediationRunner, incident: Incident, rem: Remediation) -> None:
        result = runner.undo(incident.id, rem)
        if result is None:
            message, severity = f"{rem.action} {rem.target}: nothing to undo", "warning"
        elif result.ok:
            message, severity = f"undone: {result.call}: {result.detail}", "information"
        else:
            message, severity = f"undo failed: {result.call}: {result.detail}", "error"
        self.app.call_from_thread(self._say, message, "undo", severity)

    def _ask_undo(self, runner: RemediationRunner, request: ConfirmRequest) -> Confirmation:
        """In the worker: the loop asks to undo a move that did not help; the person
        answers in the typed confirmation, and the worker waits for it."""
        rem, actor = request.remediation, runner.actor
        answered = threading.Event()
        typed: list[str | None] = []

        def done(value: str | None) -> None:
            typed.append(value)
            answered.set()

        screen = ConfirmScreen(rem, rem.target, preview=request.preview, verb="undo",
                               note="the signals did not recover; undo puts back what "
                                    "it changed")
        try:
            self.app.call_from_thread(self.app.push_screen, screen, done)
        except RuntimeError:  # the app is closing
            return Confirmation(False, note="the dashboard closed before the undo was confirmed")
        worker = get_current_worker()
        while not answered.wait(0.1):
            if worker.is_cancelled:
                return Confirmation(False, note="the dashboard closed before the undo was "
                                    "confirmed")
        if typed[0] is None:
            return Confirmation(False, note=f"{actor} did not confirm the undo")
        return Confirmation(True, (actor,))

    def _progress(self, incident: Incident, rem: Remediation) -> Callable[[str], None]:
        def report(step: str) -> None:
            self.app.call_from_thread(self._step, Busy(incident.id, rem.action, rem.target,
                                                       step))

        return report

    # ---- back on the UI thread -------------------------------------------------------

    def _previewed(self, runner: RemediationRunner, incident: Incident, rem: Remediation,
                   outcome: ActOutcome, approving: bool) -> None:
        preview = outcome.preview
        if outcome.status != "dry_run" or preview is None:
            self._say(f"{rem.action} {rem.target}: {outcome.status}: {outcome.message}",
                      "nothing to approve" if approving else "preview",
                      SEVERITY.get(outcome.status, "error"))
            return
        if not approving:
            self.app.push_screen(PreviewScreen(preview_text(rem, outcome,
                                                            self._approvals(runner, rem))))
            return
        decision = outcome.decision.decision if outcome.decision else rem.decision
        needs_person = (decision != "auto" or preview.undo_kind == "impossible"
                        or preview.dry_run_ok is False)
        if not needs_person:
            self._record(incident, rem, "", preview.call, False)
            return

        def confirmed(typed: str | None) -> None:
            if typed is None:
                self._say("not approved", "", "information")
                return
            self._record(incident, rem, typed, preview.call, True)

        self.app.push_screen(ConfirmScreen(rem, rem.target, preview=preview,
                                           note=self._approvals(runner, rem)),
                             callback=confirmed)

    def _record(self, incident: Incident, rem: Remediation, typed: str, call: str,
                needs_person: bool) -> None:
        try:
            approval = self.session.ledger.approve(incident.id, rem, typed, call=call,
                                                   needs_person=needs_person)
        except OncallError as exc:
            self._say(str(exc), "not approved", "error")
            return
        self.changed()
        self._say(f"{approval.how}: x runs {call}", approval.how, "information")

    def _ran(self, incident: Incident, rem: Remediation, outcome: ActOutcome) -> None:
        self.session.ledger.withdraw(incident.id, rem)  # an approval is for one run
        self._finish()
        self._say(f"{rem.action} {rem.target}: {outcome.status}: {outcome.message}", "run",
                  SEVERITY.get(outcome.status, "error"))
        self.app.push_screen(OutcomeScreen(rem, outcome))

    def _step(self, busy: Busy) -> None:
        if self.session.busy is not None:
            self.session.busy = busy
            self.changed()

    def _finish(self) -> None:
        self.session.busy = None
        self.changed()

    # ---- helpers -------------------------------------------------------------------

    def _start(self, incident: Incident, rem: Remediation, step: str,
               job: Callable[[], None]) -> None:
        self.session.busy = Busy(incident.id, rem.action, rem.target, step)
        self.changed()

        def work() -> None:
            try:
                job()
            except Exception as exc:  # a notice, not a crash: the dashboard must stay up
                text = " ".join(str(exc).split())
                if not isinstance(exc, OncallError):
                    text = f"{type(exc).__name__}: {text}"
                self.app.call_from_thread(self._say, f"{rem.action} {rem.target}: {text}",
                                          step, "error")
            finally:
                self.app.call_from_thread(self._over)

        self.app.run_worker(work, thread=True, group="remediate", exit_on_error=False)

    def _over(self) -> None:
        """After any job, even a failed one: the step is over (`_ran` may have said so)."""
        if self.session.busy is not None:
            self._finish()

    def _snap(self) -> Snapshot:
        data = self.session.data
        if data is None:
            raise OncallError("no data loaded")
        return data.snapshot

    def _runner(self, rem: Remediation, message: str) -> RemediationRunner | None:
        if self.session.runner is None:
            self._say(message, "no executor", "warning")
        return self.session.runner

    def _allowed(self, rem: Remediation) -> bool:
        verdict = gate(rem)
        if verdict.kind == "refused":
            self._say(f"{rem.action} {rem.target}: policy says {rem.decision}; "
                      f"{verdict.reason}", "not allowed", "error")
            return False
        return True

    def _idle(self) -> bool:
        if self.session.busy is not None:
            self._say(f"one step at a time: {self.session.busy.describe()}", "busy", "warning")
            return False
        return True

    def _enough_approvers(self, runner: RemediationRunner, rem: Remediation) -> bool:
        needed = runner.approvals_needed(self._snap(), rem.decision)
        have = runner.approvers()
        if len(have) >= needed:
            return True
        self._say(f"policy needs {needed} approvers for {rem.action} {rem.target}; you and "
                  f"--approved-by give {len(have)} ({', '.join(have)}): start the dashboard "
                  "with --approved-by NAME for each further approver", "not enough approvers",
                  "error")
        return False

    def _approvals(self, runner: RemediationRunner, rem: Remediation) -> str:
        needed = runner.approvals_needed(self._snap(), rem.decision)
        if gate(rem).kind != "confirm":
            return "auto by policy: none needed when it can be undone and its dry run passed"
        return (f"{needed} needed; approvers: {', '.join(runner.approvers())} (you, then "
                "the --approved-by names you attest)")

    def _approve_without_executor(self, incident: Incident, rem: Remediation) -> None:
        """No executors: the approval is recorded, and the person runs the command."""
        verdict = gate(rem)
        if verdict.kind == "auto":
            self._record_only(incident, rem, "")
            return

        def confirmed(typed: str | None) -> None:
            if typed is None:
                self._say("not approved", "", "information")
                return
            self._record_only(incident, rem, typed)

        self.app.push_screen(ConfirmScreen(rem, verdict.phrase), callback=confirmed)

    def _record_only(self, incident: Incident, rem: Remediation, typed: str) -> None:
        try:
            approval = self.session.ledger.approve(incident.id, rem, typed)
        except OncallError as exc:
            self._say(str(exc), "not approved", "error")
            return
        self.changed()
        self._say(without_executor(approval), approval.how, "information", timeout=12)

    def _say(self, message: str, title: str, severity: SeverityLevel,
             timeout: float | None = None) -> None:
        self.app.notify(clean(message, limit=400), title=title, severity=severity,
                        markup=False, timeout=timeout if timeout is not None else 8)
