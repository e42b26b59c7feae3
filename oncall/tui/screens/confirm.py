"""The typed confirmation an `approve` decision needs: the person types the target.

Typing the name (as when deleting a repository) makes approving a rollback a
deliberate act rather than a key pressed on the wrong row. The modal only collects the
text; the ledger checks it again, so this screen is not the gate. With executors it
shows what is being approved exactly, as `oncall act` does before its prompt: the call,
its dry run, the undo (with a warning when there is none) and who counts as approver.
The same modal confirms an undo.
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
from oncall.remediate.executors import Preview
from oncall.tui.text import safe

DRY_RUN = {True: "ok", False: "FAILED", None: "not available"}


class ConfirmScreen(ModalScreen[str | None]):
    """Dismissed with the typed phrase when it matches, or None when cancelled."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, remediation: Remediation, phrase: str, *, preview: Preview | None = None,
                 verb: str = "approve", note: str = "") -> None:
        super().__init__()
        self.remediation = remediation
        self.phrase = phrase
        self.preview = preview
        self.verb = verb  # approve | undo
        self.note = note  # who counts as approver, for instance

    def compose(self) -> ComposeResult:
        rem = self.remediation
        text = Text(f"{self.verb.capitalize()} ", style="bold")
        text.append(safe(f"{rem.action} {rem.target}", style="bold yellow", limit=120))
        text.append("?\n")
        if self.preview is None:
            text.append(safe(rem.command or "-", limit=300))
            text.append("\npolicy: ", style="dim")
            text.append(safe(rem.reason, style="dim", limit=300))
            text.append("\nundo: ", style="dim")
            text.append(safe(rem.undo or "-", style="dim", limit=200))
        else:
            text.append_text(self._exact(self.preview))
        if self.note:
            text.append("\n")
            text.append(safe(self.note, style="dim", limit=300))
        prompt = Text("Type ")
        prompt.append(safe(self.phrase, style="bold", limit=120))
        prompt.append(f" and press enter to {self.verb}; escape cancels.")
        with Vertical(id="confirm"):
            yield Static(text)
            yield Static(prompt)
            yield Input(placeholder="the target's name", id="typed", select_on_focus=False)
            yield Static(id="mismatch")

    def _exact(self, preview: Preview) -> Text:
        """The call that will run (or the undo call), as the executor will make it."""
        undo = self.verb == "undo"
        text = Text("call: ", style="bold")
        text.append(safe(preview.undo if undo else preview.call, limit=400))
        text.append(f"\nexecutor: {preview.executor}", style="dim")
        if not undo:
            text.append(f"\ndry run: {DRY_RUN[preview.dry_run_ok]}: ",
                        style="bold red" if preview.dry_run_ok is False else "dim")
            text.append(safe(preview.dry_run, style="dim", limit=300))
            text.append("\nundo: ", style="dim")
            text.append(safe(preview.undo, style="dim", limit=300))
            if preview.undo_kind == "impossible":
                text.append("\nWARNING: this call cannot be undone from here", style="bold red")
        return text

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
