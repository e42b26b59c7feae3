"""End to end over real HTTP on 127.0.0.1: `oncall ticket sync` twice opens one incident,
a change adds a work note, and `--resolve` closes it after a verified recovery."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from oncall.audit import AuditLog
from oncall.cli.main import app
from tests.itsm.fake_servicenow import FakeServiceNow, serve

USER, PASSWORD = "oncall.bot", "pa55-w0rd-e2e"


def _config(tmp_path: Path, url: str) -> Path:
    path = tmp_path / "oncall.yaml"
    path.write_text(
        "itsm:\n"
        "  retries: 2\n"
        "  timeout_seconds: 5\n"
        "  servicenow:\n"
        f"    instance_url: {url}\n"
        "    user_env: E2E_SN_USER\n"
        "    password_env: E2E_SN_PASSWORD\n"
        "    assignment_group_map: {'group:payments': 'Payments SRE'}\n")
    return path


def _sync(triage: Path, config: Path, audit: Path, *extra: str) -> Any:
    return CliRunner().invoke(app, ["ticket", "sync", str(triage), "--config", str(config),
                                    "--audit", str(audit), "--format", "json", *extra])


def test_sync_twice_opens_one_incident_then_notes_changes_then_resolves(
        tmp_path: Path, checkout: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("E2E_SN_USER", USER)
    monkeypatch.setenv("E2E_SN_PASSWORD", PASSWORD)
    triage = tmp_path / "triage.json"
    triage.write_text(json.dumps(checkout))
    audit = tmp_path / "audit.jsonl"
    fake = FakeServiceNow(USER, PASSWORD, busy_posts=1)  # the first POST gets a 503
    with serve(fake) as url:
        config = _config(tmp_path, url)
        first = _sync(triage, config, audit)
        assert first.exit_code == 0, first.output
        assert [a["action"] for a in json.loads(first.stdout)["actions"]] == ["created"]
        second = _sync(triage, config, audit)
        assert second.exit_code == 0, second.output
        assert [a["action"] for a in json.loads(second.stdout)["actions"]] == ["unchanged"]
        assert len(fake.records) == 1  # no duplicate ticket
        (record,) = fake.records.values()
        assert record["number"] == "INC0010001"
        assert record["correlation_id"] == "oncall-inc-2f1c2bc2c5"
        assert record["assignment_group"] == "Payments SRE"
        assert (record["impact"], record["urgency"]) == ("1", "1")
        assert fake.log[:3] == ["GET correlation_id=oncall-inc-2f1c2bc2c5^ORDERBYDESCsys_"
                                "created_on", "POST 503", "GET correlation_id=oncall-inc-"
                                "2f1c2bc2c5^ORDERBYDESCsys_created_on"]
        assert fake.log.count("POST") == 1

        # A later triage: three more alerts joined the same incident.
        checkout["incidents"][0]["alerts"] += ["f000000000000001", "f000000000000002",
                                               "f000000000000003"]
        triage.write_text(json.dumps(checkout))
        third = _sync(triage, config, audit)
        assert [a["action"] for a in json.loads(third.stdout)["actions"]] == ["updated"]
        assert len(fake.records) == 1
        assert fake.journal[record["sys_id"]][0].startswith("oncall update: alerts 23 -> 26")

        # Resolving before anything was verified is refused, saying why.
        early = _sync(triage, config, audit, "--resolve")
        assert early.exit_code == 0
        (skip,) = json.loads(early.stdout)["actions"]
        assert skip["action"] == "skipped" and "no verified recovery" in skip["detail"]
        assert record["state"] == "1"

        log = AuditLog(audit)
        at = datetime(2026, 3, 14, 2, 21, tzinfo=UTC)
        log.append("decision", {"action": "config_revert", "target": "checkout",
                                "decision": "approve", "reason": "policy"},
                   incident="inc-2f1c2bc2c5", at=at)
        log.append("approval", {"action": "config_revert", "target": "checkout",
                                "approvers": ["alice"], "decision": "approve"},
                   incident="inc-2f1c2bc2c5", actor="alice", at=at)
        log.append("execution", {"action": "config_revert", "target": "checkout", "ok": True},
                   incident="inc-2f1c2bc2c5", at=at)
        log.append("verification", {"action": "config_revert", "target": "checkout",
                                    "status": "recovered", "reason": "p95 0.12s <= 0.134s"},
                   incident="inc-2f1c2bc2c5", at=datetime(2026, 3, 14, 2, 27, tzinfo=UTC))
        resolved = _sync(triage, config, audit, "--resolve")
        assert resolved.exit_code == 0, resolved.output
        assert [a["action"] for a in json.loads(resolved.stdout)["actions"]] == ["resolved"]
        assert record["state"] == "6"
        assert record["close_code"] == "Solution provided"
        assert record["close_notes"] == (
            "Resolved by oncall: config_revert checkout executed at 2026-03-14T02:21:00Z, "
            "approved by alice. Recovery verified at 2026-03-14T02:27:00Z: p95 0.12s <= "
            "0.134s. Audit trail: oncall audit show --incident inc-2f1c2bc2c5")
        again = _sync(triage, config, audit, "--resolve")
        assert [a["action"] for a in json.loads(again.stdout)["actions"]] == ["skipped"]
        assert len(fake.records) == 1

    notes = [r["data"] for r in AuditLog(audit).records() if r["event"] == "note"]
    assert [(n["system"], n["ticket"], n["action"]) for n in notes] == [
        ("servicenow", "INC0010001", "created"), ("servicenow", "INC0010001", "updated"),
        ("servicenow", "INC0010001", "resolved")]
    assert PASSWORD not in audit.read_text()
    assert AuditLog(audit).verify().ok


def test_wrong_credentials_fail_with_one_line_and_exit_1(
        tmp_path: Path, checkout: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("E2E_SN_USER", USER)
    monkeypatch.setenv("E2E_SN_PASSWORD", "wrong-password")
    triage = tmp_path / "triage.json"
    triage.write_text(json.dumps(checkout))
    fake = FakeServiceNow(USER, PASSWORD)
    with serve(fake) as url:
        result = CliRunner().invoke(app, ["ticket", "sync", str(triage), "--config",
                                          str(_config(tmp_path, url)), "--audit",
                                          str(tmp_path / "a.jsonl"), "--format", "json"])
    assert result.exit_code == 1
    (failed,) = json.loads(result.stdout)["actions"]
    assert failed["action"] == "failed"
    assert failed["detail"] == ("servicenow: GET /api/now/table/incident: HTTP 401: User Not "
                                "Authenticated; Required to provide Auth information")
    assert "wrong-password" not in result.output
    assert fake.records == {}
