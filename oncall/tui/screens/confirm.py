"""The typed confirmation an `approve` decision needs: the person types the target.

Typing the name (as when deleting a repository) makes approving a rollback a
deliberate act rather than a key pressed on the wrong row. The modal only collects the
text; the ledger checks it again, so this screen is not the gate.
"""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Static

from oncall.model import Remediation
from oncall.tui.text import safe


class ConfirmScreen(ModalScreen[str | None]):
    """Dismissed with the typed phrase when it matches, or None when cancelled."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, remediation: Remediation, phrase: str) -> None:
        super().__init__()
        self.remediation = remediation
        self.phrase = phrase

    def compose(self) -> ComposeResult:
        rem = self.remediation
        text = Text("Approve ", style="bold")
        text.append(safe(f"{rem.action} {rem.target}", style="bold yellow", limit=120))
        text.append("?\n")
        text.append(safe(rem.command or "-", limit=300))
        text.append("\npolicy: ", style="dim")
        text.append(safe(rem.reason, style="dim", limit=300))
        text.append("\nundo: ", style="dim")
        text.append(safe(rem.undo or "-", style="dim", limit=200))
        prompt = Text("Type ")
        prompt.append(safe(self.phrase, style="bold", limit=120))
        prompt.append(" and press enter to approve; escape cancels.")
        with Vertical(id="confirm"):
            yield Static(text)
            yield Static(prompt)
            yield Input(placeholder="the target's name", id="typed", select_on_focus=False)
            yield Static(id="mismatch")

    def on_mount(self) -> None:
        typed = self.query_one("#typed", Input)
        typed.cursor_blink = False  # a steady cursor keeps screenshots stable
        typed.focus()

    @on(Input.Submitted, "#typed")
    def _submitted(self, event: Input.Submitted) -> None:
        if event.value.strip() == self.phrase:
            self.dismiss(event.value.strip())
        else:
            self.query_one("#mismatch", Static).update(
                Text("That does not match; nothing was approved.", style="red"))

    def action_cancel(self) -> None:
        self.dismiss(None)
