"""What every integration returns and promises, so the orchestrator treats them alike."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from oncall.itsm.content import TicketView

# What happened to one incident in one system. `failed` is the only failure; `skipped`
# means nothing needed doing (already resolved, nothing to resolve).
ACTIONS: tuple[str, ...] = ("created", "updated", "unchanged", "resolved", "triggered",
                            "acknowledged", "posted", "skipped", "failed")
WRITES = frozenset({"created", "updated", "resolved", "triggered", "acknowledged", "posted"})


@dataclass(frozen=True, slots=True)
class TicketAction:
    system: str
    incident: str
    action: str
    ticket: str = ""  # INC0010001, OPS-12, a dedup key; "" when there is none
    detail: str = ""
    url: str = ""

    @property
    def ok(self) -> bool:
        return self.action != "failed"

    @property
    def label(self) -> str:
        """`servicenow INC0010001`: how other systems refer to this ticket."""
        return f"{self.system} {self.ticket}".strip()


class Integration(Protocol):
    """One ticketing or paging system. Every method is idempotent by correlation id,
    and `tickets` holds what other systems did for the same incident in this run (so a
    page or a chat message can link the ticket)."""

    name: str

    def sync(self, view: TicketView, tickets: Sequence[TicketAction]) -> TicketAction: ...

    def resolve(self, view: TicketView, notes: str,
                tickets: Sequence[TicketAction]) -> TicketAction: ...


@runtime_checkable
class Acknowledges(Protocol):
    """A pager: acknowledging says a person has it, which stops the escalation."""

    def acknowledge(self, view: TicketView) -> TicketAction: ...
