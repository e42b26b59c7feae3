"""One incident: causes, timeline, topology, knowledge, remediation queue, verification.

Six tabs rather than one long page, because at 80x24 the panes only fit one at a
time; digits jump between them. The Remediate tab's keys (`p` preview, `a` approve,
`x` run, `u` undo) act on the highlighted move through `acting.RemediationActions`,
which checks policy and hands executor calls to worker threads so nothing freezes.
"""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import Footer, Header, TabbedContent, TabPane

from oncall.model import Incident, Remediation
from oncall.tui.acting import RemediationActions
from oncall.tui.screens.base import DataScreen
from oncall.tui.session import Session
from oncall.tui.signals import verification_signals
from oncall.tui.text import clean
from oncall.tui.timeline import incident_timeline
from oncall.tui.widgets.causes import CausesPane
from oncall.tui.widgets.knowledge import KnowledgePane
from oncall.tui.widgets.remediations import RemediationQueue
from oncall.tui.widgets.summary import IncidentSummary, summary_text
from oncall.tui.widgets.timeline import TimelinePane
from oncall.tui.widgets.topology import TopologyPane
from oncall.tui.widgets.verify import VerifyPane

TABS = ("causes", "timeline", "topology", "knowledge", "remediate", "verify")
_TABS = Binding.Group("tabs", compact=True)


class IncidentScreen(DataScreen):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "app.pop_screen", "Back"),
        *(Binding(str(n), f"tab('{tab}')", tab, group=_TABS, key_display=str(n))
          for n, tab in enumerate(TABS, start=1)),
        Binding("a", "approve", "Approve"),
        Binding("p", "preview", "Preview"),
        Binding("x", "run", "Run"),
        # Not in the footer (80 columns hold no more): the state line says when a
        # move can be undone, and `?` lists it.
        Binding("u", "undo", "Undo", show=False),
    ]

    def __init__(self, session: Session, incident_id: str) -> None:
        super().__init__(session)
        self.incident_id = incident_id
        found = session.incident(incident_id)
        if found is None:
            raise ValueError(f"no incident {incident_id!r} in the session")
        self.incident: Incident = found
        self._redrawing = False
        self._redraw_again = False

    def compose(self) -> ComposeResult:
        data = self.session.data
        assert data is not None  # an incident screen is only opened on loaded data
        incident, snap = self.incident, data.snapshot
        yield Header()
        yield IncidentSummary(incident, data.triage.now)
        with TabbedContent(id="tabs"):
            with TabPane("1 Causes", id="causes"):
                yield CausesPane(incident)
            with TabPane("2 Timeline", id="timeline"):
                yield TimelinePane(incident_timeline(incident, snap), incident.started_at)
            with TabPane("3 Topology", id="topology"):
                yield TopologyPane(incident, data.topology, snap.catalog)
            with TabPane("4 Knowledge", id="knowledge"):
                yield KnowledgePane(incident.runbooks)
            with TabPane("5 Remediate", id="remediate"):
                yield RemediationQueue(incident, self.session)
            with TabPane("6 Verify", id="verify"):
                yield VerifyPane(verification_signals(incident, snap.metrics))
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = clean(self.incident.id, limit=40)
        self._focus_pane("causes")

    def refresh_data(self) -> None:
        """After a reload: redraw the same incident, or say it is gone, and stay put.

        Redraws never overlap (a live refresh can land mid-redraw): a request that
        arrives during one is folded into a single redraw after it.
        """
        if self._redrawing:
            self._redraw_again = True
            return
        self._redrawing = True
        self.call_later(self._redraw)

    async def _redraw(self) -> None:
        try:
            self._redraw_again = True
            while self._redraw_again:
                self._redraw_again = False
                await self._redraw_once()
        finally:
            self._redrawing = False

    async def _redraw_once(self) -> None:
        found = self.session.incident(self.incident_id)
        if found is None:
            if self.session.data is not None:
                self.notify("this incident is not in the latest triage (resolved or "
                            "regrouped); escape returns to the list", severity="warning")
            return
        data = self.session.data
        assert data is not None
        self.incident, snap = found, data.snapshot
        # In place, pane by pane: widgets, cursors and the active tab stay as they are.
        self.query_one(IncidentSummary).update(summary_text(found, data.triage.now))
        self.query_one(CausesPane).show(found)
        self.query_one(TimelinePane).show(incident_timeline(found, snap), found.started_at)
        self.query_one(TopologyPane).show(found, data.topology, snap.catalog)
        self.query_one(KnowledgePane).show(found.runbooks)
        self.query_one(RemediationQueue).show(found)
        await self.query_one(VerifyPane).show(verification_signals(found, snap.metrics))

    def action_tab(self, tab: str) -> None:
        self.query_one(TabbedContent).active = tab
        self._focus_pane(tab)

    def _focus_pane(self, tab: str) -> None:
        pane = self.query_one(f"TabPane#{tab}", TabPane)
        for widget in pane.query("DataTable, Tree, VerticalScroll"):
            if widget.focusable:
                widget.focus()
                return

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """`p`, `x` and `u` belong to the queue: shown and live on the Remediate tab only
        (`a` elsewhere brings the queue up, as before)."""
        if action in ("preview", "run", "undo"):
            return self.query_one(TabbedContent).active == "remediate"
        return True

    @on(TabbedContent.TabActivated)
    def _tab_changed(self) -> None:
        self.refresh_bindings()

    def action_approve(self) -> None:
        tabs = self.query_one(TabbedContent)
        if tabs.active != "remediate":
            self.action_tab("remediate")
            self.notify("pick a remediation, then press a", timeout=3)
            return
        remediation = self._current("approve")
        if remediation is not None:
            self._actions().approve(self.incident, remediation)

    def action_preview(self) -> None:
        remediation = self._current("preview")
        if remediation is not None:
            self._actions().preview(self.incident, remediation)

    def action_run(self) -> None:
        remediation = self._current("run")
        if remediation is not None:
            self._actions().run(self.incident, remediation)

    def action_undo(self) -> None:
        remediation = self._current("undo")
        if remediation is not None:
            self._actions().undo(self.incident, remediation)

    def _current(self, verb: str) -> Remediation | None:
        remediation = self.query_one(RemediationQueue).current
        if remediation is None:
            self.notify(f"nothing to {verb}: no remediation was proposed", severity="warning")
        return remediation

    def _actions(self) -> RemediationActions:
        return RemediationActions(self.app, self.session, lambda: moves_changed(self.app))


def moves_changed(app: App[object]) -> None:
    """A remediation step changed state: every open incident screen redraws its queue."""
    for screen in app.screen_stack:
        if isinstance(screen, IncidentScreen) and screen.is_mounted:
            screen.query_one(RemediationQueue).refresh_rows()
