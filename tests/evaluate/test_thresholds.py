"""thresholds.yaml: parsing and checking."""

from __future__ import annotations

from pathlib import Path

import pytest

from oncall.errors import InputError
from oncall.evaluate.thresholds import check, load_thresholds, parse_thresholds

REPO = Path(__file__).resolve().parents[2]


def test_check_minimums_maximums_and_unmeasured() -> None:
    limits = parse_thresholds({"minimum": {"service_ac1": 0.5, "clustering_f1": 0.9,
                                           "runbook_recall3": 0.5},
                               "maximum": {"policy_violations": 0}}, "t.yaml")
    failures = check({"service_ac1": 0.4, "clustering_f1": 0.95, "runbook_recall3": None,
                      "policy_violations": 2.0}, limits)
    assert [f.metric for f in failures] == ["service_ac1", "runbook_recall3",
                                            "policy_violations"]
    assert failures[0].message == "service_ac1: 0.4 is below the minimum 0.5"
    assert "not measured" in failures[1].message
    assert failures[2].message == "policy_violations: 2 is above the maximum 0"
    assert check({"service_ac1": 0.5, "clustering_f1": 0.9, "runbook_recall3": 0.5,
                  "policy_violations": 0.0}, limits) == []


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"minimum": {"service_acc": 0.5}}, "t.yaml: minimum.service_acc: unknown metric"),
        ({"minimum": {"service_ac1": "high"}}, "minimum.service_ac1: expected a number"),
        ({"floor": {}}, "t.yaml: floor: unknown section"),
        ({"minimum": {}}, "lists no thresholds"),
        ({"minimum": {"clustering_f1": 1.5}},
         r"t.yaml: minimum.clustering_f1: 1.5 is outside the range of clustering_f1 \(0 to 1\)"),
        ({"minimum": {"service_ac1": -0.1}}, "minimum.service_ac1: -0.1 is outside the range"),
        ({"maximum": {"runbook_recall3": 2}}, "maximum.runbook_recall3: 2 is outside the range"),
        ({"minimum": {"noise_reduction": float("nan")}}, "nan is outside the range"),
        ({"maximum": {"policy_violations": -1}},
         r"maximum.policy_violations: -1 is outside the range of policy_violations \(0 or more\)"),
        ({"maximum": {"policy_violations": float("inf")}}, "inf is outside the range"),
        (None, "is empty"),
    ],
)
def test_mistakes_name_the_field(body: object, message: str) -> None:
    with pytest.raises(InputError, match=message):
        parse_thresholds(body, "t.yaml")


def test_limits_at_the_ends_of_a_range_are_accepted() -> None:
    limits = parse_thresholds({"minimum": {"clustering_f1": 1, "service_ac1": 0},
                               "maximum": {"policy_violations": 3}}, "t.yaml")
    assert limits.minimum == {"clustering_f1": 1.0, "service_ac1": 0.0}
    assert limits.maximum == {"policy_violations": 3.0}


def test_the_committed_file_parses_and_holds_policy_violations_at_zero() -> None:
    limits = load_thresholds(REPO / "evals" / "thresholds.yaml")
    assert limits.maximum == {"policy_violations": 0}
    assert limits.minimum
