"""`oncall report`: exact numbers from an audit log and saved triages, in three formats."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from oncall.audit import AuditLog
from oncall.cli.main import app
from tests.itsm.conftest import saved_triage

CHECKOUT = "inc-2f1c2bc2c5"
ORPHAN = "inc-0000000000"  # in the audit log only: no saved triage


@pytest.fixture(scope="module")
def triages(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, dict[str, Any]]]:
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("XDG_DATA_HOME", str(tmp_path_factory.mktemp("xdg-report")))
        yield {name: saved_triage(name) for name in ("checkout-latency", "alert-storm")}


def _at(text: str, minutes: float = 0.0) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")) + timedelta(minutes=minutes)


def _attempt(log: AuditLog, incident: str, action: str, decision: str, at: datetime, *,
             by: str | None = None, verify: str | None = None, undo: bool = False,
             reject: bool = False) -> None:
    """One remediation attempt as oncall.remediate.session writes it."""
    base = {"action": action, "target": "svc"}
    log.append("decision", {**base, "decision": decision, "reason": "r"}, incident=incident,
               at=at)
    if reject:
        log.append("rejection", {**base, "reason": "not now"}, incident=incident,
                   actor="bob", at=at)
        return
    if by == "policy":
        log.append("approval", {**base, "by": "policy", "reason": "auto"}, incident=incident,
                   actor="policy", at=at)
    elif by:
        log.append("approval", {**base, "approvers": [by], "decision": decision},
                   incident=incident, actor=by, at=at)
    else:
        log.append("note", {"outcome": "proposed", "message": "no person"}, incident=incident,
                   at=at)
        return
    log.append("execution", {**base, "ok": True, "call": "x", "detail": ""},
               incident=incident, at=at)
    if verify:
        log.append("verification", {**base, "status": verify, "reason": "p95 ok"},
                   incident=incident, at=at + timedelta(minutes=1))
    if undo:
        log.append("approval", {"action": f"undo {action}", "target": "svc",
                                "approvers": ["alice"]}, incident=incident, actor="alice",
                   at=at + timedelta(minutes=2))
        log.append("undo", {**base, "ok": True}, incident=incident,
                   at=at + timedelta(minutes=2))


@pytest.fixture
def world(tmp_path: Path, triages: dict[str, dict[str, Any]]) -> tuple[Path, Path]:
    folder = tmp_path / "triages"
    folder.mkdir()
    checkout, storm = triages["checkout-latency"], triages["alert-storm"]
    (folder / "checkout.json").write_text(json.dumps(checkout))
    (folder / "checkout-again.json").write_text(json.dumps(checkout))  # saved twice
    (folder / "storm.json").write_text(json.dumps(storm))
    (folder / "alerts.json").write_text("[]")  # not a triage: passed over
    first, second = (i["id"] for i in storm["incidents"])
    storm_start = storm["incidents"][0]["started_at"]
    log = AuditLog(tmp_path / "audit.jsonl")
    start = checkout["incidents"][0]["started_at"]  # 2026-03-14T02:11:55Z
    # checkout: an automatic restart that did not help and was undone, then a revert a
    # person approved, verified 15 minutes after the first alert.
    _attempt(log, CHECKOUT, "restart", "auto", _at(start, 3), by="policy",
             verify="not_recovered", undo=True)
    _attempt(log, CHECKOUT, "config_revert", "approve", _at(start, 14), by="alice",
             verify="recovered")
    log.append("note", {"system": "servicenow", "ticket": "INC0010001", "action": "created"},
               incident=CHECKOUT)
    log.append("note", {"system": "servicenow", "ticket": "INC0010001", "action": "updated"},
               incident=CHECKOUT)
    log.append("note", {"system": "pagerduty", "ticket": f"oncall-{CHECKOUT}",
                        "action": "triggered"}, incident=CHECKOUT)
    # storm, first incident: failover denied by policy, then an automatic restart
    # verified 6 minutes after its first alert.
    _attempt(log, first, "failover", "deny", _at(storm_start, 1))
    _attempt(log, first, "restart", "auto", _at(storm_start, 5), by="policy",
             verify="recovered")
    log.append("note", {"system": "jira", "ticket": "OPS-1", "action": "created"},
               incident=first)
    # storm, second incident: a rollback rejected by a person, a scale nobody confirmed.
    _attempt(log, second, "rollback", "approve", _at(storm_start, 2), reject=True)
    _attempt(log, second, "scale", "approve", _at(storm_start, 3))
    # an incident never saved as a triage, resolved by policy.
    _attempt(log, ORPHAN, "restart", "auto", _at(storm_start, 1), by="policy",
             verify="recovered")
    return tmp_path / "audit.jsonl", folder


def _run(*args: str) -> Any:
    return CliRunner().invoke(app, ["report", *args])


def test_json_numbers_are_exact(world: tuple[Path, Path],
                                triages: dict[str, dict[str, Any]]) -> None:
    audit, folder = world
    result = _run("--audit", str(audit), "--triages", str(folder), "--format", "json")
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert out["triages"] == 3
    assert out["resolved"] == 3
    assert out["resolved_without_start"] == 1
    assert out["mttr_minutes"] == 10.5  # (15 + 6) / 2
    assert out["median_minutes_to_resolve"] == 10.5
    assert out["autonomous_resolved"] == 2
    assert out["autonomous_resolution_rate"] == 0.667
    assert out["actions"] == {"auto": {"count": 3, "share": 0.429},
                              "approved": {"count": 1, "share": 0.143},
                              "denied": {"count": 2, "share": 0.286},
                              "proposed": {"count": 1, "share": 0.143}}
    firing = (triages["checkout-latency"]["stats"]["distinct"]
              + triages["alert-storm"]["stats"]["distinct"])
    assert firing == 96
    assert out["alerts"] == 96
    assert out["incidents_opened"] == 3
    assert out["noise_reduction"] == 0.969  # 1 - 3/96
    assert out["tickets_avoided"] == 93
    assert out["tickets_opened"] == 2  # INC0010001 once, OPS-1; a dedup key is no ticket
    rows = {r["id"]: r for r in out["incidents"]}
    assert rows[CHECKOUT] == {
        "id": CHECKOUT, "title": triages["checkout-latency"]["incidents"][0]["title"],
        "scenario": "checkout-latency", "started_at": "2026-03-14T02:11:55Z",
        "resolved_at": "2026-03-14T02:26:55Z", "minutes_to_resolve": 15.0,
        "resolved_by": "config_revert svc", "route": "approved", "autonomous": False,
        "attempts": 2}
    assert rows[ORPHAN]["started_at"] is None and rows[ORPHAN]["autonomous"] is True
    assert len(rows) == 4


def test_text_table_and_html_page(world: tuple[Path, Path], tmp_path: Path) -> None:
    audit, folder = world
    text = _run("--audit", str(audit), "--triages", str(folder))
    assert text.exit_code == 0, text.output
    for expected in ("MTTR", "10.5 min", "66.7%", "42.9%", "96.9%", "93"):
        assert expected in text.stdout
    page = tmp_path / "report.html"
    html = _run("--audit", str(audit), "--triages", str(folder), "--format", "html",
                "--out", str(page))
    assert html.exit_code == 0, html.output
    body = page.read_text()
    assert body.startswith("<!DOCTYPE html>")
    assert body.count("<svg") == 3
    assert "<script" not in body and "http://" not in body.replace(
        'xmlns="http://www.w3.org/2000/svg"', "")
    assert "10.5 min" in body and "66.7%" in body and "93" in body


def test_html_escapes_titles(world: tuple[Path, Path], tmp_path: Path,
                             triages: dict[str, dict[str, Any]]) -> None:
    audit, _ = world
    hostile = json.loads(json.dumps(triages["checkout-latency"]))
    hostile["incidents"][0]["title"] = "<script>alert(1)</script>"
    path = tmp_path / "hostile.json"
    path.write_text(json.dumps(hostile))
    result = _run("--audit", str(audit), "--triages", str(path), "--format", "html")
    assert result.exit_code == 0
    assert "<script>" not in result.stdout
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in result.stdout


def test_empty_inputs_give_dashes_not_errors(tmp_path: Path) -> None:
    # the default audit log (under the test's XDG_DATA_HOME) does not exist yet: no records
    result = _run("--format", "json")
    assert result.exit_code == 0
    out = json.loads(result.stdout)
    assert out["mttr_minutes"] is None and out["autonomous_resolution_rate"] is None
    assert out["noise_reduction"] is None and out["tickets_avoided"] == 0


def test_a_named_file_that_is_no_triage_is_exit_2(tmp_path: Path) -> None:
    bad = tmp_path / "alerts.json"
    bad.write_text("[]")
    result = _run("--audit", str(tmp_path / "a.jsonl"), "--triages", str(bad))
    assert result.exit_code == 2
    assert result.stderr.startswith(f"oncall: {bad}: is not an oncall triage")
    missing = _run("--triages", str(tmp_path / "nope"))
    assert missing.exit_code == 2 and "--triages: not found" in missing.stderr
