"""The dashboard's runner without a terminal: what was approved is what runs, or nothing."""

from __future__ import annotations

from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console

from oncall.audit import AuditLog
from oncall.cli.act import ActOptions, interactive
from oncall.pipeline import triage_snapshot
from oncall.remediate.executors.config import parse_executor_config
from oncall.remediate.session import Confirmation, ConfirmRequest
from oncall.remediate.setup import make_verifier
from oncall.sources import ScenarioSource
from oncall.tui.approvals import ApprovalLedger
from oncall.tui.data import build_data
from oncall.tui.runner import RemediationRunner
from oncall.tui.session import Busy, Session
from oncall.tui.states import MoveState, move_state
from tests.remediate.fakes import FakeKubectl
from tests.tui.acting import ACTOR, SCALE, SCALE_UP, scenario


@pytest.fixture
def kubectl(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> FakeKubectl:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    return FakeKubectl(tmp_path, monkeypatch)


def _never(request: ConfirmRequest) -> Confirmation:
    raise AssertionError(f"no undo should be asked for: {request}")


def _setup(tmp_path: Path, **policy: Any) -> tuple[RemediationRunner, AuditLog, Path]:
    root = scenario(tmp_path, **policy)
    audit = AuditLog(tmp_path / "audit.jsonl", key=b"k", actor=ACTOR)
    config = parse_executor_config({"kubernetes": {}}, "test")
    runner = RemediationRunner(config, audit, lambda snap: make_verifier(snap, scenario=root))
    return runner, audit, root


def test_a_call_that_changed_since_approval_is_not_run(tmp_path: Path,
                                                       kubectl: FakeKubectl) -> None:
    runner, audit, root = _setup(tmp_path, actions={"scale": "approve"})
    data = build_data(ScenarioSource(root).snapshot())
    incident = data.triage.incidents[0]
    rem = incident.remediations[SCALE]
    preview = runner.preview(data.snapshot, incident, SCALE).preview
    assert preview is not None and list(preview.argv[1:]) == SCALE_UP
    approval = ApprovalLedger().approve(incident.id, rem, rem.target, call=preview.call)
    kubectl.replicas(5)  # someone scaled it in between: the call would differ
    outcome = runner.run(data.snapshot, incident, SCALE, approval, _never)
    assert outcome.status == "rejected" and not outcome.executed
    assert kubectl.mutating() == []
    (rejection,) = [r["data"] for r in audit.records() if r["event"] == "rejection"]
    assert "the call changed since it was approved" in rejection["reason"]
    assert "--current-replicas=5" in rejection["reason"]


def test_a_run_reports_its_verification_polls_and_proposes_once(tmp_path: Path,
                                                                kubectl: FakeKubectl) -> None:
    runner, audit, root = _setup(tmp_path)
    data = build_data(ScenarioSource(root).snapshot())
    incident = data.triage.incidents[0]
    steps: list[str] = []
    runner.preview(data.snapshot, incident, SCALE)
    outcome = runner.run(data.snapshot, incident, SCALE, None, _never, steps.append)
    assert outcome.status == "recovered"
    assert steps[:3] == ["verifying: poll 1", "verifying: poll 2", "verifying: poll 3"]
    events = [r["event"] for r in audit.records()]
    assert events.count("proposal") == len(incident.remediations)
    ran = runner.ran(incident.id, incident.remediations[SCALE])
    assert ran is not None and ran.undoable


def test_approvers_are_the_person_then_the_attested_names(tmp_path: Path) -> None:
    audit = AuditLog(tmp_path / "a.jsonl", key=b"k", actor=ACTOR)
    runner = RemediationRunner(parse_executor_config({}, "t"), audit,
                               lambda snap: make_verifier(snap),
                               approved_by=("bob", ACTOR, "bob", "carol"))
    assert runner.approvers() == [ACTOR, "bob", "carol"]


def test_the_queue_state_follows_a_running_step_then_the_outcome(tmp_path: Path,
                                                                 kubectl: FakeKubectl) -> None:
    runner, _audit, root = _setup(tmp_path)
    data = build_data(ScenarioSource(root).snapshot())
    incident = data.triage.incidents[0]
    rem = incident.remediations[SCALE]
    session = Session(data=data, runner=runner)
    assert move_state(session, incident.id, rem).label == "proposed"
    session.busy = Busy(incident.id, rem.action, rem.target, "verifying: poll 2")
    assert move_state(session, incident.id, rem) == MoveState("running", "verifying: poll 2")
    session.busy = None
    runner.run(data.snapshot, incident, SCALE, None, _never)
    state = move_state(session, incident.id, rem)
    assert state.label == "recovered" and state.detail.endswith("; u undoes it")


def test_a_dashboard_run_audits_exactly_what_oncall_act_audits(tmp_path: Path,
                                                               kubectl: FakeKubectl) -> None:
    runner, audit, root = _setup(tmp_path)
    snap = ScenarioSource(root).snapshot()
    data = build_data(snap)
    runner.run(data.snapshot, data.triage.incidents[0], SCALE, None, _never)

    config = tmp_path / "executors.yaml"
    config.write_text("executors:\n  kubernetes: {}\n")
    cli_audit = tmp_path / "cli-audit.jsonl"
    options = ActOptions(pick=SCALE + 1, yes=True, audit=cli_audit, executor_config=config,
                         scenario=root, terminal=False,
                         console=Console(file=StringIO(), width=200))
    assert interactive(triage_snapshot(snap), snap, options) == 0

    def steps(log: AuditLog) -> list[tuple[str, object]]:
        return [(r["event"], r["data"]) for r in log.records()]

    assert steps(audit) == steps(AuditLog(cli_audit, key=b"k"))
    assert kubectl.mutating() == [SCALE_UP, SCALE_UP]  # once from each front end
