"""`oncall dashboard`: bad input ends before the app starts; good input starts it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from oncall.cli.main import app
from oncall.model import Snapshot
from oncall.sources import ScenarioSource
from oncall.tui.app import DashboardApp
from oncall.tui.data import SourceLoader
from tests.helpers import EXAMPLES, ScenarioFactory

runner = CliRunner()


@pytest.fixture
def started(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> list[DashboardApp]:
    """Replaces `run` so the app is built but never takes over the terminal; the user's
    own config dir (an executors.yaml, an oncall.yaml) stays out of it."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.delenv("ONCALL_CONFIG", raising=False)
    apps: list[DashboardApp] = []
    monkeypatch.setattr(DashboardApp, "run", lambda self, *a, **k: apps.append(self))
    return apps


def test_a_missing_scenario_is_one_line_and_exit_2(started: list[DashboardApp],
                                                    tmp_path: Path) -> None:
    result = runner.invoke(app, ["dashboard", str(tmp_path / "nope")])
    assert result.exit_code == 2
    assert result.stderr.strip().count("\n") == 0
    assert "no such scenario directory" in result.stderr
    assert started == []


def test_malformed_alerts_never_reach_the_app(started: list[DashboardApp],
                                              make_scenario: ScenarioFactory) -> None:
    root = make_scenario(alerts='[{"labels": ')
    result = runner.invoke(app, ["dashboard", str(root)])
    assert result.exit_code == 2 and "alerts.json" in result.stderr
    assert started == []


def test_a_good_scenario_starts_the_app_with_a_loader(started: list[DashboardApp],
                                                      tmp_path: Path) -> None:
    audit = tmp_path / "audit.jsonl"
    result = runner.invoke(app, ["dashboard", str(EXAMPLES / "checkout-latency"), "--lexical",
                                 "--audit", str(audit)])
    assert result.exit_code == 0, result.output
    (dashboard,) = started
    assert isinstance(dashboard.loader, SourceLoader)
    assert dashboard.session.ledger.audit is not None
    assert dashboard.session.ledger.audit.path == audit
    assert dashboard.session.runner is None  # no executors: approve, then run it yourself
    data = dashboard.loader()  # the snapshot read up front is used, then re-read
    assert data.triage.scenario == "checkout-latency" and data.triage.incidents
    assert dashboard.loader().triage.stats == data.triage.stats


def test_bad_input_exits_before_textual_is_imported(tmp_path: Path) -> None:
    code = (
        "import sys\nfrom typer.testing import CliRunner\nfrom oncall.cli.main import app\n"
        f"r = CliRunner().invoke(app, ['dashboard', {str(tmp_path / 'nope')!r}])\n"
        "assert r.exit_code == 2, r.output\nprint('textual' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "False"


class FakeLiveSource:
    """What `build_live_source` returns, minus the network: a source and a context."""

    def __init__(self) -> None:
        self.closed = False
        self.snapshots = 0

    def snapshot(self) -> Snapshot:
        self.snapshots += 1
        return ScenarioSource(EXAMPLES / "checkout-latency").snapshot()

    def __enter__(self) -> FakeLiveSource:
        return self

    def __exit__(self, *exc: object) -> None:
        self.closed = True


def test_live_refreshes_through_the_app_and_closes_the_source(
        started: list[DashboardApp], monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import oncall.sources.live

    fake = FakeLiveSource()
    monkeypatch.setattr(oncall.sources.live, "build_live_source", lambda config: fake)
    result = runner.invoke(app, ["dashboard", "--live", "--refresh", "15", "--lexical",
                                 "--audit", str(tmp_path / "a.jsonl")])
    assert result.exit_code == 0, result.output
    (dashboard,) = started
    assert dashboard.refresh_seconds == 15 and fake.snapshots == 0  # fetched in the app
    assert fake.closed


def test_live_without_a_configuration_is_one_line_and_exit_2(
        started: list[DashboardApp], tmp_path: Path) -> None:
    result = runner.invoke(app, ["dashboard", "--live", "--config", str(tmp_path / "no.yaml")])
    assert result.exit_code == 2 and "no.yaml" in result.stderr
    assert started == []


def test_a_scenario_and_live_together_are_refused(started: list[DashboardApp]) -> None:
    result = runner.invoke(app, ["dashboard", str(EXAMPLES / "checkout-latency"), "--live"])
    assert result.exit_code == 2 and "not both" in result.stderr
    assert started == []


def test_executors_and_approvers_reach_the_runner(started: list[DashboardApp],
                                                  tmp_path: Path) -> None:
    config = tmp_path / "executors.yaml"
    config.write_text("executors:\n  kubernetes: {dry_run: server, max_replicas: 9}\n")
    audit = tmp_path / "audit.jsonl"
    result = runner.invoke(app, ["dashboard", str(EXAMPLES / "alert-storm"), "--lexical",
                                 "--audit", str(audit), "--executor-config", str(config),
                                 "--approved-by", "bob", "--approved-by", "carol"])
    assert result.exit_code == 0, result.output
    (dashboard,) = started
    run = dashboard.session.runner
    assert run is not None and run.approved_by == ("bob", "carol")
    assert run.config.kubernetes is not None and run.config.kubernetes.max_replicas == 9
    assert run.audit.path == audit
    assert dashboard.session.ledger.audit is None  # the action loop writes the audit log


def test_executors_in_oncall_yaml_are_found_as_for_act(started: list[DashboardApp],
                                                       tmp_path: Path) -> None:
    home = tmp_path / "config" / "oncall"
    home.mkdir(parents=True)
    (home / "oncall.yaml").write_text("executors:\n  kubernetes: {dry_run: client}\n")
    result = runner.invoke(app, ["dashboard", str(EXAMPLES / "alert-storm"), "--lexical"])
    assert result.exit_code == 0, result.output
    run = started[0].session.runner
    assert run is not None and run.config.kubernetes is not None
    assert run.config.kubernetes.dry_run == "client"


def test_a_bad_executor_config_is_one_line_and_exit_2(started: list[DashboardApp],
                                                      tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("executors:\n  kubernetes: {dry_run: maybe}\n")
    result = runner.invoke(app, ["dashboard", str(EXAMPLES / "alert-storm"),
                                 "--executor-config", str(bad)])
    assert result.exit_code == 2
    assert result.stderr == (f"oncall: {bad}: executors.kubernetes.dry_run: expected server "
                             "or client\n")
    assert started == []


def test_live_moves_are_verified_from_the_configured_prometheus(
        started: list[DashboardApp], monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import oncall.sources.live
    from oncall.sources.live.reader import PrometheusReader

    monkeypatch.setattr(oncall.sources.live, "build_live_source", lambda config: FakeLiveSource())
    config = tmp_path / "oncall.yaml"
    config.write_text("sources:\n  alertmanager: {url: 'http://127.0.0.1:9'}\n"
                      "  prometheus:\n    url: http://127.0.0.1:9\n    queries:\n"
                      "      - {signal: error_ratio, query: 'sum(rate(errors[5m]))'}\n"
                      "executors:\n  kubernetes: {dry_run: server}\n")
    result = runner.invoke(app, ["dashboard", "--live", "--config", str(config), "--lexical",
                                 "--audit", str(tmp_path / "a.jsonl")])
    assert result.exit_code == 0, result.output
    run = started[0].session.runner
    assert run is not None
    snap = ScenarioSource(EXAMPLES / "checkout-latency").snapshot()
    assert isinstance(run.verifier(snap).reader, PrometheusReader)
    config.write_text("sources:\n  alertmanager: {url: 'http://127.0.0.1:9'}\n"
                      "executors:\n  kubernetes: {dry_run: server}\n")
    result = runner.invoke(app, ["dashboard", "--live", "--config", str(config), "--lexical",
                                 "--audit", str(tmp_path / "a.jsonl")])
    assert result.exit_code == 0, result.output
    assert "no prometheus source" in result.stderr
    run = started[1].session.runner
    assert run is not None and run.verifier(snap).reader is None


def test_a_blank_approver_is_refused_before_the_app(started: list[DashboardApp]) -> None:
    result = runner.invoke(app, ["dashboard", str(EXAMPLES / "alert-storm"), "--lexical",
                                 "--approved-by", "   "])
    assert result.exit_code == 2 and "--approved-by" in result.stderr
    assert started == []
