"""Loading off the UI thread: slow and failing loads are notices, never crashes."""

from __future__ import annotations

import threading

from textual.pilot import Pilot
from textual.widgets import DataTable, Static, TabbedContent

from oncall.errors import SourceUnavailable
from oncall.tui.app import DashboardApp
from oncall.tui.data import DashboardData
from oncall.tui.screens.incident import IncidentScreen
from tests.tui.builders import dashboard_data
from tests.tui.conftest import drive, settle


class ScriptedLoader:
    """Returns or raises what it is told, in order; the last step repeats."""

    def __init__(self, *steps: DashboardData | Exception,
                 gate: threading.Event | None = None) -> None:
        self.steps = list(steps)
        self.calls = 0
        self.gate = gate

    def __call__(self) -> DashboardData:
        step = self.steps[min(self.calls, len(self.steps) - 1)]
        self.calls += 1
        if self.gate is not None:
            self.gate.wait(timeout=10)
        if isinstance(step, Exception):
            raise step
        return step


def _rows(pilot: Pilot[None]) -> int:
    return pilot.app.screen.query_one("#incidents", DataTable).row_count


def test_the_first_load_runs_in_a_worker_and_fills_the_list() -> None:
    loader = ScriptedLoader(dashboard_data())
    app = DashboardApp(loader)

    async def scenario(pilot: Pilot[None]) -> None:
        await settle(pilot)
        assert loader.calls == 1 and _rows(pilot) == 2
        assert "checkout-fixture" in app.sub_title

    drive(app, scenario)


def test_a_failing_first_load_is_a_notice_and_r_retries() -> None:
    loader = ScriptedLoader(RuntimeError("connection reset"), dashboard_data())
    app = DashboardApp(loader)

    async def scenario(pilot: Pilot[None]) -> None:
        await settle(pilot)
        head = str(pilot.app.screen.query_one("#headline", Static).content)
        assert "Could not load: RuntimeError: connection reset" in head
        assert app.notices[-1].startswith("load failed: RuntimeError")
        await pilot.press("r")
        await settle(pilot)
        assert _rows(pilot) == 2 and app.session.load_error == ""

    drive(app, scenario)


def test_a_failing_reload_keeps_what_was_shown() -> None:
    loader = ScriptedLoader(dashboard_data(), SourceUnavailable("prometheus: timed out"))
    app = DashboardApp(loader)

    async def scenario(pilot: Pilot[None]) -> None:
        await settle(pilot)
        await pilot.press("r")
        await settle(pilot)
        assert app.notices[-1] == ("load failed: prometheus: timed out "
                                   "(still showing the previous data)")
        assert _rows(pilot) == 2

    drive(app, scenario)


def test_a_slow_load_says_so_while_the_keyboard_still_works() -> None:
    gate = threading.Event()
    app = DashboardApp(ScriptedLoader(dashboard_data(), gate=gate), slow_after=0.05)

    async def scenario(pilot: Pilot[None]) -> None:
        await pilot.pause(0.3)
        assert any("still loading" in n for n in app.notices)
        await pilot.press("question_mark")  # the UI answers while the load is stuck
        await pilot.press("escape")
        gate.set()
        await settle(pilot)
        assert _rows(pilot) == 2

    drive(app, scenario)


def test_a_live_refresh_reloads_periodically_and_keeps_the_open_incident() -> None:
    loader = ScriptedLoader(dashboard_data())
    app = DashboardApp(loader, refresh_seconds=0.2)

    async def scenario(pilot: Pilot[None]) -> None:
        await settle(pilot)
        await pilot.press("enter", "5")
        await pilot.pause(0.6)
        await settle(pilot)
        assert loader.calls >= 3
        screen = pilot.app.screen
        assert isinstance(screen, IncidentScreen) and screen.incident.id == "inc-checkout"
        assert screen.query_one("#queue", DataTable).row_count == 3
        assert screen.query_one(TabbedContent).active == "remediate"

    drive(app, scenario)


def test_a_live_refresh_waits_for_a_slow_source_instead_of_piling_up() -> None:
    gate = threading.Event()
    loader = ScriptedLoader(dashboard_data(), gate=gate)
    app = DashboardApp(loader, refresh_seconds=0.05, slow_after=10)

    async def scenario(pilot: Pilot[None]) -> None:
        await pilot.pause(0.4)  # eight refresh ticks while the first fetch hangs
        assert loader.calls == 1
        await pilot.press("r")
        assert app.notices[-1] == "already loading"
        gate.set()
        await settle(pilot)
        assert _rows(pilot) == 2

    drive(app, scenario)


def test_a_reload_redraws_the_open_incident_in_place_or_says_it_is_gone() -> None:
    fewer = dashboard_data()
    fewer.triage.incidents[0].remediations.pop()
    gone = dashboard_data()
    gone.triage.incidents.pop(0)
    loader = ScriptedLoader(dashboard_data(), fewer, gone)
    app = DashboardApp(loader)

    async def scenario(pilot: Pilot[None]) -> None:
        await settle(pilot)
        await pilot.press("enter", "5")
        queue = pilot.app.screen.query_one("#queue", DataTable)
        queue.move_cursor(row=1)
        await pilot.press("r")
        await settle(pilot)
        assert pilot.app.screen.query_one("#queue", DataTable) is queue  # same widget
        assert queue.row_count == 2 and queue.cursor_row == 1
        assert pilot.app.screen.query_one(TabbedContent).active == "remediate"
        await pilot.press("r")
        await settle(pilot)
        assert "not in the latest triage" in app.notices[-1]
        await pilot.press("escape")
        assert _rows(pilot) == 1

    drive(app, scenario)
