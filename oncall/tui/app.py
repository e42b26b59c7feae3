"""The dashboard app: loads the triage off the UI thread and keeps the screens current.

Loading runs in a Textual thread worker, so a slow source (a large scenario, a live
system that times out and retries) never freezes the keyboard: past `SLOW_LOAD_SECONDS` a notice
says it is still loading, and a failure is a notice too, keeping whatever was shown
before. The same worker serves `r` (reload) and, when `refresh_seconds` is given, the
periodic refresh of a live source; one load runs at a time, so a source slower than
the refresh interval is not asked again until it has answered.
"""

from __future__ import annotations

import time
from collections import deque
from pathlib import Path
from typing import ClassVar

from textual import work
from textual.app import App
from textual.binding import Binding, BindingType
from textual.notifications import SeverityLevel
from textual.screen import Screen
from textual.timer import Timer
from textual.worker import get_current_worker

from oncall.audit import AuditLog
from oncall.errors import OncallError
from oncall.tui.approvals import ApprovalLedger
from oncall.tui.data import DashboardData, Loader
from oncall.tui.runner import RemediationRunner
from oncall.tui.screens.base import DataScreen
from oncall.tui.screens.help import HelpScreen
from oncall.tui.screens.incidents import IncidentListScreen
from oncall.tui.session import Session
from oncall.tui.text import clean

SLOW_LOAD_SECONDS = 5.0
NOTICES_KEPT = 50


class DashboardApp(App[None]):
    """`oncall dashboard`: incidents, causes, knowledge, remediations, verification."""

    CSS_PATH = Path(__file__).with_name("dashboard.tcss")
    TITLE = "oncall dashboard"
    ENABLE_COMMAND_PALETTE = False
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("q", "quit", "Quit"),
        Binding("question_mark", "help", "Help", key_display="?"),
        Binding("r", "reload", "Reload"),
    ]

    def __init__(
        self,
        loader: Loader | None = None,
        *,
        data: DashboardData | None = None,
        executor: RemediationRunner | None = None,
        audit: AuditLog | None = None,
        refresh_seconds: float | None = None,
        slow_after: float = SLOW_LOAD_SECONDS,
    ) -> None:
        super().__init__()
        if loader is None and data is None:
            raise ValueError("DashboardApp needs a loader, data, or both")
        self.loader = loader
        # With executors the action loop writes the audit log (as for `oncall act`);
        # without, the ledger records each approval there itself.
        ledger = ApprovalLedger(audit if executor is None else None)
        self.session = Session(data=data, runner=executor, ledger=ledger)
        self.notices: deque[str] = deque(maxlen=NOTICES_KEPT)
        self.refresh_seconds = refresh_seconds
        self.slow_after = slow_after
        self.loads = 0  # completed loads, successful or not (tests and the sub-title)
        self._slow_timer: Timer | None = None
        self._loading = False

    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: SeverityLevel = "information",
        timeout: float | None = None,
        markup: bool = True,
    ) -> None:
        """Shows a toast and keeps its text: toasts fade, `notices` keeps the last ones."""
        self.notices.append(f"{title}: {message}" if title else message)
        super().notify(message, title=title, severity=severity, timeout=timeout, markup=markup)

    def on_unmount(self) -> None:
        if self.session.runner is not None:
            self.session.runner.close()

    def get_default_screen(self) -> Screen[None]:
        return IncidentListScreen(self.session)

    def on_mount(self) -> None:
        if self.session.data is None:
            self.action_reload()
        else:
            self._show_source()
        if self.refresh_seconds and self.loader is not None:
            self.set_interval(self.refresh_seconds, self._tick)

    def action_help(self) -> None:
        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())

    def action_reload(self) -> None:
        if self.loader is None:
            self.notify("nothing to reload: this dashboard was given fixed data",
                        severity="warning")
            return
        if self._loading:
            self.notify("already loading", timeout=2)
            return
        self._loading = True
        self.sub_title = "loading…"
        self._slow_timer = self.set_timer(self.slow_after, self._still_loading)
        self._load(self.loader)

    def _tick(self) -> None:
        """A live refresh; skipped while the last one is still out, so fetches never pile up."""
        if not self._loading:
            self.action_reload()

    @work(thread=True, group="load", exit_on_error=False)
    def _load(self, loader: Loader) -> None:
        """Runs the loader off the UI thread (one at a time: see `_loading`)."""
        started = time.monotonic()
        try:
            data = loader()
        except Exception as exc:  # a notice, not a crash: the dashboard must stay up
            message = _describe(exc)
            if not get_current_worker().is_cancelled:
                self.call_from_thread(self._load_failed, message)
            return
        if not get_current_worker().is_cancelled:
            self.call_from_thread(self._loaded, data, time.monotonic() - started)

    def _still_loading(self) -> None:
        self.notify(f"still loading after {self.slow_after:.0f} s; the dashboard stays usable",
                    title="slow source", severity="warning", markup=False)

    def _loaded(self, data: DashboardData, seconds: float) -> None:
        self._finish()
        had_data = self.session.data is not None
        self.session.data = data
        self.session.load_error = ""
        self._show_source()
        self._refresh_screens()
        if had_data:
            self.notify(f"reloaded in {seconds:.1f} s", timeout=2)

    def _load_failed(self, message: str) -> None:
        self._finish()
        self.session.load_error = message
        kept = " (still showing the previous data)" if self.session.data else ""
        self.sub_title = "load failed"
        self.notify(message + kept, title="load failed", severity="error", markup=False,
                    timeout=10)
        self._refresh_screens()

    def _refresh_screens(self) -> None:
        """Every screen that shows data re-reads the session (see `DataScreen`)."""
        for screen in self.screen_stack:
            if isinstance(screen, DataScreen):
                screen.refresh_data()

    def _finish(self) -> None:
        self.loads += 1
        self._loading = False
        if self._slow_timer is not None:
            self._slow_timer.stop()
            self._slow_timer = None

    def _show_source(self) -> None:
        data = self.session.data
        if data is not None:
            self.sub_title = clean(f"{data.triage.scenario} at {data.triage.now:%Y-%m-%d %H:%M}Z",
                                   limit=60)


def _describe(exc: Exception) -> str:
    """A user error reads as itself; anything else names its type, since it is a bug."""
    text = " ".join(str(exc).split())
    if isinstance(exc, OncallError | OSError):
        return clean(text, limit=300)
    return clean(f"{type(exc).__name__}: {text}", limit=300)
