"""The approval flow through the keyboard without executors: deny stays deny, approve
needs the target typed, auto is recorded as allowed, and the person is told to run the
command. With executors, see test_acting.py."""

from __future__ import annotations

from textual.pilot import Pilot
from textual.widgets import DataTable, Input, Static, TabbedContent

from oncall.tui.app import DashboardApp
from oncall.tui.screens.confirm import ConfirmScreen
from oncall.tui.screens.incident import IncidentScreen
from tests.tui.builders import dashboard_data
from tests.tui.conftest import drive

APPROVE, AUTO, DENY = 0, 1, 2  # rows of the fixture's remediation queue


async def _queue_row(pilot: Pilot[None], row: int) -> None:
    await pilot.press("enter", "5")
    pilot.app.screen.query_one("#queue", DataTable).move_cursor(row=row)
    await pilot.pause()


def _state(pilot: Pilot[None], row: int) -> str:
    return str(pilot.app.screen.query_one("#queue", DataTable).get_row_at(row)[-1])


def test_deny_cannot_be_approved_and_says_why() -> None:
    app = DashboardApp(data=dashboard_data())

    async def scenario(pilot: Pilot[None]) -> None:
        await _queue_row(pilot, DENY)
        await pilot.press("a")
        assert isinstance(pilot.app.screen, IncidentScreen)  # no confirmation offered
        assert app.session.ledger.all() == []
        assert "policy lists failover: deny" in app.notices[-1]
        assert _state(pilot, DENY) == "blocked"

    drive(app, scenario)


def test_approve_needs_the_target_typed_in_a_modal() -> None:
    app = DashboardApp(data=dashboard_data())

    async def scenario(pilot: Pilot[None]) -> None:
        await _queue_row(pilot, APPROVE)
        await pilot.press("a")
        assert isinstance(pilot.app.screen, ConfirmScreen)
        await pilot.press(*"payments", "enter")  # the wrong name
        assert isinstance(pilot.app.screen, ConfirmScreen)
        assert "does not match" in str(pilot.app.screen.query_one("#mismatch", Static).content)
        await pilot.press("escape")
        assert isinstance(pilot.app.screen, IncidentScreen)
        assert app.session.ledger.all() == [] and _state(pilot, APPROVE) == "proposed"

        await pilot.press("a")
        typed = pilot.app.screen.query_one("#typed", Input)
        typed.value = ""
        await pilot.press(*"checkout", "enter")
        assert isinstance(pilot.app.screen, IncidentScreen)
        (approval,) = app.session.ledger.all()
        assert (approval.action, approval.target, approval.how) == (
            "config_revert", "checkout", "approved")
        assert _state(pilot, APPROVE) == "approved"
        assert app.notices[-1].endswith(
            "approved, no executor configured: run kubectl rollout undo "
            "deployment/checkout -n shop yourself")

    drive(app, scenario)


def test_auto_is_recorded_without_a_confirmation() -> None:
    app = DashboardApp(data=dashboard_data())

    async def scenario(pilot: Pilot[None]) -> None:
        await _queue_row(pilot, AUTO)
        await pilot.press("a")
        assert isinstance(pilot.app.screen, IncidentScreen)
        (approval,) = app.session.ledger.all()
        assert approval.how == "auto" and _state(pilot, AUTO) == "auto"
        assert "auto by policy, no executor configured" in app.notices[-1]

    drive(app, scenario)


def test_a_from_another_tab_only_shows_the_queue() -> None:
    app = DashboardApp(data=dashboard_data())

    async def scenario(pilot: Pilot[None]) -> None:
        await pilot.press("enter", "a")
        assert pilot.app.screen.query_one(TabbedContent).active == "remediate"
        assert app.session.ledger.all() == []

    drive(app, scenario)
