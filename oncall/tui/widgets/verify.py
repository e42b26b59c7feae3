"""Verification: p95 and error ratio per service as sparklines, against their targets.

Each signal gets a line saying where it is now, the target a remediation must restore
and whether it holds, over a sparkline from the baseline to now. Before a fix it shows
the damage; after one (on reload) it shows whether the fix worked. A sparkline scales
to its own min..max, so the line states the range: flat noise must not look like a spike.
"""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Sparkline, Static

from oncall.tui.signals import SIGNAL_LABEL, SignalView
from oncall.tui.text import safe

STATUS_STYLE = {"recovered": "bold green", "above target": "bold red"}


def signal_line(view: SignalView) -> Text:
    text = safe(view.service, style="bold", limit=40)
    text.append(f" {SIGNAL_LABEL.get(view.signal, view.signal)}")
    latest = view.latest
    text.append(f"  now {latest:.3g}" if latest is not None else "  now -")
    if view.values:
        text.append(f"  ({min(view.values):.3g}..{max(view.values):.3g})", style="dim")
    text.append("  target ")
    text.append(safe(view.target or "-", limit=40))
    text.append("  ")
    text.append(view.status, style=STATUS_STYLE.get(view.status, "dim"))
    return text


class VerifyPane(VerticalScroll):
    def __init__(self, views: list[SignalView]) -> None:
        super().__init__(id="verify-pane")
        self.views = views

    def compose(self) -> ComposeResult:
        if not self.views:
            yield Static(Text("No p95 or error-ratio series for the services a remediation "
                              "targets (metrics.json absent or silent).", style="italic"))
            return
        yield Static(Text("from 30 min before the first alert to now; worst pod per instant",
                          style="dim"), classes="hint")
        for view in self.views:
            yield Static(signal_line(view), classes="signal")
            yield Sparkline(list(view.values), summary_function=max)

    async def show(self, views: list[SignalView]) -> None:
        """New data: update the lines and sparklines in place when the signals are the
        same ones (the usual live refresh), else rebuild this pane's few widgets."""
        same = [(v.service, v.signal) for v in views] == [
            (v.service, v.signal) for v in self.views]
        self.views = views
        if not same:
            await self.recompose()
            return
        for line, spark, view in zip(self.query(".signal").results(Static),
                                     self.query(Sparkline).results(Sparkline), views,
                                     strict=True):
            line.update(signal_line(view))
            spark.data = list(view.values)
