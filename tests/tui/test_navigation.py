"""Keyboard navigation on real triages (the pipeline's output, asserted by structure)."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import DataTable, MarkdownViewer, Sparkline, TabbedContent

from oncall.sources import ScenarioSource
from oncall.tui.app import DashboardApp
from oncall.tui.data import DashboardData, build_data
from oncall.tui.screens.document import DocumentScreen
from oncall.tui.screens.help import HelpScreen
from oncall.tui.screens.incident import TABS, IncidentScreen
from oncall.tui.screens.incidents import IncidentListScreen
from oncall.tui.screens.noise import NoiseScreen
from oncall.tui.timeline import incident_timeline
from tests.helpers import EXAMPLES
from tests.tui.conftest import drive

_CACHE: dict[str, DashboardData] = {}


def _data(name: str) -> DashboardData:
    """One triage per example for the whole module: the pipeline is the slow part."""
    if name not in _CACHE:
        _CACHE[name] = build_data(ScenarioSource(EXAMPLES / name).snapshot())
    return _CACHE[name]


@pytest.mark.parametrize("example", ["checkout-latency", "alert-storm"])
def test_every_incident_in_the_list_opens_and_escape_returns(example: str) -> None:
    data = _data(example)
    assert data.triage.incidents, "the example should have at least one incident"

    async def scenario(pilot: Pilot[None]) -> None:
        table = pilot.app.screen.query_one("#incidents", DataTable)
        assert table.row_count == len(data.triage.incidents)
        for index, incident in enumerate(data.triage.incidents):
            table.move_cursor(row=index)
            await pilot.press("enter")
            screen = pilot.app.screen
            assert isinstance(screen, IncidentScreen) and screen.incident.id == incident.id
            await pilot.press("escape")
            assert isinstance(pilot.app.screen, IncidentListScreen)

    drive(DashboardApp(data=data), scenario)


def test_digits_switch_tabs_and_each_pane_shows_the_incident() -> None:
    data = _data("checkout-latency")
    incident = data.triage.incidents[0]

    async def scenario(pilot: Pilot[None]) -> None:
        await pilot.press("enter")
        screen = pilot.app.screen
        tabs = screen.query_one(TabbedContent)
        for number, tab in enumerate(TABS, start=1):
            await pilot.press(str(number))
            assert tabs.active == tab
        rows = {name: screen.query_one(f"#{name}", DataTable).row_count
                for name in ("causes-table", "timeline-table", "knowledge-table", "queue")}
        assert rows == {
            "causes-table": len(incident.hypotheses),
            "timeline-table": len(incident_timeline(incident, data.snapshot)),
            "knowledge-table": len(incident.runbooks),
            "queue": len(incident.remediations),
        }
        assert len(screen.query(Sparkline)) >= 2  # p95 and error ratio of the top cause
        await pilot.press("1")
        assert tabs.active == "causes"

    drive(DashboardApp(data=data), scenario)


def test_noise_and_help_open_and_close() -> None:
    data = _data("alert-storm")

    async def scenario(pilot: Pilot[None]) -> None:
        await pilot.press("n")
        assert isinstance(pilot.app.screen, NoiseScreen)
        assert pilot.app.screen.query_one("#noise", DataTable).row_count == len(data.triage.noise)
        await pilot.press("question_mark")
        assert isinstance(pilot.app.screen, HelpScreen)
        await pilot.press("escape")
        await pilot.press("escape")
        assert isinstance(pilot.app.screen, IncidentListScreen)

    drive(DashboardApp(data=data), scenario)


def test_a_knowledge_hit_opens_its_markdown_in_a_viewer() -> None:
    data = _data("checkout-latency")
    hit = data.triage.incidents[0].runbooks[0]

    async def scenario(pilot: Pilot[None]) -> None:
        await pilot.press("enter", "4", "enter")
        screen = pilot.app.screen
        assert isinstance(screen, DocumentScreen) and screen.hit.id == hit.id
        assert screen.markdown.startswith("# ")
        assert screen.query_one(MarkdownViewer).document.source == screen.markdown
        await pilot.press("escape")
        assert isinstance(pilot.app.screen, IncidentScreen)

    drive(DashboardApp(data=data), scenario)


def test_keys_on_an_empty_incident_list_do_nothing(tmp_path: Path) -> None:
    import shutil

    root = tmp_path / "quiet"
    shutil.copytree(EXAMPLES / "checkout-latency", root)
    (root / "alerts.json").write_text("[]")  # nothing firing: the list is empty
    data = build_data(ScenarioSource(root).snapshot())
    assert data.triage.incidents == []

    async def scenario(pilot: Pilot[None]) -> None:
        for key in ("down", "up", "enter", "n", "escape", "down", "home", "end"):
            await pilot.press(key)
            await pilot.pause()
        assert isinstance(pilot.app.screen, IncidentListScreen)
        assert pilot.app.screen.query_one("#incidents", DataTable).row_count == 0

    app = DashboardApp(data=data)
    drive(app, scenario)
    assert app.return_code in (None, 0)  # no handler raised
