"""Planner: the right move per cause, lowest risk first, escalation always present."""

from __future__ import annotations

import pytest

from oncall.model import Hypothesis
from oncall.remediate import order_causes, plan_remediations
from oncall.remediate.planner import RISK_ORDER


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


def test_a_change_on_the_same_service_goes_before_a_cause_without_one() -> None:
    network = Hypothesis(service="auth", kind="network", score=0.52)
    config = Hypothesis(service="auth", kind="config", score=0.39, change="cfg-8")
    other = Hypothesis(service="cache", kind="dependency", score=0.3)
    assert order_causes([network, config, other]) == [config, network, other]
    plan = plan_remediations([network, config, other], {})
    assert (plan[0].action, plan[0].target) == ("config_revert", "auth")
    assert [r.action for r in plan[:2]] == ["config_revert", "escalate"]
    assert ("restart", "auth") in [(r.action, r.target) for r in plan]


@pytest.mark.parametrize(
    ("second", "promoted"),
    [
        (Hypothesis(service="auth", kind="config", score=0.2, change="cfg-8"), False),  # < half
        (Hypothesis(service="db", kind="config", score=0.5, change="cfg-8"), False),  # elsewhere
        (Hypothesis(service="auth", kind="code", score=0.5), False),  # names no change
        (Hypothesis(service="auth", kind="deploy", score=0.3, change="dep-1"), True),
    ],
)
def test_change_promotion_needs_same_service_a_change_and_half_the_score(
        second: Hypothesis, promoted: bool) -> None:
    top = Hypothesis(service="auth", kind="capacity", score=0.5)
    assert (order_causes([top, second])[0] is second) == promoted


def test_a_cause_that_names_a_change_is_never_demoted() -> None:
    deploy = Hypothesis(service="auth", kind="deploy", score=0.8, change="dep-1")
    config = Hypothesis(service="auth", kind="config", score=0.7, change="cfg-1")
    assert order_causes([deploy, config]) == [deploy, config]


def test_code_fault_pages_first_and_offers_a_restart_only_as_a_stopgap() -> None:
    plan = plan_remediations([Hypothesis(service="auth", kind="code", score=0.9)], {}, "shop")
    assert [r.action for r in plan] == ["escalate", "restart"]
    assert "stopgap" in plan[1].rationale and plan[1].risk == "medium"


def test_lower_causes_get_only_the_moves_that_remove_them() -> None:
    top = Hypothesis(service="auth", kind="config", score=0.9, change="cfg-1")
    second = Hypothesis(service="db", kind="dependency", score=0.5)
    third = Hypothesis(service="search", kind="code", score=0.4)
    fourth = Hypothesis(service="eta", kind="capacity", score=0.3)
    moves = [(r.action, r.target) for r in plan_remediations([top, second, third, fourth], {})]
    assert moves == [("config_revert", "auth"), ("escalate", "auth"), ("failover", "db"),
                     ("escalate", "search"), ("restart", "auth")]


def test_each_move_says_how_long_to_wait_before_verifying() -> None:
    deploy = plan_remediations([Hypothesis(service="a", kind="deploy", score=1, change="d")], {})
    flag = plan_remediations([Hypothesis(service="a", kind="flag", score=1, change="f")], {})
    assert deploy[0].verify_within_minutes > flag[0].verify_within_minutes
    assert all(r.verify_within_minutes > 0 for r in deploy + flag)


def test_every_move_is_ranked_lowest_risk_first_within_its_cause() -> None:
    for kind in ("deploy", "config", "cert", "flag", "capacity", "network", "dependency"):
        plan = plan_remediations([Hypothesis(service="a", kind=kind, score=1, change="c")], {})
        removing = plan[:[r.action for r in plan].index("escalate")]  # before the page
        assert removing, kind
        risks = [RISK_ORDER[r.risk] for r in removing]
        assert risks == sorted(risks), (kind, [(r.action, r.risk) for r in plan])
        assert all(r.undo and r.rationale for r in plan)


def test_unknown_cause_kind_is_escalated() -> None:
    plan = plan_remediations([Hypothesis(service="a", kind="gremlins", score=1)], {})
    assert [r.action for r in plan] == ["escalate"]
