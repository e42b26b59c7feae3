"""The alerts set aside as noise, each with the reason, so nothing is hidden silently.

The summary counts reasons by their kind (the text before a colon: "background: firing
since ..." is one kind), the table keeps each reason whole.
"""

from __future__ import annotations

from collections import Counter
from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import DataTable, Footer, Header, Static

from oncall.tui.screens.base import DataScreen
from oncall.tui.text import safe


class NoiseScreen(DataScreen):
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "app.pop_screen", "Back")]

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(id="noise-summary")
        table: DataTable[Text | str] = DataTable(id="noise", cursor_type="row")
        yield table
        yield Footer()

    def on_mount(self) -> None:
        self.refresh_data()

    def refresh_data(self) -> None:
        table = self.query_one("#noise", DataTable)
        table.clear(columns=True)
        data = self.session.data
        if data is None:
            return
        noise = data.triage.noise
        reasons = Counter(n.reason.split(":", 1)[0] for n in noise)
        summary = Text(f"{len(noise)} alert(s) set aside as noise", style="bold")
        if reasons:
            summary.append(": ")
            summary.append(safe(", ".join(f"{n} {r}" for r, n in reasons.most_common()),
                                limit=300))
        self.query_one("#noise-summary", Static).update(summary)
        table.add_column("Alert", width=26)
        table.add_column("Reason", width=max(20, self.size.width - 50))
        table.add_column("Fingerprint", width=16)
        for item in noise:
            table.add_row(safe(item.name, limit=60), safe(item.reason, limit=200),
                          safe(item.fingerprint, style="dim", limit=40))
        table.focus()
