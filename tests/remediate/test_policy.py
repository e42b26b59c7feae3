"""Policy semantics from the contract."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from oncall.model import Freeze, Policy
from oncall.remediate import decide

NOW = datetime(2026, 3, 14, 2, 19, tzinfo=UTC)


@pytest.mark.parametrize(
    ("policy", "action", "decision"),
    [
        (Policy(autonomy="execute"), "rollback", "approve"),  # not listed -> approve
        (Policy(autonomy="execute"), "escalate", "auto"),  # escalate defaults to auto
        (Policy(autonomy="execute", actions={"escalate": "approve"}), "escalate", "approve"),
        (Policy(autonomy="execute", actions={"restart": "auto"}), "restart", "auto"),
        (Policy(autonomy="assist", actions={"restart": "auto"}), "restart", "approve"),
        (Policy(autonomy="execute", actions={"failover": "deny"}), "failover", "deny"),
        (Policy(autonomy="assist", actions={"failover": "deny"}), "failover", "deny"),
        (Policy(autonomy="execute"), "drop_database", "deny"),
    ],
)
def test_decisions(policy: Policy, action: str, decision: str) -> None:
    verdict = decide(action, policy, NOW)
    assert verdict.decision == decision
    assert verdict.reason


def test_freeze_turns_auto_into_approve_only_while_it_runs() -> None:
    freeze = Freeze(datetime(2026, 3, 13, 18, tzinfo=UTC), datetime(2026, 3, 16, 6, tzinfo=UTC),
                    "quarter close")
    policy = Policy(autonomy="execute", actions={"restart": "auto", "rollback": "deny"},
                    freezes=(freeze,))
    frozen = decide("restart", policy, NOW)
    assert frozen.decision == "approve" and "quarter close" in frozen.reason
    assert decide("rollback", policy, NOW).decision == "deny"
    assert decide("restart", policy, datetime(2026, 3, 17, tzinfo=UTC)).decision == "auto"
