"""The approval ledger: the triage's policy decision is the only gate, and it is audited."""

from __future__ import annotations

from pathlib import Path

import pytest

from oncall.audit import AuditLog
from oncall.errors import OncallError
from oncall.model import Remediation
from oncall.tui.approvals import ApprovalLedger, ApprovalRefused, gate, without_executor
from tests.tui.builders import triage


def _queue() -> list[Remediation]:
    return triage().incidents[0].remediations


def test_deny_is_refused_whatever_is_typed() -> None:
    deny = _queue()[2]
    assert gate(deny).kind == "refused"
    ledger = ApprovalLedger()
    with pytest.raises(ApprovalRefused, match="deny by policy"):
        ledger.approve("inc-checkout", deny, typed=deny.target)
    assert ledger.all() == []


def test_an_unknown_decision_is_refused_like_deny() -> None:
    rem = _queue()[0]
    rem.decision = "maybe"
    with pytest.raises(ApprovalRefused):
        ApprovalLedger().approve("inc-checkout", rem, typed=rem.target)


def test_approve_needs_the_target_typed() -> None:
    rem = _queue()[0]
    ledger = ApprovalLedger()
    assert gate(rem).phrase == "checkout"
    for typed in ("", "yes", "checkou", "payments"):
        with pytest.raises(ApprovalRefused, match="does not match"):
            ledger.approve("inc-checkout", rem, typed=typed)
    approval = ledger.approve("inc-checkout", rem, typed=" checkout ")
    assert approval.how == "approved" and ledger.get("inc-checkout", rem) == approval
    assert without_executor(approval) == ("approved, no executor configured: run kubectl "
                                          "rollout undo deployment/checkout -n shop yourself")


def test_auto_is_recorded_as_allowed_by_policy_without_confirmation() -> None:
    rem = _queue()[1]
    approval = ApprovalLedger().approve("inc-checkout", rem)
    assert approval.how == "auto"
    assert without_executor(approval).startswith("auto by policy, no executor configured")


def test_approvals_are_audited_and_an_unwritable_audit_refuses(tmp_path: Path) -> None:
    log = AuditLog(tmp_path / "audit.jsonl", key=b"k", actor="alice")
    rem = _queue()[0]
    ApprovalLedger(log).approve("inc-checkout", rem, typed="checkout")
    (record,) = list(log.records())
    assert record["event"] == "approval" and record["incident"] == "inc-checkout"
    assert record["data"]["decision"] == "approve" and record["data"]["via"] == "dashboard"
    assert log.verify().ok

    blocked = tmp_path / "dir-not-file"
    blocked.mkdir()
    ledger = ApprovalLedger(AuditLog(blocked, key=b"k"))
    with pytest.raises(OncallError):
        ledger.approve("inc-checkout", rem, typed="checkout")
    assert ledger.all() == []
