"""Screenshots of the acting modals: preview (`p`), typed confirmation (`a`), outcome (`x`).

Driven as tests/tui/test_acting.py drives them: a copy of alert-storm, a fake kubectl
first on PATH, the real action loop, so the preview shows a real dry run and the outcome
a real verification (replayed on the virtual clock, so it ends at once and its numbers
are fixed). Nothing shown depends on the test's tmp path or the wall clock.

Unlike tests/tui/test_snapshots.py these go through the pipeline on `examples/`: a
change in how alert-storm is triaged (the queue's order, a pod's name) changes them too.
Regenerate with `pytest tests/tui --snapshot-update` and look at the SVGs.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import Input

from oncall.tui.app import DashboardApp
from oncall.tui.screens.confirm import ConfirmScreen
from oncall.tui.screens.outcome import OutcomeScreen
from oncall.tui.screens.preview import PreviewScreen
from tests.remediate.fakes import FakeKubectl
from tests.tui.acting import RESTART, SCALE, queue_row, rig, scenario, until

SnapCompare = Callable[..., bool]
SIZES = [(80, 24), (120, 40)]
IDS = ["80x24", "120x40"]


@pytest.fixture
def app(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> DashboardApp:
    """The dashboard on alert-storm with executors, acting through a fake kubectl."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    kubectl = FakeKubectl(tmp_path, monkeypatch)
    return rig(scenario(tmp_path), kubectl).app


async def _quiet(pilot: Pilot[None]) -> None:
    """Lets the step's worker end (its last call marks the queue's State under the modal)
    and clears the toasts it raised: the screenshot is of the modal, and a toast (which
    fades after 8 s anyway) would sit over its lower right corner."""
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()
    pilot.app.clear_notifications()
    await pilot.pause()


@pytest.mark.parametrize("size", SIZES, ids=IDS)
def test_preview(snap_compare: SnapCompare, app: DashboardApp, size: tuple[int, int]) -> None:
    async def run_before(pilot: Pilot[None]) -> None:
        await pilot.pause()  # as tests/tui/conftest.drive: the first screen mounts
        await queue_row(pilot, SCALE)
        await pilot.press("p")
        await until(pilot, PreviewScreen)
        await _quiet(pilot)

    assert snap_compare(app, terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES, ids=IDS)
def test_confirm_approve(snap_compare: SnapCompare, app: DashboardApp,
                         size: tuple[int, int]) -> None:
    async def run_before(pilot: Pilot[None]) -> None:
        await pilot.pause()  # as tests/tui/conftest.drive: the first screen mounts
        await queue_row(pilot, RESTART)  # approve by policy: the typed name is asked
        await pilot.press("a")
        await until(pilot, ConfirmScreen)
        await _quiet(pilot)

    assert snap_compare(app, terminal_size=size, run_before=run_before)


def test_confirm_mismatch(snap_compare: SnapCompare, app: DashboardApp) -> None:
    """A wrong name typed: the field keeps it and the refusal shows under it."""

    async def run_before(pilot: Pilot[None]) -> None:
        await pilot.pause()  # as tests/tui/conftest.drive: the first screen mounts
        await queue_row(pilot, RESTART)
        await pilot.press("a")
        await until(pilot, ConfirmScreen)
        pilot.app.screen.query_one("#typed", Input).value = "restart"
        await pilot.press("enter")
        await _quiet(pilot)

    assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)


@pytest.mark.parametrize("size", SIZES, ids=IDS)
def test_outcome(snap_compare: SnapCompare, app: DashboardApp, size: tuple[int, int]) -> None:
    async def run_before(pilot: Pilot[None]) -> None:
        await pilot.pause()  # as tests/tui/conftest.drive: the first screen mounts
        await queue_row(pilot, SCALE)
        await pilot.press("x")  # auto by policy: runs, verifies, recovers
        await until(pilot, OutcomeScreen)
        await _quiet(pilot)

    assert snap_compare(app, terminal_size=size, run_before=run_before)
