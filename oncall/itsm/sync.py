"""`Ticketing`: bring every configured system in line with a triage, one incident at a time.

One system failing never stops the others: each call is caught on its own and reported
as `failed` with its one-line reason, and systems that could not even be set up (an
unset credential variable) are listed as `unavailable`. The ticketing systems run
first, so the page and the chat message can name the ticket they opened.

Every ticket action that wrote something (and every failure) becomes a `note` record in
the audit log when one is given: `{"system", "ticket", "action", "correlation_id",
"detail", "facts"}`. Slack has no look-up, so the facts last posted for the incident are
read back from that log and an unchanged update is not posted twice. PagerDuty and
Slack both rely on that log to know an incident was resolved: once a `resolved` note is
there, a sync sends no trigger (after a resolve it would open a new PagerDuty incident
and page the on-call again), no acknowledge and no stakeholder update, and a second
resolve sends nothing to them either. The resolution message is posted once.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from oncall.audit import AuditLog
from oncall.errors import OncallError
from oncall.itsm.base import WRITES, Acknowledges, Integration, TicketAction
from oncall.itsm.content import TicketView, views
from oncall.itsm.http import scrub
from oncall.itsm.outcomes import IncidentOutcome, TicketNote, outcomes
from oncall.model import Triage

ORDER = {"servicenow": 0, "jira": 1, "pagerduty": 2, "slack": 3}
# Systems without a look-up whose sync is skipped once the audit log shows the incident
# resolved, and what the skip says. ServiceNow and Jira ask the ticket itself.
AFTER_RESOLVE = {
    "pagerduty": "already resolved (audit log): a trigger now would open a new PagerDuty "
                 "incident and page again",
    "slack": "already resolved (audit log): the resolution was posted, no update after it",
}


@dataclass(slots=True)
class SyncResult:
    actions: list[TicketAction] = field(default_factory=list)
    unavailable: list[str] = field(default_factory=list)  # "servicenow: JIRA_... is not set"
    not_configured: list[str] = field(default_factory=list)

    def count(self, action: str) -> int:
        return sum(1 for a in self.actions if a.action == action)

    @property
    def failed(self) -> list[TicketAction]:
        return [a for a in self.actions if not a.ok]

    @property
    def ok(self) -> bool:
        return not self.failed and not self.unavailable

    def as_dict(self) -> dict[str, Any]:
        return {
            "actions": [{"system": a.system, "incident": a.incident, "action": a.action,
                         "ticket": a.ticket, "detail": a.detail, "url": a.url}
                        for a in self.actions],
            "unavailable": list(self.unavailable),
            "not_configured": list(self.not_configured),
            "ok": self.ok,
        }


Step = Callable[[Integration, TicketView, list[TicketAction]], TicketAction]


def _sync(integration: Integration, view: TicketView,
          done: list[TicketAction]) -> TicketAction:
    return integration.sync(view, done)


def _acknowledge(integration: Integration, view: TicketView,
                 _done: list[TicketAction]) -> TicketAction:
    assert isinstance(integration, Acknowledges)
    return integration.acknowledge(view)


def _resolve_with(notes: str) -> Step:
    def step(integration: Integration, view: TicketView,
             done: list[TicketAction]) -> TicketAction:
        return integration.resolve(view, notes, done)
    return step


class Ticketing:
    """Drives the integrations; `audit` records what was done (with `record=False`, as in
    a dry run, it is only read). `secrets` are scrubbed from every action's detail and
    every audit record, whatever raised the message."""

    def __init__(self, integrations: Sequence[Integration], *,
                 unavailable: Sequence[str] = (), not_configured: Sequence[str] = (),
                 audit: AuditLog | None = None, prefix: str = "oncall-",
                 record: bool = True, secrets: Sequence[str] = ()) -> None:
        self.integrations = sorted(integrations, key=lambda i: ORDER.get(i.name, 9))
        self.unavailable = list(unavailable)
        self.not_configured = list(not_configured)
        self.audit = audit
        self.prefix = prefix
        self.record = record
        self.secrets = tuple(secrets)
        self._history: dict[str, IncidentOutcome] | None = None

    def sync(self, triage: Triage | Mapping[str, Any], *, source: str = "triage",
             acknowledge: bool = False) -> SyncResult:
        """Open or update one ticket per incident in each system (and page, and post)."""
        result = self._result()
        for view in views(triage, source):
            done: list[TicketAction] = []
            resolved = self._resolved(view)
            for integration in self.integrations:
                if integration.name in AFTER_RESOLVE and resolved:
                    # A trigger after the resolve opens a new PagerDuty incident (a
                    # second page); a stakeholder update would contradict the
                    # resolution already posted.
                    done.append(TicketAction(integration.name, view.id, "skipped", "",
                                             AFTER_RESOLVE[integration.name]))
                    continue
                if integration.name == "slack" and self._posted(view, resolved=False):
                    done.append(TicketAction("slack", view.id, "unchanged", "",
                                             "the same update was posted before"))
                    continue
                done.append(self._run(integration, view, done, _sync))
                if acknowledge and isinstance(integration, Acknowledges):
                    done.append(self._run(integration, view, done, _acknowledge))
            result.actions += done
        return result

    def resolve(self, triage: Triage | Mapping[str, Any], notes: Mapping[str, str], *,
                source: str = "triage") -> SyncResult:
        """Resolve the incidents that have close notes (`notes[incident id]`); the others
        are skipped, saying why: a ticket is closed only after a verified recovery or a
        person's own notes."""
        result = self._result()
        for view in views(triage, source):
            text = notes.get(view.id)
            if not text:
                result.actions += [TicketAction(
                    i.name, view.id, "skipped", "", "no verified recovery in the audit log "
                    "(run oncall act, or give --close-notes to resolve by hand)")
                    for i in self.integrations]
                continue
            done: list[TicketAction] = []
            for integration in self.integrations:
                if integration.name == "slack" and self._posted(view, resolved=True):
                    done.append(TicketAction("slack", view.id, "skipped", "",
                                             "already resolved: the resolution was posted "
                                             "before (audit log)"))
                    continue
                if integration.name == "pagerduty" and self._resolved(view, "pagerduty"):
                    done.append(TicketAction("pagerduty", view.id, "skipped", "",
                                             "already resolved (audit log)"))
                    continue
                done.append(self._run(integration, view, done, _resolve_with(text)))
            result.actions += done
        return result

    # ---- steps -----------------------------------------------------------------------

    def _result(self) -> SyncResult:
        return SyncResult(unavailable=list(self.unavailable),
                          not_configured=list(self.not_configured))

    def _run(self, integration: Integration, view: TicketView, done: list[TicketAction],
             step: Step) -> TicketAction:
        try:
            action = step(integration, view, list(done))
        except OncallError as exc:
            action = TicketAction(integration.name, view.id, "failed", "", str(exc))
        action = replace(action, ticket=scrub(action.ticket, self.secrets),
                         detail=" ".join(scrub(action.detail, self.secrets).split()),
                         url=scrub(action.url, self.secrets))
        self._record(view, action)
        return action

    def _record(self, view: TicketView, action: TicketAction) -> None:
        if self.audit is None or not self.record or (action.action not in WRITES
                                                     and action.ok):
            return
        data = {"system": action.system, "ticket": action.ticket, "action": action.action,
                "correlation_id": view.correlation_id(self.prefix), "detail": action.detail,
                "facts": view.facts()}
        self.audit.append("note", data, incident=view.id)
        self._history = None  # re-read on the next look-up

    def _notes(self, view: TicketView) -> list[TicketNote]:
        """The ticket notes the audit log holds for this incident, oldest first."""
        if self.audit is None:
            return []
        if self._history is None:
            self._history = outcomes(self.audit.records())
        state = self._history.get(view.id)
        return state.tickets if state else []

    def _resolved(self, view: TicketView, system: str | None = None) -> bool:
        """Whether the audit log shows this incident resolved (by `system`, else by any
        system): a note with action `resolved`."""
        return any(note.action == "resolved" and (system is None or note.system == system)
                   for note in self._notes(view))

    def _posted(self, view: TicketView, resolved: bool) -> bool:
        """Whether the audit log shows Slack already has this news: the resolution, or
        (for an update) the same facts."""
        for note in reversed(self._notes(view)):
            if note.system == "slack" and note.action in ("posted", "resolved"):
                if note.action == "resolved":
                    return True
                return not resolved and note.facts == view.facts()
        return False
