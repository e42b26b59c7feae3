"""Ranked hypotheses, best first, with the evidence of the highlighted one below.

The table is the ranking at a glance; evidence lines are long sentences, so they get
the pane's full width and wrap rather than being cut in a table cell. `show` refills
the pane in place, so a live refresh keeps the widgets (and the cursor) where they are.
"""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.widgets import DataTable, Static

from oncall.model import Hypothesis, Incident
from oncall.tui.rows import row_key
from oncall.tui.text import safe

NO_CAUSE = Text("No cause ranked: no trace, metric, log or change pointed anywhere. "
                "Start from the alerts (timeline).", style="italic")


class CausesPane(Vertical):
    def __init__(self, incident: Incident) -> None:
        super().__init__(id="causes-pane")
        self.incident = incident

    def compose(self) -> ComposeResult:
        table: DataTable[Text | str] = DataTable(id="causes-table", cursor_type="row")
        yield table
        with VerticalScroll(id="evidence-scroll"):
            yield Static(id="evidence")

    def on_mount(self) -> None:
        self.show(self.incident)

    def show(self, incident: Incident) -> None:
        self.incident = incident
        table = self.query_one("#causes-table", DataTable)
        keep = table.cursor_row
        table.clear(columns=True)
        table.display = bool(incident.hypotheses)
        if not incident.hypotheses:
            self.query_one("#evidence", Static).update(NO_CAUSE)
            return
        table.add_column("#", width=2)
        table.add_column("Score", width=5)
        table.add_column("Cause", width=30)
        table.add_column("Change / pod", width=24)
        for rank, hyp in enumerate(incident.hypotheses, start=1):
            where = " ".join(x for x in (hyp.change, hyp.pod) if x)
            table.add_row(str(rank), f"{hyp.score:.2f}",
                          safe(f"{hyp.kind} on {hyp.service}", limit=60),
                          safe(where or "-", limit=60), key=str(rank - 1))
        row = min(max(keep, 0), table.row_count - 1)
        table.move_cursor(row=row)
        self._show(incident.hypotheses[row], row + 1)

    @on(DataTable.RowHighlighted, "#causes-table")
    def _highlighted(self, event: DataTable.RowHighlighted) -> None:
        key = row_key(event)
        index = int(key) if key is not None else len(self.incident.hypotheses)
        if index < len(self.incident.hypotheses):  # a stale event from before a refill
            self._show(self.incident.hypotheses[index], index + 1)

    def _show(self, hyp: Hypothesis, rank: int) -> None:
        text = Text(f"#{rank} ", style="bold")
        text.append(safe(f"{hyp.kind} on {hyp.service}", style="bold", limit=120))
        if hyp.change:
            text.append(" · change ")
            text.append(safe(hyp.change, limit=60))
        text.append(f" · score {hyp.score:.2f}")
        for line in hyp.evidence or ["(no evidence lines)"]:
            text.append("\n- ")
            text.append(safe(line, limit=500))
        self.query_one("#evidence", Static).update(text)
