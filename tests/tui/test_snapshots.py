"""Screenshots of the main screens, on a fixed hand-built triage (tests/tui/builders.py).

Regenerate after a deliberate change to the dashboard with
`pytest tests/tui --snapshot-update`, then look at the SVGs under __snapshots__/.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from oncall.tui.app import DashboardApp
from tests.tui.builders import dashboard_data

SnapCompare = Callable[..., bool]
SIZES = [(80, 24), (120, 40)]


def _app() -> DashboardApp:
    return DashboardApp(data=dashboard_data())


@pytest.mark.parametrize("size", SIZES, ids=["80x24", "120x40"])
def test_incident_list(snap_compare: SnapCompare, size: tuple[int, int]) -> None:
    assert snap_compare(_app(), terminal_size=size)


@pytest.mark.parametrize("size", SIZES, ids=["80x24", "120x40"])
def test_incident_view(snap_compare: SnapCompare, size: tuple[int, int]) -> None:
    assert snap_compare(_app(), press=["enter"], terminal_size=size)


@pytest.mark.parametrize("size", SIZES, ids=["80x24", "120x40"])
def test_remediation_queue(snap_compare: SnapCompare, size: tuple[int, int]) -> None:
    assert snap_compare(_app(), press=["enter", "5"], terminal_size=size)


def test_approval_confirmation(snap_compare: SnapCompare) -> None:
    assert snap_compare(_app(), press=["enter", "5", "a"], terminal_size=(80, 24))


def test_timeline(snap_compare: SnapCompare) -> None:
    assert snap_compare(_app(), press=["enter", "2"], terminal_size=(80, 24))


def test_verification_sparklines(snap_compare: SnapCompare) -> None:
    assert snap_compare(_app(), press=["enter", "6"], terminal_size=(80, 24))
