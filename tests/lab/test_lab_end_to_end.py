"""`oncall lab` end to end: real Prometheus and Alertmanager, a real fault, a real fix.

The default run is started as its own process (as a user would), so what is checked is
the whole promise: exit 0 only because recovery was verified from Prometheus, a
diagnosis that matches what was broken, an intact audit chain with every step of the
loop, and not one process or temporary directory left behind.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from oncall.audit import AuditLog
from oncall.cli.main import app
from tests.sources.live.servers import binary

RUN_TIMEOUT = 240
CLI = [sys.executable, "-c", "from oncall.cli.main import run; run()"]
# What someone doing real work has exported; the lab must not read (or act on) these.
PRODUCTION = {"ONCALL_PROMETHEUS_URL": "http://127.0.0.1:9", "ONCALL_ALERTMANAGER_URL":
              "http://127.0.0.1:9", "ONCALL_CONFIG": "/nonexistent/oncall.yaml"}


def _processes_mentioning(text: str) -> list[str]:
    """Command lines of live processes that mention `text` (the lab's temp dir)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(
                errors="replace")
            state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if text in cmdline and state != "Z":
            found.append(f"{entry.name}: {cmdline[:200]}")
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def test_the_default_lab_recovers_and_proves_it(tmp_path: Path) -> None:
    binary("prometheus")
    binary("prometheus-alertmanager", "alertmanager")
    pytest.importorskip("prometheus_client", reason="the demo services need prometheus_client")
    audit = tmp_path / "audit.jsonl"
    done = subprocess.run([*CLI, "lab", "--format", "json", "--audit", str(audit),
                           "--timeout", str(RUN_TIMEOUT - 30)],
                          capture_output=True, text=True, timeout=RUN_TIMEOUT,
                          cwd=Path(__file__).resolve().parents[2],
                          env={**os.environ, **PRODUCTION})
    assert done.returncode == 0, done.stderr[-3000:] + done.stdout[-3000:]
    report = json.loads(done.stdout)
    assert report["status"] == "recovered" and report["recovered"] is True
    assert report["fault"] == "config-timeout"

    injected, cause = report["injected"], report["cause"]
    assert cause["service"] == injected["service"] == "checkout"
    assert cause["change"] == injected["change"] and report["diagnosis_matched"] is True
    assert any("alert" in line for line in cause["evidence"])
    # the live triage read the services' traces through the Jaeger source, and they
    # show checkout's calls to payments failing
    assert not [m for m in report["missing"] if m.startswith("traces")], report["missing"]
    traces = report["traces"]
    assert traces["traces"] > 0 and traces["failed_traces"] > 0
    assert set(traces["services"]) == {"frontend", "checkout", "payments"}
    assert traces["services"]["checkout"]["error_spans"] > 0
    assert any(("failing calls" in line or "failing traces" in line) and "checkout" in line
               for line in cause["evidence"]), cause["evidence"]
    assert report["remediation"]["action"] == "rollback"
    assert report["remediation"]["decision"] == "auto"
    verification = report["outcome"]["verification"]
    assert verification["status"] == "recovered"
    assert set(verification["last"]) == {"checkout/latency_p95_seconds", "checkout/error_ratio"}
    assert all(isinstance(v, float) for v in verification["last"].values())

    log = AuditLog(audit)
    assert log.verify().ok and report["audit_ok"] is True
    records = list(log.records())
    events = [r["event"] for r in records]
    for event in ("proposal", "decision", "approval", "execution", "verification"):
        assert event in events, events
    assert events.index("decision") < events.index("approval") < events.index("execution") \
        < events.index("verification")
    approval = next(r for r in records if r["event"] == "approval")
    assert approval["actor"] == "policy"
    execution = next(r for r in records if r["event"] == "execution")
    assert execution["data"]["ok"] is True and execution["data"]["executor"] == "argocd"
    assert next(r for r in records if r["event"] == "verification")["data"]["status"] \
        == "recovered"

    assert {p["name"] for p in report["processes"]} == {
        "payments", "checkout", "frontend", "prometheus", "alertmanager", "loadgen"}
    assert not [p for p in report["processes"] if _alive(p["pid"])]
    assert not _processes_mentioning(report["workdir"])
    assert not Path(report["workdir"]).exists()
    assert report["elapsed_seconds"] < RUN_TIMEOUT - 30


runner = CliRunner()


def test_an_unknown_fault_is_bad_input_in_one_line() -> None:
    result = runner.invoke(app, ["lab", "--fault", "meteor"])
    assert result.exit_code == 2
    assert "unknown fault 'meteor'" in result.output and "config-timeout" in result.output


def test_missing_binaries_are_named_with_how_to_install_them(tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch
                                                             ) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    result = runner.invoke(app, ["lab"])
    assert result.exit_code == 2
    assert "prometheus: is not installed (apt-get install prometheus" in result.output


def test_a_run_that_runs_out_of_time_fails_and_still_cleans_up(tmp_path: Path) -> None:
    from oncall.lab.run import LabOptions, run_lab

    binary("prometheus")
    binary("prometheus-alertmanager", "alertmanager")
    pytest.importorskip("prometheus_client", reason="the demo services need prometheus_client")
    lines: list[str] = []
    report = run_lab(LabOptions(timeout_seconds=14, warmup_seconds=5, progress=lines.append,
                                audit=tmp_path / "audit.jsonl"))
    assert report.status == "failed" and not report.recovered
    assert "--timeout (14 s) ran out" in report.message
    assert lines and lines[-1].endswith(report.message)
    assert not (tmp_path / "audit.jsonl").exists()  # nothing was acted on
    assert report.processes and not [p for p in report.processes if _alive(p["pid"])]
    assert not _processes_mentioning(report.workdir)
    assert not Path(report.workdir).exists()
    assert report.elapsed_seconds < 30


def _fake_run(status: str, monkeypatch: pytest.MonkeyPatch) -> None:
    import oncall.lab.run as lab_run
    from oncall.lab.report import LabReport

    def run_lab(options: lab_run.LabOptions) -> LabReport:
        options.progress("[  0.0s] pretend")
        return LabReport(fault=options.fault, status=status, message=f"it {status}",
                         audit="/tmp/a.jsonl", audit_ok=True,
                         cause={"service": "checkout", "kind": "deploy", "score": 0.2,
                                "change": "argocd-checkout-1", "evidence": ["landed 3 s"]},
                         diagnosis_matched=True)

    monkeypatch.setattr(lab_run, "check_prerequisites", lambda fault: ("p", "a"))
    monkeypatch.setattr(lab_run, "run_lab", run_lab)


@pytest.mark.parametrize(("status", "code"), [("recovered", 0), ("not_recovered", 1),
                                              ("failed", 1)])
def test_the_exit_code_is_zero_only_for_verified_recovery(
        status: str, code: int, monkeypatch: pytest.MonkeyPatch) -> None:
    _fake_run(status, monkeypatch)
    result = runner.invoke(app, ["lab", "--format", "json"])
    assert result.exit_code == code
    assert json.loads(result.stdout)["status"] == status
    text = runner.invoke(app, ["lab"])
    assert text.exit_code == code
    first = text.stdout.splitlines()[0]
    assert first.startswith(f"lab: config-timeout: {'RECOVERED' if code == 0 else status.upper()}")
    assert "matches the injected fault: yes" in text.stdout
