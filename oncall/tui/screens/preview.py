"""`p`: the exact call a move would make and what its dry run said, before anything runs.

This is `oncall act --dry-run` on one move: the executor the config routes it to, the
call written out, the argument vector element by element (what reaches the program,
with no shell in between) or the HTTP request, the dry run, and what undo would do.
"""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from oncall.model import Remediation
from oncall.remediate.session import ActOutcome
from oncall.tui.screens.confirm import DRY_RUN
from oncall.tui.text import safe

# What happens if verification fails, by the executor's undo kind.
UNDO_LABEL = {"undo": "undo (the executor reverses it)", "none": "undo (nothing to undo)",
              "impossible": "undo (impossible)"}


def preview_text(rem: Remediation, outcome: ActOutcome, approvals: str) -> Text:
    """The preview of `rem` as the loop made it; `approvals` says who must approve."""
    text = Text("Preview ", style="bold")
    text.append(safe(f"{rem.action} {rem.target}", style="bold yellow", limit=120))
    text.append(" (dry run: nothing was executed)\n", style="dim")
    if outcome.decision is not None:
        text.append("policy: ", style="bold")
        text.append(safe(f"{outcome.decision.decision} · {outcome.decision.reason}",
                         limit=400))
        text.append("\n")
    preview = outcome.preview
    if preview is None:
        text.append(safe(f"{outcome.status}: {outcome.message}", style="bold red", limit=600))
        return text
    text.append("executor: ", style="bold")
    text.append(safe(preview.executor, limit=80))
    text.append("\ncall: ", style="bold")
    text.append(safe(preview.call, limit=600))
    if preview.argv:
        text.append("\nargv: ", style="bold")
        text.append(safe(" | ".join(preview.argv), limit=600))
    text.append(f"\ndry run: {DRY_RUN[preview.dry_run_ok]}: ",
                style="bold red" if preview.dry_run_ok is False else "bold")
    text.append(safe(preview.dry_run, limit=600))
    text.append(f"\n{UNDO_LABEL.get(preview.undo_kind, 'undo')}: ", style="bold")
    text.append(safe(preview.undo, limit=400))
    if preview.undo_kind == "impossible":
        text.append("\nWARNING: this call cannot be undone from here", style="bold red")
    text.append("\napprovals: ", style="bold")
    text.append(safe(approvals, limit=300))
    return text


class PreviewScreen(ModalScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "app.pop_screen", "Close"),
        Binding("p", "app.pop_screen", "Close", show=False),
    ]

    def __init__(self, text: Text) -> None:
        super().__init__()
        self.text = text

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="sheet"):
            yield Static(self.text, id="preview-text")
            yield Static(Text("escape closes; a approves, x runs", style="dim"))
