"""The action loop for one incident: propose, decide, confirm, execute, verify, undo/escalate.

Every step is one audit record (`oncall.audit`), written before the next step starts,
with the actor and the time, so the log shows what was proposed, what policy said, who
approved, the exact call, what it returned, whether the signals recovered and what was
undone. The rules, in the order they are checked:

1. Policy decides at page time (the scenario's `now`) *and* at the moment of acting; the
   stricter decision holds, so a freeze in force at either moment is respected.
2. `deny` never runs. Autonomy `assist` runs nothing: oncall proposes only.
3. The target must pass `build_request` (DNS-1123 names, a catalog entity): text in an
   alert, a log line or a runbook can change neither the action nor its target, because
   only the planner's remediations reach here and every value is validated again.
4. An executor must be configured for the action, and its preview (the exact call and a
   dry run) must succeed before anyone is asked.
5. `auto` runs without a question only with `--yes` (`ActSettings.yes`), only when the dry
   run did not fail and the call can be undone or needs no undo. Everything else needs
   a person (`confirm`); `approve` also needs `approvers_min` distinct approvers
   (`oncall.remediate.approvals`: names compared case-folded, blanks never count); too
   few is a refusal, not a person's choice. Without a person at a terminal
   (`confirm is None`) nothing that needs one runs.
6. After executing, the signals are verified. If they do not recover, the change is
   undone (by itself when policy let it run by itself, else only when a person confirms
   the undo), and the escalation is recorded; the owners are paged when a pager (an
   `escalate` route) is configured, policy lets it run by itself and the call succeeds.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from oncall.audit import AuditLog
from oncall.errors import OncallError
from oncall.model import Incident, Policy, PolicyDecision, Remediation, Snapshot
from oncall.remediate.approvals import approvals_needed, distinct_approvers
from oncall.remediate.executors.base import ActionRequest, Executor, Preview, Refused, Result
from oncall.remediate.executors.request import build_request
from oncall.remediate.executors.router import Router
from oncall.remediate.policy import decide
from oncall.remediate.verify_loop import (
    DEFAULT_CONSECUTIVE,
    DEFAULT_INTERVAL_SECONDS,
    MetricsReader,
    VerifyOutcome,
    parse_targets,
    verify_recovery,
)

_STRICTNESS = {"auto": 0, "approve": 1, "deny": 2}
POLICY_ACTOR = "policy"


@dataclass(frozen=True, slots=True)
class ConfirmRequest:
    """What a person is asked to confirm: the move, policy's word and the exact call."""

    incident: str
    remediation: Remediation
    decision: PolicyDecision
    preview: Preview
    approvals_needed: int
    undo: bool = False  # True: confirming the undo of a change that did not help


@dataclass(frozen=True, slots=True)
class Confirmation:
    approved: bool
    approvers: tuple[str, ...] = ()  # the confirming person first
    note: str = ""


Confirm = Callable[[ConfirmRequest], Confirmation]


@dataclass(slots=True)
class Verifier:
    """How recovery is watched: the reader and its clock (a replay has a virtual one)."""

    reader: MetricsReader | None
    clock: Callable[[], float] = time.time
    sleep: Callable[[float], None] = time.sleep
    interval_seconds: float = DEFAULT_INTERVAL_SECONDS
    consecutive: int = DEFAULT_CONSECUTIVE
    timeout_seconds: float | None = None  # default: the remediation's verify window


@dataclass(slots=True)
class ActSettings:
    yes: bool = False  # run what policy says `auto` without asking
    dry_run: bool = False  # preview only
    confirm: Confirm | None = None  # None: no person at a terminal
    approvers: tuple[str, ...] = ()  # further approvals the actor attests (--approved-by)
    now: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))


@dataclass(slots=True)
class ActOutcome:
    """How the loop ended. `status`: proposed, denied, refused (no executor, an invalid
    target, too few approvers), dry_run, rejected (the person did not confirm), failed,
    recovered, unverified, undone, escalated."""

    status: str
    message: str
    decision: PolicyDecision | None = None
    preview: Preview | None = None
    result: Result | None = None
    verification: VerifyOutcome | None = None
    undo: Result | None = None

    @property
    def executed(self) -> bool:
        return self.result is not None


class ActSession:
    """One incident's remediations, acted on one at a time."""

    def __init__(self, snap: Snapshot, incident: Incident, router: Router, audit: AuditLog,
                 settings: ActSettings, verifier: Verifier) -> None:
        self.snap = snap
        self.incident = incident
        self.router = router
        self.audit = audit
        self.settings = settings
        self.verifier = verifier
        self.policy = snap.policy or Policy()
        self._proposed = False

    # ---- public --------------------------------------------------------------------

    def propose(self) -> None:
        """One `proposal` record per remediation (once per session)."""
        if self._proposed:
            return
        self._proposed = True
        for rank, rem in enumerate(self.incident.remediations, start=1):
            self._log("proposal", {"rank": rank, "action": rem.action, "target": rem.target,
                                   "risk": rem.risk, "reversible": rem.reversible,
                                   "command": rem.command, "decision": rem.decision,
                                   "verify": rem.verify})

    def decision(self, rem: Remediation) -> PolicyDecision:
        """The stricter of policy's decision at page time and at the moment of acting."""
        at_page = decide(rem.action, self.policy, self.snap.now)
        acting_at = self.settings.now()
        now = decide(rem.action, self.policy, acting_at)
        if _STRICTNESS.get(now.decision, 2) > _STRICTNESS.get(at_page.decision, 2):
            return PolicyDecision(now.decision, f"{now.reason} (now, "
                                  f"{acting_at.astimezone(UTC):%Y-%m-%d %H:%M}Z)")
        return at_page

    def act(self, index: int) -> ActOutcome:
        """Runs the loop for the remediation at `index` (0-based, as ranked)."""
        self.propose()
        if not 0 <= index < len(self.incident.remediations):
            raise Refused(f"there is no remediation #{index + 1} for {self.incident.id}")
        rem = self.incident.remediations[index]
        verdict = self.decision(rem)
        self._log("decision", {"action": rem.action, "target": rem.target,
                               "decision": verdict.decision, "reason": verdict.reason})
        if verdict.decision not in ("auto", "approve"):
            return self._stop("denied", f"policy denies {rem.action}: {verdict.reason}",
                              verdict)
        if self.policy.autonomy == "assist":
            return self._stop("proposed", "autonomy is assist: oncall proposes, a person acts "
                              "(set autonomy: execute in policy.yaml to let it act)", verdict)
        try:
            request = build_request(rem, self.incident, self.snap)
            if rem.action == "escalate" and not self.router.has_route("escalate"):
                if self.settings.dry_run:
                    return self._stop("dry_run", "dry run: no pager is configured; acting "
                                      f"would record an escalation to {self._who()}", verdict)
                return self._escalate_by_record(rem, verdict)
            executor = self.router.route(request)
            if not self.settings.dry_run and self.settings.confirm is None and not (
                    verdict.decision == "auto" and self.settings.yes):
                return self._nobody(verdict, None)
            preview = executor.preview(request)
        except OncallError as exc:
            status = "refused" if isinstance(exc, Refused) else "failed"
            return self._stop(status, f"nothing ran: {exc}", verdict)
        self._log("note", {"preview": preview.as_dict(), "action": rem.action,
                           "target": rem.target})
        if self.settings.dry_run:
            return self._stop("dry_run", "dry run: nothing was executed", verdict, preview)
        refusal = self._authorize(rem, verdict, preview)
        if refusal is not None:
            return refusal
        return self._run(rem, verdict, request, executor, preview)

    # ---- steps ---------------------------------------------------------------------

    def _authorize(self, rem: Remediation, verdict: PolicyDecision,
                   preview: Preview) -> ActOutcome | None:
        """None when the call may run (and the approval is logged), else the outcome."""
        by_policy = (verdict.decision == "auto" and self.settings.yes
                     and preview.undo_kind != "impossible" and preview.dry_run_ok is not False)
        if by_policy:
            self._log("approval", {"action": rem.action, "target": rem.target,
                                   "by": POLICY_ACTOR, "reason": verdict.reason},
                      actor=POLICY_ACTOR)
            return None
        needed = approvals_needed(self.policy, verdict.decision)
        if self.settings.confirm is None:
            return self._nobody(verdict, preview)
        answer = self.settings.confirm(ConfirmRequest(self.incident.id, rem, verdict, preview,
                                                      needed))
        if not answer.approved:
            self._log("rejection", {"action": rem.action, "target": rem.target,
                                    "reason": answer.note or "not confirmed"})
            return ActOutcome("rejected", "not confirmed: nothing ran", verdict, preview)
        approvers = distinct_approvers(answer.approvers, self.settings.approvers)
        if len(approvers) < needed:
            reason = (f"approval missing: policy needs {needed} distinct approver(s), have "
                      f"{len(approvers)} ({', '.join(approvers) or 'none'})")
            self._log("rejection", {"action": rem.action, "target": rem.target,
                                    "reason": reason})
            return ActOutcome("refused", f"{reason}: nothing ran", verdict, preview)
        self._log("approval", {"action": rem.action, "target": rem.target,
                               "approvers": approvers, "decision": verdict.decision,
                               "groups": list(self.policy.approver_groups)})
        return None

    def _nobody(self, verdict: PolicyDecision, preview: Preview | None) -> ActOutcome:
        """A person is needed and none is at a terminal: propose only, saying why."""
        why = ("policy requires approval by a person" if verdict.decision == "approve"
               else "no --yes was given" if not self.settings.yes
               else "the call cannot be undone" if preview and preview.undo_kind == "impossible"
               else "its dry run failed")
        return self._stop("proposed", f"not executed: {why}, and there is no person at a "
                          "terminal to confirm (run `oncall act` interactively)", verdict, preview)

    def _run(self, rem: Remediation, verdict: PolicyDecision, request: ActionRequest,
             executor: Executor, preview: Preview) -> ActOutcome:
        started = self.verifier.clock()
        try:
            result = executor.execute(request)
        except OncallError as exc:
            result = Result(False, preview.call, str(exc))
        self._log("execution", {"action": rem.action, "target": rem.target,
                                "executor": preview.executor, **result.as_dict()})
        if not result.ok:
            paged = self._page(rem, f"{rem.action} on {rem.target} failed: "
                               f"{result.detail[:300]}")
            return ActOutcome("failed", f"execution failed: {result.detail[:300]}; {paged}",
                              verdict, preview, result)
        if rem.action == "escalate":
            return ActOutcome("escalated", "the owners were paged", verdict, preview, result)
        check = self._verify(rem, started)
        self._log("verification", {"action": rem.action, "target": rem.target,
                                   **check.as_dict()})
        out = ActOutcome("recovered", check.reason, verdict, preview, result, check)
        if check.recovered:
            return out
        if check.status == "no_targets":
            out.status = "unverified"
            paged = self._page(rem, f"{rem.action} ran on {rem.target}; {check.reason}")
            out.message = f"{check.reason}; {paged}"
            return out
        out.undo = self._undo(rem, verdict, request, executor, preview, result)
        out.status = "undone" if out.undo is not None and out.undo.ok else "escalated"
        undone = ("undone" if out.status == "undone" else "left in place")
        paged = self._page(rem, f"{rem.action} on {rem.target} did not restore the signals "
                           f"({check.reason}); change {undone}")
        out.message = f"{check.reason}; the change was {undone}; {paged}"
        return out

    def _verify(self, rem: Remediation, started: float) -> VerifyOutcome:
        v = self.verifier
        targets = parse_targets(rem.target, rem.verify)
        if v.reader is None:
            return verify_recovery([], lambda _s: [], since=started, timeout_seconds=0)
        timeout = v.timeout_seconds or rem.verify_within_minutes * 60.0
        return verify_recovery(targets, v.reader, since=started, timeout_seconds=timeout,
                               interval_seconds=v.interval_seconds, consecutive=v.consecutive,
                               clock=v.clock, sleep=v.sleep)

    def _undo(self, rem: Remediation, verdict: PolicyDecision, request: ActionRequest,
              executor: Executor, preview: Preview, result: Result) -> Result | None:
        if preview.undo_kind != "undo":
            self._log("note", {"action": rem.action, "target": rem.target,
                               "undo": f"not undone: {preview.undo}"})
            return None
        if verdict.decision != "auto" or not self.settings.yes:
            confirm = self.settings.confirm
            answer = (confirm(ConfirmRequest(self.incident.id, rem, verdict, preview, 1, True))
                      if confirm else Confirmation(False, note="no person to confirm the undo"))
            if not answer.approved:
                self._log("rejection", {"action": f"undo {rem.action}", "target": rem.target,
                                        "reason": answer.note or "undo not confirmed"})
                return None
            self._log("approval", {"action": f"undo {rem.action}", "target": rem.target,
                                   "approvers": list(answer.approvers)})
        try:
            undone = executor.undo(request, result)
        except OncallError as exc:
            undone = Result(False, preview.undo, str(exc))
        self._log("undo", {"action": rem.action, "target": rem.target, **undone.as_dict()})
        return undone

    def _page(self, rem: Remediation, reason: str) -> str:
        """Escalation: always an audit record naming who to page; also the configured
        pager (an `escalate` route), when there is one and policy lets escalation run by
        itself (a policy that says `escalate: approve` gets the record, not the call).
        Returns what happened, for the outcome message: "paged" only when the pager
        call succeeded."""
        data: dict[str, Any] = {"target": rem.target, "reason": reason,
                                "owner": self.incident.owner,
                                "escalation": self.incident.escalation}
        paging = self.decision(replace(rem, action="escalate"))
        who = self._who()
        if not self.router.has_route("escalate"):
            said = f"the escalation was recorded; no pager is configured: call {who}"
        elif paging.decision != "auto":
            data["page"] = {"ok": False, "detail": f"pager not called: {paging.reason}"}
            said = (f"the escalation was recorded; the pager was not called "
                    f"({paging.reason}): call {who}")
        else:
            try:
                request = ActionRequest("escalate", rem.target, self.incident.id)
                data["page"] = self.router.route(request).execute(request).as_dict()
            except OncallError as exc:
                data["page"] = {"ok": False, "detail": str(exc)}
            said = ("the owners were paged" if data["page"].get("ok") is True
                    else f"the escalation was recorded; the pager call failed: call {who}")
        self._log("escalation", data)
        return said

    def _escalate_by_record(self, rem: Remediation, verdict: PolicyDecision) -> ActOutcome:
        """Escalate with no pager configured: the record is the escalation, and the
        message says whom to call."""
        self._page(rem, "escalation chosen by the on-call engineer")
        return ActOutcome("escalated", f"recorded; no pager is configured: call {self._who()}",
                          verdict)

    def _who(self) -> str:
        return self.incident.escalation or self.incident.owner or "the service owners"

    def _stop(self, status: str, message: str, verdict: PolicyDecision,
              preview: Preview | None = None) -> ActOutcome:
        self._log("note", {"outcome": status, "message": message})
        return ActOutcome(status, message, verdict, preview)

    def _log(self, event: str, data: dict[str, Any], actor: str | None = None) -> None:
        self.audit.append(event, data, incident=self.incident.id, actor=actor)
