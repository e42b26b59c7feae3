"""Scoring one case: per-incident matching, the null-change rule, remediation and
decision accuracy, runbook recall, noise and policy violations."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from oncall.evaluate.case import score_prediction
from oncall.evaluate.policy_check import Rules
from oncall.evaluate.truth import parse_expected
from tests.evaluate.builders import incident, prediction

NOW = datetime(2026, 3, 14, 2, 19, tzinfo=UTC)
EXECUTE = Rules(autonomy="execute", actions={"restart": "auto"})

TRUTH = parse_expected({
    "incidents": [
        {"alerts": ["a1", "a2", "a3"],
         "root_cause": {"service": "db", "change": None, "kind": "capacity"},
         "remediation": {"action": "scale", "target": "db", "decision": "approve"},
         "runbooks": ["db-pool", "db-cpu"]},
        {"alerts": ["b1", "b2"],
         "root_cause": {"service": "api", "change": "dep-1", "kind": "deploy"},
         "remediation": {"action": "rollback", "target": "api", "decision": "approve"},
         "runbooks": ["api-deploy"]},
    ],
    "noise": ["n1", "n2"],
}, "expected.yaml")


def test_a_perfect_prediction() -> None:
    got = prediction(
        incident("i1", ["a1", "a2", "a3"], causes=[("db", None, "capacity")],
                 moves=[("scale", "db", "approve")], runbooks=["db-cpu", "db-pool", "x"]),
        incident("i2", ["b1", "b2"], causes=[("api", "dep-1", "deploy")],
                 moves=[("rollback", "api", "approve")], runbooks=["api-deploy"]),
        noise=["n1", "n2"], firing=7)
    score = score_prediction(TRUTH, got, EXECUTE, NOW)
    values = score.card.values()
    assert all(values[k] == 1.0 for k in values if k not in ("noise_reduction",
                                                              "policy_violations"))
    assert values["noise_reduction"] == pytest.approx(1 - 2 / 7)
    assert values["policy_violations"] == 0
    assert all(not r.problems for r in score.incidents) and not score.problems


def test_misses_are_counted_and_explained() -> None:
    got = prediction(
        # a3 split off into its own incident, n1 pulled in; cause ranked second
        incident("i1", ["a1", "a2", "n1"],
                 causes=[("api", None, "capacity"), ("db", None, "capacity")],
                 moves=[("restart", "api", "auto"), ("scale", "db", "auto")],
                 runbooks=["x", "y", "z", "db-pool"]),
        incident("i3", ["a3"]),
        noise=["n2", "b1", "b2"], firing=7)
    score = score_prediction(TRUTH, got, EXECUTE, NOW)
    v = score.card.values()
    # pairs: truth {a1a2, a1a3, a2a3, b1b2}; predicted within truth alerts {a1a2}
    assert (v["clustering_precision"], v["clustering_recall"]) == (1.0, 0.25)
    # noise: predicted {n2, b1, b2} vs {n1, n2}
    assert v["noise_precision"] == pytest.approx(1 / 3) and v["noise_recall"] == 0.5
    # incident a: service rank 2 (AC@3 only), kind and null change right;
    # incident b: no matching incident (its alerts were called noise) -> every miss
    assert v["service_ac1"] == 0.0 and v["service_ac3"] == 0.5
    assert v["change_ac1"] == 0.5 and v["kind_ac1"] == 0.5
    # first move restart api: action and target wrong; scale db proposed as auto, want
    # approve -> decision wrong; policy allows approve for scale (not listed) -> violation
    assert v["remediation_top1"] == 0.0 and v["decision_accuracy"] == 0.0
    assert v["runbook_recall3"] == 0.0
    assert v["policy_violations"] == 1
    a, b = score.incidents
    assert "split over 2 incidents" in a.problems
    assert "1 noise alert(s) pulled in" in a.problems
    assert "db ranked #2" in a.problems
    assert "scale db is auto, want approve" in a.problems
    assert "runbook db-pool, db-cpu not in top 3" in a.problems
    assert b.matched is None and b.problems == ["no incident found (its alerts were called "
                                                "noise)"]
    assert any("scale db is 'auto', policy.yaml allows 'approve'" in p for p in score.problems)


def test_null_change_is_right_only_with_a_top_cause_without_change() -> None:
    truth = parse_expected({"incidents": [{"alerts": ["a"], "root_cause": {
        "service": "db", "change": None, "kind": "code"}}]}, "e")
    with_change = prediction(incident("i", ["a"], causes=[("db", "dep-9", "deploy")]))
    without = prediction(incident("i", ["a"], causes=[("db", None, "code")]))
    nothing = prediction(incident("i", ["a"]))
    rate = lambda p: score_prediction(truth, p, EXECUTE, NOW).card.values()["change_ac1"]  # noqa: E731
    assert (rate(with_change), rate(without), rate(nothing)) == (0.0, 1.0, 0.0)


def test_decision_is_judged_on_the_expected_move_not_the_first() -> None:
    truth = parse_expected({"incidents": [{"alerts": ["a"], "remediation": {
        "action": "rollback", "target": "api", "decision": "approve"}}]}, "e")
    got = prediction(incident("i", ["a"], moves=[("escalate", "api", "auto"),
                                                  ("rollback", "api", "approve")]))
    v = score_prediction(truth, got, EXECUTE, NOW).card.values()
    assert v["remediation_top1"] == 0.0 and v["decision_accuracy"] == 1.0
    assert v["action_accuracy"] == 0.0 and v["target_accuracy"] == 1.0
