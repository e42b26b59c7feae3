"""What the audit log says happened to each incident: who let which action run, and
whether the signals recovered.

Both the resolve step of the ticket sync (close notes come from the record, and a
ticket is resolved only after a verified recovery) and `oncall report` read the log the
same way, here. The log is what `oncall.remediate.session` writes: each remediation
attempt opens with a `decision`; then an `approval` (actor `policy` when policy let it
run by itself, else the people who approved) or a `rejection`; an `execution`; a
`verification` whose `status` is `recovered` when the signals came back; maybe an
`undo`. Approvals and rejections of an undo (`action: "undo ..."`) belong to the undo,
not to the attempt's route. Ticket actions are `note` records with a `system`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from oncall.sources.fields import parse_rfc3339

POLICY_ACTOR = "policy"
ROUTES: tuple[str, ...] = ("auto", "approved", "denied", "proposed")


@dataclass(slots=True)
class Attempt:
    """One remediation attempt. `route`: auto (policy ran it, nobody approved), approved
    (a person approved), denied (policy denied or a person rejected), proposed (nothing
    ran: autonomy assist, a dry run, nobody at a terminal)."""

    action: str
    target: str
    decision: str
    at: datetime | None
    route: str = "proposed"
    approvers: tuple[str, ...] = ()
    executed_at: datetime | None = None
    executed_ok: bool | None = None
    verified_at: datetime | None = None
    verify_status: str = ""
    verify_reason: str = ""
    undone: bool = False

    @property
    def recovered(self) -> bool:
        return self.verify_status == "recovered" and not self.undone


@dataclass(slots=True)
class TicketNote:
    system: str
    ticket: str
    action: str
    at: datetime | None
    facts: dict[str, str] = field(default_factory=dict)


@dataclass(slots=True)
class IncidentOutcome:
    incident: str
    attempts: list[Attempt] = field(default_factory=list)
    tickets: list[TicketNote] = field(default_factory=list)

    @property
    def resolved_by(self) -> Attempt | None:
        """The first attempt whose recovery was verified."""
        return next((a for a in self.attempts if a.recovered), None)

    @property
    def resolved_at(self) -> datetime | None:
        by = self.resolved_by
        return by.verified_at if by else None

    @property
    def autonomous(self) -> bool:
        by = self.resolved_by
        return by is not None and by.route == "auto"


def outcomes(records: Iterable[Mapping[str, Any]]) -> dict[str, IncidentOutcome]:
    """Per incident id, in the order the log first names them."""
    out: dict[str, IncidentOutcome] = {}
    for record in records:
        incident = record.get("incident")
        data = record.get("data")
        if not isinstance(incident, str) or not isinstance(data, dict):
            continue
        state = out.setdefault(incident, IncidentOutcome(incident))
        _apply(state, str(record.get("event", "")), str(record.get("actor", "")), data,
               _time(record.get("at")))
    return out


def _apply(state: IncidentOutcome, event: str, actor: str, data: dict[str, Any],
           at: datetime | None) -> None:
    action = str(data.get("action", ""))
    current = state.attempts[-1] if state.attempts else None
    undo = action.startswith("undo ")
    if event == "decision":
        decision = str(data.get("decision", ""))
        state.attempts.append(Attempt(action, str(data.get("target", "")), decision, at,
                                      route="denied" if decision == "deny" else "proposed"))
    elif current is None:
        if event == "note" and data.get("system"):
            state.tickets.append(_ticket(data, at))
    elif event == "approval" and not undo:
        by_policy = actor == POLICY_ACTOR or data.get("by") == POLICY_ACTOR
        current.route = "auto" if by_policy else "approved"
        raw = data.get("approvers")
        current.approvers = (POLICY_ACTOR,) if by_policy else tuple(
            str(a) for a in raw) if isinstance(raw, list) else (actor,)
    elif event == "rejection" and not undo:
        current.route = "denied"
    elif event == "execution":
        current.executed_at = at
        current.executed_ok = data.get("ok") is True
    elif event == "verification":
        current.verified_at = at
        current.verify_status = str(data.get("status", ""))
        current.verify_reason = str(data.get("reason", ""))
    elif event == "undo" and data.get("ok") is True:
        current.undone = True
    elif event == "note" and data.get("system"):
        state.tickets.append(_ticket(data, at))


def _ticket(data: Mapping[str, Any], at: datetime | None) -> TicketNote:
    facts = data.get("facts")
    return TicketNote(str(data.get("system")), str(data.get("ticket", "")),
                      str(data.get("action", "")), at,
                      {str(k): str(v) for k, v in facts.items()}
                      if isinstance(facts, dict) else {})


def _time(value: Any) -> datetime | None:
    return parse_rfc3339(value) if isinstance(value, str) else None


def close_notes(outcome: IncidentOutcome) -> str | None:
    """What ran, who let it, and how recovery was verified; None when not verified."""
    by = outcome.resolved_by
    if by is None:
        return None
    who = ("policy (automatic, no human approval needed)" if by.route == "auto"
           else f"approved by {', '.join(by.approvers) or 'a person'}")
    ran = _stamp(by.executed_at)
    checked = _stamp(by.verified_at)
    return (f"Resolved by oncall: {by.action} {by.target} executed at {ran}, {who}. "
            f"Recovery verified at {checked}: {by.verify_reason or 'signals recovered'}. "
            f"Audit trail: oncall audit show --incident {outcome.incident}")


def _stamp(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ") if moment else "an unrecorded time"
