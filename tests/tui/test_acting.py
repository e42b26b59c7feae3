"""Preview, approve, run and undo from the Remediate tab, through the real action loop.

A fake kubectl on PATH records every argument vector; the audit log must read the
events `oncall act` writes, and its chain must verify.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import Input, Sparkline, Static

from oncall.tui.app import DashboardApp
from oncall.tui.screens.confirm import ConfirmScreen
from oncall.tui.screens.incident import IncidentScreen
from oncall.tui.screens.outcome import OutcomeScreen
from oncall.tui.screens.preview import PreviewScreen
from tests.remediate.fakes import FakeKubectl
from tests.tui.acting import (
    ACTOR,
    RESTART,
    SCALE,
    SCALE_BACK,
    SCALE_UP,
    Rig,
    queue_row,
    rig,
    scenario,
    state,
    until,
)
from tests.tui.builders import dashboard_data
from tests.tui.conftest import drive, settle


@pytest.fixture
def kubectl(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> FakeKubectl:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    return FakeKubectl(tmp_path, monkeypatch)


def _text(pilot: Pilot[None], selector: str) -> str:
    return str(pilot.app.screen.query_one(selector, Static).content)


async def _type(pilot: Pilot[None], words: str) -> None:
    """Fills the confirmation and submits it (typing key by key is covered elsewhere)."""
    pilot.app.screen.query_one("#typed", Input).value = words
    await pilot.press("enter")
    await pilot.pause()


def test_preview_shows_the_exact_call_and_its_dry_run_and_runs_nothing(
        tmp_path: Path, kubectl: FakeKubectl) -> None:
    r = rig(scenario(tmp_path), kubectl)

    async def run(pilot: Pilot[None]) -> None:
        await queue_row(pilot, SCALE)
        await pilot.press("p")
        await settle(pilot)
        assert isinstance(pilot.app.screen, PreviewScreen)
        shown = _text(pilot, "#preview-text")
        assert ("call: kubectl -n rides scale deployment/driver-location "
                "--current-replicas=4 --replicas=6") in shown
        assert "argv: kubectl | -n | rides | scale |" in shown
        assert "dry run: ok: deployment.apps/driver-location scaled (server dry run)" in shown
        await pilot.press("escape")
        assert state(pilot, SCALE) == "previewed"

    drive(r.app, run)
    assert kubectl.mutating() == []
    assert kubectl.calls[-1] == [*SCALE_UP, "--dry-run=server"]
    data = r.app.session.data
    assert data is not None
    proposed = len(data.triage.incidents[0].remediations)  # one per queued move
    assert r.events() == ["proposal"] * proposed + ["decision", "note", "note"]
    assert r.records("note")[-1]["outcome"] == "dry_run"


def test_deny_is_never_previewed_approved_or_run(tmp_path: Path, kubectl: FakeKubectl) -> None:
    r = rig(scenario(tmp_path, actions={"restart": "deny"}), kubectl)

    async def run(pilot: Pilot[None]) -> None:
        await queue_row(pilot, RESTART)
        for key in ("p", "a", "x"):
            await pilot.press(key)
            await settle(pilot)
            assert isinstance(pilot.app.screen, IncidentScreen)
            assert "policy lists restart: deny" in r.app.notices[-1]
        assert state(pilot, RESTART) == "blocked"

    drive(r.app, run)
    assert kubectl.calls == [] and r.events() == []


def test_approve_takes_the_typed_name_and_x_runs_exactly_the_previewed_argv(
        tmp_path: Path, kubectl: FakeKubectl) -> None:
    r = rig(scenario(tmp_path), kubectl)

    async def run(pilot: Pilot[None]) -> None:
        await queue_row(pilot, RESTART)
        await pilot.press("x")  # not approved yet
        await settle(pilot)
        assert "needs a person's approval first" in r.app.notices[-1]
        assert kubectl.calls == []

        await pilot.press("a")
        await until(pilot, ConfirmScreen)
        shown = _text(pilot, "ConfirmScreen Static")
        assert "call: kubectl -n rides delete pod driver-location-" in shown
        assert f"1 needed; approvers: {ACTOR}" in shown
        await _type(pilot, "restart")  # the action is not the target's name
        assert isinstance(pilot.app.screen, ConfirmScreen)
        await _type(pilot, "driver-location")
        assert isinstance(pilot.app.screen, IncidentScreen)
        assert state(pilot, RESTART) == "approved"
        assert kubectl.mutating() == []

        await pilot.press("x")
        await until(pilot, OutcomeScreen)
        assert "restart driver-location: recovered" in _text(pilot, "#outcome-text")
        await pilot.press("escape")
        await settle(pilot)
        assert state(pilot, RESTART) == "recovered"

    drive(r.app, run)
    previews = [n["preview"] for n in r.records("note") if "preview" in n]
    argv = previews[-1]["argv"]
    assert previews[0]["argv"] == argv  # what `a` showed is what `x` ran
    assert kubectl.mutating() == [argv[1:]]
    assert r.events()[-5:] == ["decision", "note", "approval", "execution", "verification"]
    assert r.records("approval")[-1]["approvers"] == [ACTOR]
    assert r.records("verification")[-1]["status"] == "recovered"
    assert r.audit.verify().ok


def test_policy_needing_two_approvers_counts_approved_by(tmp_path: Path,
                                                         kubectl: FakeKubectl) -> None:
    root = scenario(tmp_path, approvers={"min": 2})
    _refused_for_too_few_approvers(rig(root, kubectl), kubectl)

    paired = rig(root, kubectl, approved_by=("bob",))

    async def enough(pilot: Pilot[None]) -> None:
        await queue_row(pilot, RESTART)
        await pilot.press("a")
        await until(pilot, ConfirmScreen)
        assert f"2 needed; approvers: {ACTOR}, bob" in _text(pilot, "ConfirmScreen Static")
        await _type(pilot, "driver-location")
        await pilot.press("x")
        await until(pilot, OutcomeScreen)

    drive(paired.app, enough)
    assert len(kubectl.mutating()) == 1
    assert paired.records("approval")[-1]["approvers"] == [ACTOR, "bob"]


@pytest.mark.parametrize("again", [("ALICE",), (" alice ",), ("   ",), ("Alice", "")])
def test_the_actor_renamed_or_a_blank_name_is_no_second_approver(
        tmp_path: Path, kubectl: FakeKubectl, again: tuple[str, ...]) -> None:
    r = rig(scenario(tmp_path, approvers={"min": 2}), kubectl, approved_by=again)
    runner = r.app.session.runner
    assert runner is not None and runner.approvers() == [ACTOR]
    _refused_for_too_few_approvers(r, kubectl)


def _refused_for_too_few_approvers(r: Rig, kubectl: FakeKubectl) -> None:
    """`a` and `x` on the restart both stop at a notice; nothing runs or is recorded."""

    async def short(pilot: Pilot[None]) -> None:
        await queue_row(pilot, RESTART)
        for key in ("a", "x"):
            await pilot.press(key)
            await settle(pilot)
            assert isinstance(pilot.app.screen, IncidentScreen)
            assert "policy needs 2 approvers" in r.app.notices[-1]

    drive(r.app, short)
    assert kubectl.calls == [] and r.events() == []


def test_autonomy_assist_runs_nothing(tmp_path: Path, kubectl: FakeKubectl) -> None:
    r = rig(scenario(tmp_path, autonomy="assist"), kubectl)

    async def run(pilot: Pilot[None]) -> None:
        await queue_row(pilot, SCALE)
        for key in ("a", "p"):
            await pilot.press(key)
            await settle(pilot)
            assert isinstance(pilot.app.screen, IncidentScreen)
            assert "autonomy is assist" in r.app.notices[-1]
        await pilot.press("x")  # assist turns auto into approve: a person must approve
        await settle(pilot)
        assert "needs a person's approval first" in r.app.notices[-1]

    drive(r.app, run)
    assert kubectl.calls == []
    assert r.records("note")[-1]["outcome"] == "proposed"


def test_an_auto_move_runs_verifies_and_u_undoes_it(tmp_path: Path,
                                                    kubectl: FakeKubectl) -> None:
    r = rig(scenario(tmp_path), kubectl)

    async def run(pilot: Pilot[None]) -> None:
        await queue_row(pilot, SCALE)
        await pilot.press("u")  # nothing ran yet
        assert "not executed from this dashboard" in r.app.notices[-1]
        await pilot.press("x")  # auto: no approval needed
        await until(pilot, OutcomeScreen)
        shown = _text(pilot, "#outcome-text")
        assert "scale driver-location: recovered" in shown and "verify: recovered" in shown
        sparks = pilot.app.screen.query(Sparkline)
        assert len(sparks) == 2 and all(list(s.data or []) for s in sparks)
        await pilot.press("escape")
        await settle(pilot)
        assert state(pilot, SCALE) == "recovered"

        await pilot.press("u")
        await until(pilot, ConfirmScreen)
        assert "call: kubectl -n rides scale deployment/driver-location --current-replicas=6 " \
               "--replicas=4" in _text(pilot, "ConfirmScreen Static")
        await _type(pilot, "driver-location")
        await settle(pilot)
        assert state(pilot, SCALE) == "undone"
        await pilot.press("u")
        assert "already undone" in r.app.notices[-1]

    drive(r.app, run)
    assert kubectl.mutating() == [SCALE_UP, SCALE_BACK]
    assert r.events()[-6:] == ["note", "approval", "execution", "verification", "approval",
                               "undo"]
    approvals = r.records("approval")
    assert approvals[0]["by"] == "policy"
    assert approvals[1] == {"action": "undo scale", "target": "driver-location",
                            "approvers": [ACTOR]}
    assert r.audit.verify().ok


def test_no_recovery_asks_the_person_to_undo_and_escalates(tmp_path: Path,
                                                           kubectl: FakeKubectl) -> None:
    r = rig(scenario(tmp_path, recovers=False, actions={"scale": "approve"}), kubectl)

    async def run(pilot: Pilot[None]) -> None:
        await queue_row(pilot, SCALE)
        await pilot.press("a")
        await until(pilot, ConfirmScreen)
        await _type(pilot, "driver-location")
        await pilot.press("x")
        await until(pilot, ConfirmScreen)  # the loop asks, the worker waits
        screen = pilot.app.screen
        assert isinstance(screen, ConfirmScreen) and screen.verb == "undo"
        await _type(pilot, "driver-location")
        await until(pilot, OutcomeScreen)
        assert "scale driver-location: undone" in _text(pilot, "#outcome-text")

    drive(r.app, run)
    assert kubectl.mutating() == [SCALE_UP, SCALE_BACK]
    assert r.events()[-5:] == ["execution", "verification", "approval", "undo", "escalation"]
    assert r.records("verification")[-1]["status"] == "not_recovered"
    assert r.audit.verify().ok


def test_without_executors_x_and_p_say_so() -> None:
    app = DashboardApp(data=dashboard_data())

    async def run(pilot: Pilot[None]) -> None:
        await queue_row(pilot, 0)
        await pilot.press("x")
        assert app.notices[-1].endswith("no executor configured (--executor-config, "
                                        "executors.yaml, or executors: in oncall.yaml; see "
                                        "docs/action.md): run kubectl rollout undo "
                                        "deployment/checkout -n shop yourself")
        await pilot.press("p")
        assert "nothing to preview" in app.notices[-1]

    drive(app, run)
