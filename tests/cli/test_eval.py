"""`oncall eval` through the real Typer app: output shape and exit codes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from oncall.cli.main import app
from tests.evaluate.builders import expected_doc, write_scenario

runner = CliRunner()


def test_json_has_summary_baselines_and_cases(tmp_path: Path) -> None:
    write_scenario(tmp_path / "corpus" / "one", expected_doc(["a1", "a2"], ["n1"]))
    write_scenario(tmp_path / "corpus" / "unscored")
    result = runner.invoke(app, ["eval", str(tmp_path / "corpus"), "--format", "json"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert {"summary", "baselines", "cases"} <= set(doc)
    assert doc["summary"]["cases"] == 1 and doc["summary"]["incidents"] == 1
    metrics = doc["summary"]["metrics"]
    for key in ("clustering_f1", "noise_precision", "noise_recall", "noise_reduction",
                "service_ac1", "service_ac3", "change_ac1", "kind_ac1", "remediation_top1",
                "decision_accuracy", "runbook_recall3", "policy_violations"):
        assert key in metrics
    assert metrics["noise_precision"] == 1.0 and metrics["policy_violations"] == 0
    assert set(doc["summary"]["timings"]) >= {"load", "correlate", "analyze", "retrieve",
                                              "plan"}
    assert set(doc["baselines"]) == {"alertmanager", "recent_change", "max_zscore"}
    # group_by(alertname, service) splits the two checkout alerts: no pair found
    assert doc["baselines"]["alertmanager"]["metrics"]["clustering_recall"] == 0.0
    (case,) = doc["cases"]
    (inc,) = case["incidents"]
    assert inc["expected"]["service"] == "checkout" and "got" in inc and "problems" in inc
    assert doc["skipped"] == [str(tmp_path / "corpus" / "unscored")]


def test_no_baselines(tmp_path: Path) -> None:
    root = write_scenario(tmp_path / "one", expected_doc(["a1", "a2"], ["n1"]))
    result = runner.invoke(app, ["eval", str(root), "--no-baselines", "--format", "json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["baselines"] == {}


def test_text_output_shows_the_tables(tmp_path: Path) -> None:
    root = write_scenario(tmp_path / "one", expected_doc(["a1", "a2"], ["n1"]))
    result = runner.invoke(app, ["eval", str(root)], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    for text in ("Summary", "clustering_f1", "Alertmanager group_by", "max z-score",
                 "Time per stage", "Per case", "why wrong", "checkout"):
        assert text in result.stdout


def test_broken_expected_yaml_exits_2_with_one_line(tmp_path: Path) -> None:
    doc = expected_doc(["a1"], [])
    doc["incidents"][0]["root_cause"]["kind"] = "gremlins"
    root = write_scenario(tmp_path / "one", doc)
    result = runner.invoke(app, ["eval", str(root)])
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith(f"oncall: {root / 'expected.yaml'}: incidents[0].root_cause.kind")
    assert "Traceback" not in result.output


def test_invalid_expected_yaml_exits_2(tmp_path: Path) -> None:
    root = write_scenario(tmp_path / "one", "incidents: [alerts: {\n")
    result = runner.invoke(app, ["eval", str(root)])
    assert result.exit_code == 2
    assert "expected.yaml: invalid YAML" in result.stderr


def test_nothing_to_score_exits_2(tmp_path: Path) -> None:
    write_scenario(tmp_path / "corpus" / "unscored")
    result = runner.invoke(app, ["eval", str(tmp_path / "corpus")])
    assert result.exit_code == 2
    assert "nothing to score" in result.stderr


def test_a_broken_threshold_exits_1_with_the_list(tmp_path: Path) -> None:
    root = write_scenario(tmp_path / "one", expected_doc(["a1", "a2"], ["n1"]))
    limits = tmp_path / "thresholds.yaml"
    limits.write_text("minimum:\n  clustering_f1: 0\n"
                      "maximum:\n  policy_violations: 0\n  noise_recall: 0.5\n")
    result = runner.invoke(app, ["eval", str(root), "--thresholds", str(limits),
                                 "--format", "json"])
    assert result.exit_code == 1
    assert "1 metric(s) break the thresholds" in result.stderr
    assert "noise_recall: 1 is above the maximum 0.5" in result.stderr
    doc = json.loads(result.stdout)
    assert doc["thresholds"]["passed"] is False
    assert [f["metric"] for f in doc["thresholds"]["failures"]] == ["noise_recall"]


def test_met_thresholds_exit_0(tmp_path: Path) -> None:
    root = write_scenario(tmp_path / "one", expected_doc(["a1", "a2"], ["n1"]))
    limits = tmp_path / "thresholds.yaml"
    limits.write_text("minimum: {noise_recall: 1.0}\nmaximum: {policy_violations: 0}\n")
    result = runner.invoke(app, ["eval", str(root), "--thresholds", str(limits)])
    assert result.exit_code == 0, result.output


def test_broken_thresholds_file_exits_2(tmp_path: Path) -> None:
    root = write_scenario(tmp_path / "one", expected_doc(["a1", "a2"], ["n1"]))
    limits = tmp_path / "thresholds.yaml"
    limits.write_text("minimum: {service_acc1: 0.5}\n")
    result = runner.invoke(app, ["eval", str(root), "--thresholds", str(limits)])
    assert result.exit_code == 2
    assert "thresholds.yaml: minimum.service_acc1: unknown metric" in result.stderr


def test_missing_directory_exits_2(tmp_path: Path) -> None:
    result = runner.invoke(app, ["eval", str(tmp_path / "absent")])
    assert result.exit_code == 2
    assert "no such directory" in result.stderr


def test_a_real_case(datasets: Path) -> None:
    result = runner.invoke(app, ["eval", str(datasets / "2023-01-29-26"), "--format", "json"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    (case,) = doc["cases"]
    assert case["incidents"][0]["expected"]["service"] == "ts-food-service"
    assert doc["summary"]["metrics"]["policy_violations"] == 0


def test_broken_scenario_input_exits_2(tmp_path: Path) -> None:
    root = write_scenario(tmp_path / "one", expected_doc(["a1"], []))
    (root / "alerts.json").write_text('[{"labels": ')
    result = runner.invoke(app, ["eval", str(root)])
    assert result.exit_code == 2
    assert "alerts.json: invalid JSON" in result.stderr


def test_an_eval_run_loads_no_heavy_library(tmp_path: Path) -> None:
    root = write_scenario(tmp_path / "one", expected_doc(["a1", "a2"], ["n1"]))
    heavy = ("litellm", "chromadb", "textual", "onnxruntime", "torch")
    code = (
        "import sys\nfrom typer.testing import CliRunner\nfrom oncall.cli.main import app\n"
        f"r = CliRunner().invoke(app, ['eval', {str(root)!r}])\nassert r.exit_code == 0\n"
        f"print(','.join(m for m in {heavy!r} if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == ""
