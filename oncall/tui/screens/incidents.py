"""The first screen: what is burning, worst first, and how much noise was set aside.

One row per incident (severity, tier, age from the snapshot's `now`, alert count, the
title over its services), the triage's headline above, and the highlighted incident's
narrative below, so the first read needs no key press at all.
"""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.events import Resize
from textual.widgets import DataTable, Footer, Header, Static

from oncall.tui.rows import row_key
from oncall.tui.screens.base import DataScreen
from oncall.tui.screens.incident import IncidentScreen
from oncall.tui.screens.noise import NoiseScreen
from oncall.tui.summary import headline, incident_rows
from oncall.tui.text import safe

SEVERITY_STYLE = {"crit": "bold red", "high": "red", "warn": "yellow", "info": "dim"}
# Columns before the incident column, with DataTable's padding and the scrollbar.
FIXED_WIDTH = 38


class IncidentListScreen(DataScreen):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "open", "Open", priority=True),
        Binding("n", "noise", "Noise"),
    ]

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(id="headline")
        table: DataTable[Text | str] = DataTable(id="incidents", cursor_type="row")
        yield table
        yield Static(id="preview")
        yield Footer()

    def on_mount(self) -> None:
        self.refresh_data()

    def refresh_data(self) -> None:
        data = self.session.data
        head = self.query_one("#headline", Static)
        table = self.query_one("#incidents", DataTable)
        if data is None:
            if self.session.load_error:
                note = safe(f"Could not load: {self.session.load_error}", style="red")
                note.append("  (r retries)", style="dim")
            else:
                note = Text("Loading the triage…", style="italic")
            head.update(note)
            return
        result = data.triage  # scenario and time are in the header's sub-title
        text = Text(headline(result), style="bold")
        if result.missing:
            text.append("\n")
            text.append(safe("missing: " + "; ".join(result.missing), style="yellow", limit=200))
        head.update(text)
        self._fill(table)
        table.focus()

    def _fill(self, table: DataTable[Text | str]) -> None:
        data = self.session.data
        if data is None:
            return
        keep = table.cursor_row
        width = max(20, self.size.width - FIXED_WIDTH)
        table.clear(columns=True)
        table.add_column("#", width=2)
        table.add_column("Sev", width=5)
        table.add_column("Tier", width=4)
        table.add_column("Age", width=6)
        table.add_column("Alerts", width=6)
        table.add_column("Incident / services", width=width)
        for row in incident_rows(data.triage):
            cell = safe(row.title, style="bold", limit=300)
            cell.append("\n")
            cell.append(safe(row.services, style="dim", limit=300))
            cell.no_wrap, cell.overflow = True, "ellipsis"
            table.add_row(
                str(row.number),
                Text(row.severity, style=SEVERITY_STYLE.get(row.severity, "")),
                row.tier, row.age, str(row.alerts), cell,
                height=2, key=row.incident_id,
            )
        if not data.triage.incidents:
            self.query_one("#preview", Static).update(
                Text("No incident: every firing alert is noise, or nothing is firing.",
                     style="green"))
        elif table.row_count:
            table.move_cursor(row=min(max(keep, 0), table.row_count - 1))

    def on_resize(self, event: Resize) -> None:
        self._fill(self.query_one("#incidents", DataTable))

    @on(DataTable.RowHighlighted, "#incidents")
    def _preview(self, event: DataTable.RowHighlighted) -> None:
        key = row_key(event)
        incident = self.session.incident(key) if key is not None else None
        if incident is not None:
            text = safe(incident.narrative or incident.title)
            if incident.owner:
                text.append("\nowner ", style="bold")
                text.append(safe(incident.owner))
            self.query_one("#preview", Static).update(text)

    @on(DataTable.RowSelected, "#incidents")
    def _selected(self, event: DataTable.RowSelected) -> None:
        key = row_key(event)
        if key is not None:
            self._open(key)

    def action_open(self) -> None:
        table = self.query_one("#incidents", DataTable)
        if table.row_count:
            key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key
            self._open(str(key.value))

    def action_noise(self) -> None:
        if self.session.data is not None:
            self.app.push_screen(NoiseScreen(self.session))

    def _open(self, incident_id: str) -> None:
        if self.session.incident(incident_id) is not None:
            self.app.push_screen(IncidentScreen(self.session, incident_id))
