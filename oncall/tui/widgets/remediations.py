"""The remediation queue: each proposed move with its policy decision and its state.

The decision and reason are the ones the triage computed; this pane shows them and
what happened to each move in this session (`states.move_state`), and leaves acting to
the incident screen, which goes through the ledger and the action loop.
"""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.widgets import DataTable, Static

from oncall.model import Incident, Remediation
from oncall.tui.rows import row_key
from oncall.tui.session import Session
from oncall.tui.states import move_state
from oncall.tui.text import safe

DECISION_STYLE = {"auto": "bold green", "approve": "bold yellow", "deny": "bold red"}
RISK_STYLE = {"low": "green", "medium": "yellow", "high": "red"}
NO_MOVE = Text("No remediation proposed: no cause was strong enough to act on. Escalate "
               "to the owner.", style="italic")

# Fits `driver-location`-length names at 80 columns; longer ones end in an ellipsis.
TARGET_WIDTH = 17


class RemediationQueue(Vertical):
    def __init__(self, incident: Incident, session: Session) -> None:
        super().__init__(id="remediate-pane")
        self.incident = incident
        self.session = session

    def compose(self) -> ComposeResult:
        table: DataTable[Text | str] = DataTable(id="queue", cursor_type="row")
        yield table
        with VerticalScroll(id="detail-scroll"):
            yield Static(id="detail")

    def on_mount(self) -> None:
        self.show(self.incident)

    def show(self, incident: Incident) -> None:
        """Refills the queue in place (a reload brings a new triage of the incident)."""
        self.incident = incident
        self.refresh_rows()

    @property
    def current(self) -> Remediation | None:
        if not self.incident.remediations:
            return None
        table = self.query_one("#queue", DataTable)
        row = min(max(table.cursor_row, 0), len(self.incident.remediations) - 1)
        return self.incident.remediations[row]

    def refresh_rows(self) -> None:
        """Rebuild the rows (after an approval), keeping the cursor where it was."""
        table = self.query_one("#queue", DataTable)
        keep = table.cursor_row
        table.clear(columns=True)
        table.display = bool(self.incident.remediations)
        if not self.incident.remediations:
            self.query_one("#detail", Static).update(NO_MOVE)
            return
        table.add_column("#", width=2)
        table.add_column("Action", width=13)
        table.add_column("Target", width=TARGET_WIDTH)
        table.add_column("Risk", width=6)
        table.add_column("Undo", width=4)
        table.add_column("Policy", width=7)
        table.add_column("State", width=10)
        for index, rem in enumerate(self.incident.remediations):
            table.add_row(
                str(index + 1), safe(rem.action, limit=40), safe(rem.target, limit=TARGET_WIDTH),
                Text(rem.risk, style=RISK_STYLE.get(rem.risk, "")),
                "yes" if rem.reversible else Text("no", style="bold red"),
                Text(rem.decision, style=DECISION_STYLE.get(rem.decision, "bold red")),
                self._state(rem), key=str(index))
        table.move_cursor(row=min(max(keep, 0), table.row_count - 1))
        if self.current is not None:
            self._detail(self.current)

    def _state(self, rem: Remediation) -> Text:
        state = move_state(self.session, self.incident.id, rem)
        return Text(state.label, style=state.style)

    @on(DataTable.RowHighlighted, "#queue")
    def _highlighted(self, event: DataTable.RowHighlighted) -> None:
        key = row_key(event)
        index = int(key) if key is not None else len(self.incident.remediations)
        if index < len(self.incident.remediations):  # a stale event from before a refill
            self._detail(self.incident.remediations[index])

    def _detail(self, rem: Remediation) -> None:
        text = safe(f"{rem.action} {rem.target}", style="bold", limit=120)
        text.append(f" · {rem.risk} risk · ")
        text.append("reversible" if rem.reversible else "NOT reversible",
                    style="" if rem.reversible else "bold red")
        text.append("\n")
        text.append(safe(rem.rationale, style="italic", limit=400))
        for label, value in (("command", rem.command or "-"), ("undo", rem.undo or "-")):
            text.append(f"\n{label}: ", style="bold")
            text.append(safe(value, limit=400))
        verify = ", ".join(f"{k} {v}" for k, v in rem.verify.items()) or "no target"
        text.append("\nverify: ", style="bold")
        text.append(safe(f"{verify} within {rem.verify_within_minutes} min", limit=300))
        text.append("\npolicy: ", style="bold")
        text.append(rem.decision, style=DECISION_STYLE.get(rem.decision, "bold red"))
        text.append(" · ")
        text.append(safe(rem.reason or "-", limit=400))
        state = move_state(self.session, self.incident.id, rem)
        if state.detail:
            text.append("\nstate: ", style="bold")
            text.append(safe(state.detail, style=state.style, limit=600))
        self.query_one("#detail", Static).update(text)
