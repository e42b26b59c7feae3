"""`oncall triage` through the real Typer app."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from oncall.cli.main import app
from tests.helpers import EXAMPLES, REPO, ScenarioFactory, alert

runner = CliRunner()


def test_text_output_on_a_real_case(datasets: Path) -> None:
    result = runner.invoke(app, ["triage", str(datasets / "2023-01-29-26")])
    assert result.exit_code == 0, result.output
    assert "1 incident(s)" in result.output
    assert "ts-food-service" in result.output
    assert "Likely causes" in result.output and "Proposed remediations" in result.output


def test_json_output_has_the_contract_keys(datasets: Path) -> None:
    result = runner.invoke(app, ["triage", str(datasets / "2023-01-29-26"), "--format", "json"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    (incident,) = doc["incidents"]
    for key in ("id", "alerts", "services", "owner", "impact", "hypotheses", "remediations",
                "runbooks"):
        assert key in incident
    assert set(doc["noise"]) == {"b25f58d8e306b067", "c429ae1c368501cc", "033730a43d077261",
                                 "5085ff228202bd34"}
    assert incident["owner"] == "group:tt-food"
    for rem in incident["remediations"]:
        assert rem["decision"] in ("auto", "approve", "deny")


def test_malformed_alerts_exit_2_with_one_line(make_scenario: ScenarioFactory) -> None:
    root = make_scenario(alerts='[{"labels": ')
    result = runner.invoke(app, ["triage", str(root)])
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("oncall: ") and "alerts.json" in lines[0]
    assert "Traceback" not in result.output


def test_wrong_field_type_names_the_field(make_scenario: ScenarioFactory) -> None:
    bad = alert("HighErrorRate")
    bad["labels"] = ["not", "a", "map"]
    result = runner.invoke(app, ["triage", str(make_scenario(alerts=[bad]))])
    assert result.exit_code == 2
    assert "alerts.json: [0].labels: expected an object, got a list" in result.stderr


def test_missing_directory(tmp_path: Path) -> None:
    result = runner.invoke(app, ["triage", str(tmp_path / "absent")])
    assert result.exit_code == 2
    assert "no such scenario directory" in result.stderr


def test_nothing_firing(make_scenario: ScenarioFactory) -> None:
    old = alert("HighLatency", ends="2026-03-14T02:12:00Z")
    result = runner.invoke(app, ["triage", str(make_scenario(alerts=[old]))])
    assert result.exit_code == 0
    assert "No incident" in result.output


def test_json_validates_against_the_schema(datasets: Path) -> None:
    import jsonschema

    schema = json.loads((REPO / "docs" / "triage.schema.json").read_text())
    for case in sorted(datasets.iterdir())[:4]:
        result = runner.invoke(app, ["triage", str(case), "--format", "json"])
        assert result.exit_code == 0, result.output
        jsonschema.validate(json.loads(result.stdout), schema)


def test_live_needs_a_reachable_alertmanager_or_says_so(tmp_path: Path) -> None:
    import socket

    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    config = tmp_path / "oncall.yaml"
    config.write_text(f"timeout_seconds: 1\nretries: 0\nsources:\n  alertmanager:\n"
                      f"    url: http://127.0.0.1:{port}\n")
    result = runner.invoke(app, ["triage", "--live", "--config", str(config)])
    assert result.exit_code == 2
    assert "alertmanager" in result.stderr.lower() and len(result.stderr.strip().splitlines()) == 1
    both = runner.invoke(app, ["triage", str(tmp_path), "--live"])
    assert both.exit_code == 2 and "not both" in both.stderr


def test_llm_without_a_model_stays_deterministic(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ONCALL_LLM_MODEL", raising=False)
    plain = runner.invoke(app, ["triage", str(EXAMPLES / "bad-deploy-5xx"), "-f", "json"])
    with_llm = runner.invoke(app, ["triage", str(EXAMPLES / "bad-deploy-5xx"), "-f", "json",
                                   "--llm"])
    assert with_llm.exit_code == 0, with_llm.stderr
    body = json.loads(with_llm.stdout)
    assert "no LLM model configured" in json.dumps(body["llm"])
    strip = {"timings", "llm"}
    assert {k: v for k, v in body.items() if k not in strip} == {
        k: v for k, v in json.loads(plain.stdout).items() if k not in strip}


def test_act_without_a_terminal_only_proposes_and_audits() -> None:
    from oncall.audit import AuditLog

    result = runner.invoke(app, ["triage", str(EXAMPLES / "bad-deploy-5xx"), "--act"])
    assert result.exit_code == 0, result.stderr
    assert "proposing only" in result.stdout
    events = {r["event"] for r in AuditLog().records()}
    assert events == {"proposal"}


def test_the_users_policy_in_oncall_yaml_tightens_decisions(tmp_path: Path) -> None:
    scenario = EXAMPLES / "bad-deploy-5xx"
    plain = json.loads(runner.invoke(app, ["triage", str(scenario), "-f", "json"]).stdout)
    assert any(r["decision"] != "deny" for i in plain["incidents"] for r in i["remediations"]
               if r["action"] == "rollback")
    (tmp_path / "org-policy.yaml").write_text("autonomy: assist\nactions: {rollback: deny}\n")
    (tmp_path / "oncall.yaml").write_text("policy: org-policy.yaml\n")
    result = runner.invoke(app, ["triage", str(scenario), "-f", "json", "--config",
                                 str(tmp_path / "oncall.yaml")])
    assert result.exit_code == 0, result.stderr
    moves = [r for i in json.loads(result.stdout)["incidents"] for r in i["remediations"]]
    assert {r["decision"] for r in moves if r["action"] == "rollback"} == {"deny"}
    assert "auto" not in {r["decision"] for r in moves}
    (tmp_path / "oncall.yaml").write_text("policy: nowhere.yaml\n")
    bad = runner.invoke(app, ["triage", str(scenario), "--config", str(tmp_path / "oncall.yaml")])
    assert bad.exit_code == 2 and "policy" in bad.stderr and "nowhere.yaml" in bad.stderr


def test_a_misspelt_policy_key_is_one_line_and_exit_2(tmp_path: Path) -> None:
    import shutil

    root = tmp_path / "s"
    shutil.copytree(EXAMPLES / "checkout-latency", root)
    policy = root / "policy.yaml"
    policy.write_text(policy.read_text().replace("freezes: []", "freeze:\n- {from: "
                      "'2026-03-13T18:00:00Z', to: '2026-03-16T06:00:00Z'}"))
    for fmt in ("json", "text"):
        result = runner.invoke(app, ["triage", str(root), "-f", fmt])
        assert result.exit_code == 2 and result.stdout == ""
        assert result.stderr == (f"oncall: {policy}: freeze: unknown key; did you mean "
                                 "'freezes'? (expected one of autonomy, actions, freezes, "
                                 "change_windows, approvers)\n")


def test_live_act_verifies_from_the_configured_prometheus_with_its_executors(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    import oncall.cli.act as act_cli
    from oncall.cli.triage import _act
    from oncall.sources.live.reader import PrometheusReader

    seen: list[act_cli.ActOptions] = []
    monkeypatch.setattr(act_cli, "interactive",
                        lambda result, snap, options: seen.append(options) or 0)
    config = tmp_path / "oncall.yaml"
    config.write_text("sources:\n  alertmanager:\n    url: http://127.0.0.1:9\n"
                      "  prometheus:\n    url: http://127.0.0.1:9\n    queries:\n"
                      "      - {signal: error_ratio, query: 'sum(rate(errors[5m]))'}\n")
    assert _act(None, None, None, config) == 0  # type: ignore[arg-type]
    assert isinstance(seen[-1].reader, PrometheusReader)  # live: recovery read from Prometheus
    assert seen[-1].oncall_config == config  # its executors: section and policy
    config.write_text("sources:\n  alertmanager:\n    url: http://127.0.0.1:9\n")
    assert _act(None, None, None, config) == 0  # type: ignore[arg-type]
    assert seen[-1].reader is None
    assert "no prometheus source" in capsys.readouterr().err
    scenario = EXAMPLES / "bad-deploy-5xx"
    assert _act(None, None, scenario, config) == 0  # type: ignore[arg-type]
    assert seen[-1].reader is None and seen[-1].scenario == scenario  # replayed recording
