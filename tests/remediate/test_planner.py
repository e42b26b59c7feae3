"""Planner: the right move per cause, lowest risk first, escalation always present."""

from __future__ import annotations

import pytest

from oncall.model import Hypothesis
from oncall.remediate import plan_remediations


@pytest.mark.parametrize(
    ("kind", "change", "first"),
    [
        ("deploy", "dep-1", "rollback"),
        ("config", "cfg-1", "config_revert"),
        ("cert", "crt-1", "config_revert"),
        ("flag", "flg-1", "flag_disable"),
        ("capacity", None, "scale"),
        ("network", None, "restart"),
        ("dependency", None, "failover"),
        ("code", None, "escalate"),
    ],
)
def test_first_move_per_cause(kind: str, change: str | None, first: str) -> None:
    hyp = Hypothesis(service="payments", kind=kind, score=0.9, change=change)
    plan = plan_remediations([hyp], {"payments": {"error_ratio": "<= 0.01"}}, "shop",
                             {"dep-1": "41aa07b"})
    assert plan[0].action == first and plan[0].target == "payments"
    assert plan[0].verify == {"error_ratio": "<= 0.01"}
    assert any(r.action == "escalate" for r in plan)
    assert all(r.undo for r in plan)


def test_rollback_command_names_the_previous_revision_and_namespace() -> None:
    hyp = Hypothesis(service="payments", kind="deploy", score=0.9, change="dep-1")
    (first, *_) = plan_remediations([hyp], {}, "shop", {"dep-1": "41aa07b"})
    assert first.command == "kubectl rollout undo deployment/payments -n shop"
    assert "41aa07b" in first.rationale


def test_second_cause_moves_follow_the_first() -> None:
    top = Hypothesis(service="payments", kind="code", score=0.8)
    second = Hypothesis(service="db", kind="dependency", score=0.5)
    plan = plan_remediations([top, second], {})
    assert [(r.action, r.target) for r in plan][:2] == [("escalate", "payments"),
                                                        ("failover", "db")]
