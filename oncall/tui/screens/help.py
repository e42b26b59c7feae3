"""`?`: every key in one place, since the footer only shows the current screen's."""

from __future__ import annotations

from typing import ClassVar

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

KEYS: tuple[tuple[str, str, str], ...] = (
    ("anywhere", "?", "this help"),
    ("anywhere", "q", "quit"),
    ("anywhere", "r", "reload: read the scenario, triage again"),
    ("anywhere", "escape", "back"),
    ("incidents", "up/down enter", "pick an incident, open it"),
    ("incidents", "n", "alerts set aside as noise, with reasons"),
    ("incident", "1-6", "causes timeline topology knowledge remediate verify"),
    ("incident", "tab", "focus the tabs (left/right) or the pane"),
    ("knowledge", "enter", "open the runbook or past incident"),
    ("remediate", "p", "preview: the exact call and its dry run"),
    ("remediate", "a", "approve the highlighted move (policy decides)"),
    ("remediate", "x", "run it: execute, verify recovery, undo if it did not help"),
    ("remediate", "u", "undo a move run from here"),
    ("document", "t", "table of contents"),
)


class HelpScreen(ModalScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "app.pop_screen", "Close"),
        Binding("question_mark", "app.pop_screen", "Close", show=False),
        Binding("q", "app.pop_screen", "Close", show=False),
    ]

    def compose(self) -> ComposeResult:
        table = Table(box=None, show_header=False, padding=(0, 1))
        table.add_column(style="dim")
        table.add_column(style="bold cyan", no_wrap=True)
        table.add_column()
        for where, key, what in KEYS:
            table.add_row(where, key, what)
        with VerticalScroll(id="help"):
            yield Static(Text("Keys", style="bold"))
            yield Static(table)
            yield Static(Text(
                "Policy decides: deny is never previewed or run, approve needs the target "
                "typed (and policy's number of approvers), auto runs as is. With executors "
                "every step goes through the same loop and audit log as `oncall act`; "
                "without, an approval is recorded and you run the command yourself.",
                style="italic"))
