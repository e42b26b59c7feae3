"""One incident: causes, timeline, topology, knowledge, remediation queue, verification.

Six tabs rather than one long page, because at 80x24 the panes only fit one at a
time; digits jump between them. Approving happens here: the highlighted remediation
goes through the ledger (the policy decision the triage computed), with a typed
confirmation for `approve`; an executor, when one is configured, gets the approval in
a worker thread so a slow one cannot freeze the screen.
"""

from __future__ import annotations

from typing import ClassVar

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.notifications import SeverityLevel
from textual.widgets import Footer, Header, TabbedContent, TabPane

from oncall.errors import OncallError
from oncall.model import Incident, Remediation
from oncall.tui.approvals import Approval, Executor, gate, without_executor
from oncall.tui.screens.base import DataScreen
from oncall.tui.screens.confirm import ConfirmScreen
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
                yield RemediationQueue(incident, self.session.ledger)
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

    def action_approve(self) -> None:
        tabs = self.query_one(TabbedContent)
        if tabs.active != "remediate":
            self.action_tab("remediate")
            self.notify("pick a remediation, then press a", timeout=3)
            return
        queue = self.query_one(RemediationQueue)
        remediation = queue.current
        if remediation is None:
            self.notify("nothing to approve: no remediation was proposed", severity="warning")
            return
        verdict = gate(remediation)
        if verdict.kind == "refused":
            self.notify(clean(f"{remediation.action} {remediation.target}: policy says "
                              f"{remediation.decision}; {verdict.reason}", limit=400),
                        title="cannot approve", severity="error", markup=False, timeout=8)
        elif verdict.kind == "auto":
            self._record(remediation, "")
        else:
            self.app.push_screen(ConfirmScreen(remediation, verdict.phrase),
                                 callback=lambda typed: self._confirmed(remediation, typed))

    def _confirmed(self, remediation: Remediation, typed: str | None) -> None:
        if typed is None:
            self.notify("not approved", timeout=2)
            return
        self._record(remediation, typed)

    def _record(self, remediation: Remediation, typed: str) -> None:
        try:
            approval = self.session.ledger.approve(self.incident.id, remediation, typed)
        except OncallError as exc:
            self.notify(clean(str(exc), limit=400), title="not approved", severity="error",
                        markup=False)
            return
        self.query_one(RemediationQueue).refresh_rows()
        executor = self.session.executor
        if executor is None:
            self.notify(clean(without_executor(approval), limit=400), title=approval.how,
                        markup=False, timeout=12)
        else:
            self._execute(executor, approval, remediation)

    @work(thread=True, group="execute", exit_on_error=False)
    def _execute(self, executor: Executor, approval: Approval, remediation: Remediation) -> None:
        """Hands the approval to the configured executor, off the UI thread."""
        severity: SeverityLevel = "information"
        try:
            outcome = executor(approval, remediation)
        except OncallError as exc:
            outcome, severity = f"{approval.action} {approval.target} failed: {exc}", "error"
        self.app.call_from_thread(self.notify, clean(outcome, limit=400), title="executor",
                                  severity=severity, markup=False)

