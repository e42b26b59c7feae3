"""After `x`: what ran, what it returned, whether the signals recovered, what was undone.

Verification is the loop's own (`verify_loop.verify_recovery`): the recovery targets
polled after the action until they held for the consecutive polls needed or the window
passed. Each verified signal gets a sparkline of the worst value per poll, next to its
limit, so "recovered" can be seen, not only read.
"""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Sparkline, Static

from oncall.model import Remediation
from oncall.remediate.session import ActOutcome
from oncall.remediate.verify_loop import VerifyOutcome, parse_targets
from oncall.tui.states import STATE_STYLE
from oncall.tui.text import safe


def outcome_text(rem: Remediation, outcome: ActOutcome) -> Text:
    text = safe(f"{rem.action} {rem.target}: ", style="bold", limit=120)
    text.append(outcome.status, style=STATE_STYLE.get(outcome.status, "bold"))
    text.append("\n")
    text.append(safe(outcome.message, limit=600))
    if outcome.result is not None:
        text.append("\nran: ", style="bold")
        text.append(safe(outcome.result.call, limit=400))
        text.append("\n     ")
        text.append(safe(outcome.result.detail, style="dim", limit=400))
    if outcome.verification is not None:
        check = outcome.verification
        text.append("\nverify: ", style="bold")
        text.append(check.status, style=STATE_STYLE.get(
            "recovered" if check.recovered else "failed", "bold"))
        text.append(safe(f" · {check.reason} · {len(check.polls)} poll(s), "
                         f"{check.needed} in a row needed, {check.elapsed_seconds:.0f} s",
                         limit=500))
    if outcome.undo is not None:
        text.append("\nundo: ", style="bold")
        text.append(safe(f"{outcome.undo.call}: {outcome.undo.detail}", limit=400))
    return text


def polled(rem: Remediation, check: VerifyOutcome) -> list[tuple[str, list[float]]]:
    """Per verified signal: its label with the limit, and the worst value of each poll
    that had data (a poll without data is said in the reason, not drawn as zero)."""
    rows = []
    for target in parse_targets(rem.target, rem.verify):
        values = [v for poll in check.polls if (v := poll.values.get(target.key)) is not None]
        rows.append((f"{target.key} <= {target.limit:.4g}", values))
    return rows


class OutcomeScreen(ModalScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "app.pop_screen", "Close")]

    def __init__(self, remediation: Remediation, outcome: ActOutcome) -> None:
        super().__init__()
        self.remediation = remediation
        self.outcome = outcome

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="sheet"):
            yield Static(outcome_text(self.remediation, self.outcome), id="outcome-text")
            check = self.outcome.verification
            for label, values in polled(self.remediation, check) if check else ():
                line = safe(label, style="bold", limit=120)
                line.append("  " + (" ".join(f"{v:.3g}" for v in values[-8:]) or "no data"),
                            style="dim")
                yield Static(line, classes="signal")
                yield Sparkline(values, summary_function=max)
            yield Static(Text("escape closes", style="dim"))
