"""The incident's timeline as a table, with the highlighted entry in full below it.

The table answers "in what order": time, offset from the first alert, kind, service,
and the start of the text. Change summaries and onsets are longer than any column at
80 columns, so the highlighted row is repeated whole underneath.
"""

from __future__ import annotations

from datetime import datetime

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import DataTable, Static

from oncall.tui.rows import row_key
from oncall.tui.text import safe
from oncall.tui.timeline import Entry, relative

KIND_STYLE = {"change": "magenta", "onset": "yellow", "alert": "red", "now": "cyan"}


class TimelinePane(Vertical):
    def __init__(self, entries: list[Entry], origin: datetime) -> None:
        super().__init__(id="timeline-pane")
        self.entries = entries
        self.origin = origin

    def compose(self) -> ComposeResult:
        table: DataTable[Text | str] = DataTable(id="timeline-table", cursor_type="row")
        yield table
        yield Static(id="timeline-detail")

    def on_mount(self) -> None:
        self.show(self.entries, self.origin)

    def show(self, entries: list[Entry], origin: datetime) -> None:
        """Refills the table in place, keeping the cursor row."""
        self.entries, self.origin = entries, origin
        table = self.query_one("#timeline-table", DataTable)
        keep = table.cursor_row
        table.clear(columns=True)
        table.add_column("Time", width=11)
        table.add_column("T", width=7)
        table.add_column("Kind", width=7)
        table.add_column("Service", width=16)
        table.add_column("What", width=80)
        for index, entry in enumerate(self.entries):
            table.add_row(self._when(entry), relative(entry.at, self.origin),
                          self._kind(entry), safe(entry.service, limit=40),
                          safe(entry.text, limit=300), key=str(index))
        if self.entries:
            row = min(max(keep, 0), table.row_count - 1)
            table.move_cursor(row=row)
            self._detail(self.entries[row])

    def _when(self, entry: Entry) -> str:
        same_day = entry.at.date() == self.origin.date()
        return f"{entry.at:%H:%M:%S}" if same_day else f"{entry.at:%m-%d %H:%M}"

    def _kind(self, entry: Entry) -> Text:
        style = KIND_STYLE.get(entry.kind, "")
        if entry.suspect:
            return Text(entry.kind + "*", style="bold " + style)
        return Text(entry.kind, style=style)

    @on(DataTable.RowHighlighted, "#timeline-table")
    def _highlighted(self, event: DataTable.RowHighlighted) -> None:
        key = row_key(event)
        index = int(key) if key is not None else len(self.entries)
        if index < len(self.entries):  # a stale event from before a refill
            self._detail(self.entries[index])

    def _detail(self, entry: Entry) -> None:
        text = Text(f"{entry.at:%Y-%m-%d %H:%M:%S}Z {relative(entry.at, self.origin)} ")
        text.append_text(self._kind(entry))
        if entry.suspect:
            text.append(" (named by a cause)", style="dim")
        text.append(" ")
        text.append(safe(entry.service, style="bold", limit=60))
        text.append("\n")
        text.append(safe(entry.text, limit=400))
        self.query_one("#timeline-detail", Static).update(text)
