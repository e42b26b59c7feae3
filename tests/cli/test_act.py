"""`oncall act` through the real Typer app, with a fake kubectl on PATH (no cluster)."""

from __future__ import annotations

import json
import shutil
from io import StringIO
from pathlib import Path

import pytest
from rich.console import Console
from typer.testing import CliRunner

from oncall.audit import AuditLog
from oncall.cli.act import ActOptions, interactive
from oncall.cli.main import app
from oncall.pipeline import triage_snapshot
from oncall.sources import ScenarioSource
from tests.helpers import EXAMPLES, REPO
from tests.remediate.fakes import FakeKubectl

runner = CliRunner()
SCALE_ARGV = ["-n", "rides", "scale", "deployment/driver-location", "--current-replicas=4",
              "--replicas=6"]


@pytest.fixture
def kubectl(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> FakeKubectl:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    return FakeKubectl(tmp_path, monkeypatch)


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "executors.yaml"
    path.write_text("executors:\n  kubernetes: {dry_run: server}\n")
    return path


def scenario(tmp_path: Path, recovers: bool) -> Path:
    """alert-storm, with samples after `now` showing driver-location recover (or not)."""
    root = tmp_path / "alert-storm"
    shutil.copytree(EXAMPLES / "alert-storm", root)
    body = json.loads((root / "metrics.json").read_text())
    now = ScenarioSource(root).snapshot().now.timestamp()
    healthy = {"latency_p95_seconds": "0.05", "error_ratio": "0.001"}
    for series in body["data"]["result"]:
        name = series["metric"].get("__name__")
        if series["metric"].get("service") == "driver-location" and name in healthy:
            value = healthy[name] if recovers else series["values"][-1][1]
            series["values"] += [[now + 30 * i, value] for i in range(1, 21)]
    (root / "metrics.json").write_text(json.dumps(body))
    return root


def pick(root: Path, action: str) -> int:
    result = triage_snapshot(ScenarioSource(root).snapshot())
    return next(i for i, r in enumerate(result.incidents[0].remediations, start=1)
                if r.action == action)


def records(path: Path) -> list[str]:
    return [r["event"] for r in AuditLog(path).records()]


def test_without_a_terminal_or_pick_it_only_proposes(tmp_path: Path, kubectl: FakeKubectl,
                                                     config: Path) -> None:
    audit = tmp_path / "audit.jsonl"
    result = runner.invoke(app, ["act", str(EXAMPLES / "alert-storm"), "--audit", str(audit),
                                 "--executor-config", str(config)])
    assert result.exit_code == 0, result.output
    assert "proposing only" in result.output
    assert set(records(audit)) == {"proposal"} and kubectl.calls == []


def test_yes_runs_an_auto_move_verifies_and_audits(tmp_path: Path, kubectl: FakeKubectl,
                                                   config: Path) -> None:
    root = scenario(tmp_path, recovers=True)
    audit = tmp_path / "audit.jsonl"
    result = runner.invoke(app, ["act", str(root), "--pick", str(pick(root, "scale")), "--yes",
                                 "--audit", str(audit), "--executor-config", str(config)])
    assert result.exit_code == 0, result.output
    assert "outcome: recovered" in result.output
    assert kubectl.mutating() == [SCALE_ARGV]
    assert records(audit)[-4:] == ["note", "approval", "execution", "verification"]
    verify = runner.invoke(app, ["audit", "verify", "--audit", str(audit)])
    assert verify.exit_code == 0, verify.output


def test_no_recovery_undoes_and_exits_1(tmp_path: Path, kubectl: FakeKubectl,
                                        config: Path) -> None:
    root = scenario(tmp_path, recovers=False)
    result = runner.invoke(app, ["act", str(root), "--pick", str(pick(root, "scale")), "--yes",
                                 "--audit", str(tmp_path / "a.jsonl"),
                                 "--executor-config", str(config), "--verify-minutes", "2"])
    assert result.exit_code == 1, result.output
    assert "outcome: undone" in result.output
    assert kubectl.mutating() == [SCALE_ARGV, ["-n", "rides", "scale",
                                               "deployment/driver-location",
                                               "--current-replicas=6", "--replicas=4"]]


def test_yes_does_not_approve_for_a_person(tmp_path: Path, kubectl: FakeKubectl,
                                           config: Path) -> None:
    root = EXAMPLES / "alert-storm"
    result = runner.invoke(app, ["act", str(root), "--pick", str(pick(root, "restart")),
                                 "--yes", "--audit", str(tmp_path / "a.jsonl"),
                                 "--executor-config", str(config)])
    assert result.exit_code == 0, result.output
    assert "requires approval by a person" in result.output
    assert kubectl.calls == []


def test_dry_run_shows_the_exact_call_and_runs_nothing(tmp_path: Path, kubectl: FakeKubectl,
                                                       config: Path) -> None:
    root = EXAMPLES / "alert-storm"
    result = runner.invoke(app, ["act", str(root), "--pick", str(pick(root, "scale")),
                                 "--dry-run", "--audit", str(tmp_path / "a.jsonl"),
                                 "--executor-config", str(config)])
    assert result.exit_code == 0, result.output
    assert "outcome: dry_run" in result.output
    assert kubectl.mutating() == []
    assert kubectl.calls[-1] == [*SCALE_ARGV, "--dry-run=server"]


def test_a_frozen_scenario_runs_nothing_with_yes(tmp_path: Path, kubectl: FakeKubectl,
                                                 config: Path) -> None:
    root = REPO / "evals" / "redteam" / "inject-freeze"
    for number in range(1, 6):
        runner.invoke(app, ["act", str(root), "--pick", str(number), "--yes", "--audit",
                            str(tmp_path / "a.jsonl"), "--executor-config", str(config)])
    assert kubectl.mutating() == []
    assert "execution" not in records(tmp_path / "a.jsonl")


@pytest.mark.parametrize(("args", "words"), [
    (["--pick", "99"], "--pick: there is no remediation #99"),
    (["--incident", "inc-nope"], "--incident: no incident 'inc-nope'"),
])
def test_bad_choices_are_one_line_and_exit_2(tmp_path: Path, kubectl: FakeKubectl,
                                             config: Path, args: list[str], words: str) -> None:
    result = runner.invoke(app, ["act", str(EXAMPLES / "alert-storm"), *args, "--audit",
                                 str(tmp_path / "a.jsonl"), "--executor-config", str(config)])
    assert result.exit_code == 2 and words in result.stderr


def test_a_bad_executor_config_is_one_line_and_exit_2(tmp_path: Path,
                                                      kubectl: FakeKubectl) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("executors:\n  kubernetes: {dry_run: maybe}\n")
    result = runner.invoke(app, ["act", str(EXAMPLES / "alert-storm"), "--pick", "1",
                                 "--audit", str(tmp_path / "a.jsonl"),
                                 "--executor-config", str(bad)])
    assert result.exit_code == 2
    assert result.stderr == (f"oncall: {bad}: executors.kubernetes.dry_run: expected server "
                             "or client\n")
    assert kubectl.calls == []


def run_interactive(tmp_path: Path, config: Path, answers: list[str]) -> tuple[int, str]:
    root = scenario(tmp_path, recovers=True)
    snap = ScenarioSource(root).snapshot()
    out = StringIO()
    replies = iter(answers)
    options = ActOptions(audit=tmp_path / "a.jsonl", executor_config=config, scenario=root,
                         terminal=True, ask=lambda prompt: next(replies),
                         console=Console(file=out, width=200))
    return interactive(triage_snapshot(snap), snap, options), out.getvalue()


def test_a_person_picks_sees_the_call_and_types_the_action(tmp_path: Path, kubectl: FakeKubectl,
                                                           config: Path) -> None:
    number = pick(EXAMPLES / "alert-storm", "scale")
    code, shown = run_interactive(tmp_path, config, [str(number), "scale"])
    assert code == 0, shown
    assert ("call:     kubectl -n rides scale deployment/driver-location "
            "--current-replicas=4 --replicas=6") in shown
    assert "dry run:  ok: deployment.apps/driver-location scaled (server dry run)" in shown
    assert kubectl.mutating() == [SCALE_ARGV]


def test_anything_but_the_action_name_or_yes_cancels(tmp_path: Path, kubectl: FakeKubectl,
                                                     config: Path) -> None:
    number = pick(EXAMPLES / "alert-storm", "scale")
    code, shown = run_interactive(tmp_path, config, [str(number), "y"])
    assert code == 0 and "outcome: rejected" in shown
    assert kubectl.mutating() == []


def test_executors_can_live_in_oncall_yaml(tmp_path: Path, kubectl: FakeKubectl) -> None:
    audit = tmp_path / "audit.jsonl"
    args = ["act", str(EXAMPLES / "alert-storm"), "--audit", str(audit)]
    without = runner.invoke(app, args)
    assert "No executor config" in without.output
    (tmp_path / "config" / "oncall").mkdir(parents=True)
    (tmp_path / "config" / "oncall" / "oncall.yaml").write_text(
        "executors:\n  kubernetes: {dry_run: server}\n")
    with_section = runner.invoke(app, args)
    assert with_section.exit_code == 0, with_section.output
    assert "No executor config" not in with_section.output
    (tmp_path / "config" / "oncall" / "oncall.yaml").write_text(
        "executors:\n  kubernetes: {dry_run: sometimes}\n")
    bad = runner.invoke(app, args)
    assert bad.exit_code == 2 and "oncall.yaml" in bad.output and "dry_run" in bad.output


# ---- exit codes, as docs/action.md lists them --------------------------------------


def _with_policy(root: Path, **changes: object) -> Path:
    import yaml

    path = root / "policy.yaml"
    body = yaml.safe_load(path.read_text())
    for key, value in changes.items():
        if key == "actions":
            body["actions"].update(value)
        else:
            body[key] = value
    path.write_text(yaml.safe_dump(body))
    return root


@pytest.mark.parametrize(("case", "args", "typed", "code", "said"), [
    ("proposed", [], None, 0, "Proposals recorded"),
    ("dry run", ["--pick", "scale", "--dry-run"], None, 0, "outcome: dry_run"),
    ("dry run, no executor", ["--pick", "scale", "--dry-run", "--no-executors"], None, 1,
     "outcome: refused: nothing ran: no executor is configured"),
    ("dry run that fails", ["--pick", "scale", "--dry-run", "--fail-dry-run"], None, 1,
     "outcome: dry_run"),
    ("denied", ["--pick", "failover", "--yes"], None, 1, "outcome: denied"),
    ("denied, dry run", ["--pick", "failover", "--dry-run"], None, 1, "outcome: denied"),
    ("cancelled", ["--pick", "restart"], "no", 0, "outcome: rejected: not confirmed"),
    ("approval missing", ["--pick", "restart", "--approved-by", "ALICE"], "restart", 1,
     "outcome: refused: approval missing: policy needs 2 distinct approver(s), have 1"),
    ("approved by two", ["--pick", "restart", "--approved-by", " bob "], "restart", 0,
     "outcome: recovered"),
    ("blank approver", ["--pick", "restart", "--approved-by", "   "], "restart", 2,
     "oncall: --approved-by: an approver name is blank"),
    ("escalation recorded", ["--pick", "escalate", "--yes"], None, 0,
     "outcome: escalated: recorded"),
    ("recovered", ["--pick", "scale", "--yes"], None, 0, "outcome: recovered"),
    ("undone", ["--pick", "scale", "--yes", "--still-bad"], None, 1, "outcome: undone"),
])
def test_each_exit_code(tmp_path: Path, kubectl: FakeKubectl, config: Path,
                        monkeypatch: pytest.MonkeyPatch, case: str, args: list[str],
                        typed: str | None, code: int, said: str) -> None:
    monkeypatch.setenv("ONCALL_ACTOR", "alice")
    root = _with_policy(scenario(tmp_path, recovers="--still-bad" not in args),
                        actions={"failover": "deny", "restart": "approve"},
                        approvers={"min": 2, "groups": ["group:sre"]})
    argv = ["act", str(root), "--audit", str(tmp_path / "a.jsonl"), "--verify-minutes", "2"]
    if "--no-executors" not in args:
        argv += ["--executor-config", str(config)]
    if "--fail-dry-run" in args:
        kubectl.fail_on("--dry-run=server")
    for arg in args:
        if arg in ("--no-executors", "--fail-dry-run", "--still-bad"):
            continue
        argv.append(str(pick(root, arg)) if argv[-1] == "--pick" else arg)
    if typed is not None:
        monkeypatch.setattr("oncall.cli.act._is_terminal", lambda: True)
    result = runner.invoke(app, argv, input=None if typed is None else typed + "\n")
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    assert result.exit_code == code, result.output
    assert said in " ".join(result.output.split()), result.output
    if code != 0 or case == "cancelled":
        assert kubectl.mutating() == [] or case == "undone"
