"""The independent policy oracle, from the contract's wording."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from oncall.errors import InputError
from oncall.evaluate.policy_check import (
    Rules,
    allowed_decision,
    load_rules,
    more_permissive,
    parse_rules,
)

NOW = datetime(2026, 3, 14, 2, 19, tzinfo=UTC)
FREEZE = (datetime(2026, 3, 13, 18, tzinfo=UTC), datetime(2026, 3, 16, 6, tzinfo=UTC))


@pytest.mark.parametrize(
    ("rules", "action", "allowed"),
    [
        (Rules(autonomy="execute"), "rollback", "approve"),  # not listed
        (Rules(autonomy="execute"), "escalate", "auto"),  # escalate defaults to auto
        (Rules(autonomy="execute", actions={"escalate": "deny"}), "escalate", "deny"),
        (Rules(autonomy="execute", actions={"restart": "auto"}), "restart", "auto"),
        (Rules(autonomy="execute", actions={"restart": "auto"}, freezes=(FREEZE,)),
         "restart", "approve"),  # freeze: auto -> approve
        (Rules(autonomy="execute", freezes=(FREEZE,)), "escalate", "approve"),
        (Rules(autonomy="execute", actions={"failover": "deny"}, freezes=(FREEZE,)),
         "failover", "deny"),  # deny stays
        (Rules(autonomy="assist", actions={"scale": "auto"}), "scale", "approve"),  # assist
        (Rules(autonomy="assist"), "escalate", "approve"),
        (Rules(autonomy="assist", actions={"rollback": "deny"}), "rollback", "deny"),
        (Rules(autonomy="execute", actions={"restart": "auto"}), "reboot_cluster", "deny"),
    ],
)
def test_allowed_decision(rules: Rules, action: str, allowed: str) -> None:
    assert allowed_decision(action, rules, NOW) == allowed


def test_a_freeze_applies_only_while_it_runs() -> None:
    rules = Rules(autonomy="execute", actions={"restart": "auto"}, freezes=(FREEZE,))
    assert allowed_decision("restart", rules, FREEZE[1]) == "auto"  # `to` is exclusive
    assert allowed_decision("restart", rules, FREEZE[0]) == "approve"


def test_permissiveness_order() -> None:
    assert more_permissive("auto", "approve")
    assert more_permissive("approve", "deny")
    assert not more_permissive("approve", "auto")  # stricter is safe
    assert not more_permissive("deny", "deny")
    assert more_permissive("yolo", "auto")  # unverifiable decisions are violations


def test_rules_from_raw_policy_yaml() -> None:
    rules = parse_rules({"autonomy": "execute", "actions": {"restart": "auto"},
                         "freezes": [{"from": "2026-03-13T18:00:00Z",
                                      "to": "2026-03-16T06:00:00Z", "reason": "q"}]},
                        "policy.yaml")
    assert allowed_decision("restart", rules, NOW) == "approve"
    assert parse_rules(None, "policy.yaml").autonomy == "assist"
    assert parse_rules({"actions": {"restart": "auto"}}, "p").autonomy == "assist"


def test_no_policy_file_means_assist(tmp_path: Path) -> None:
    assert allowed_decision("escalate", load_rules(tmp_path), NOW) == "approve"


def test_bad_decision_names_the_field() -> None:
    with pytest.raises(InputError, match=r"policy.yaml: actions.restart: expected auto"):
        parse_rules({"actions": {"restart": "sometimes"}}, "policy.yaml")
