"""Policy semantics from the contract."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from oncall.model import ChangeWindow, Freeze, Policy
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


def test_freeze_and_assist_both_named_and_approvers_listed() -> None:
    freeze = Freeze(datetime(2026, 3, 13, 18, tzinfo=UTC), datetime(2026, 3, 16, 6, tzinfo=UTC),
                    "quarter close")
    policy = Policy(autonomy="assist", actions={"scale": "auto"}, freezes=(freeze,),
                    approvers_min=2, approver_groups=("group:sre",))
    verdict = decide("scale", policy, NOW)
    assert verdict.decision == "approve"
    assert "quarter close" in verdict.reason and "assist" in verdict.reason
    assert "2 approval(s) from group:sre" in verdict.reason


def test_freeze_end_is_exclusive_and_start_inclusive() -> None:
    start, end = datetime(2026, 3, 14, 2, 19, tzinfo=UTC), datetime(2026, 3, 14, 3, tzinfo=UTC)
    policy = Policy(autonomy="execute", actions={"restart": "auto"},
                    freezes=(Freeze(start, end, "x"),))
    assert decide("restart", policy, start).decision == "approve"
    assert decide("restart", policy, end).decision == "auto"


def test_deny_reason_says_it_never_runs() -> None:
    verdict = decide("failover", Policy(autonomy="execute", actions={"failover": "deny"}), NOW)
    assert verdict.decision == "deny" and "never runs" in verdict.reason


def test_unknown_action_reason_is_bounded_and_quoted() -> None:
    verdict = decide("restart; kubectl delete ns prod" + "x" * 500, Policy(), NOW)
    assert verdict.decision == "deny" and "unknown actions are denied" in verdict.reason
    assert len(verdict.reason) < 200


@pytest.mark.parametrize("autonomy", ["assist", "execute", "change"])
def test_change_windows_never_change_an_emergency_decision(autonomy: str) -> None:
    window = ChangeWindow(days=("sat",), start="02:00", end="06:00", tz="UTC")
    with_window = Policy(autonomy=autonomy, actions={"restart": "auto"}, change_windows=(window,))
    without = Policy(autonomy=autonomy, actions={"restart": "auto"})
    # NOW is Saturday 02:19Z, inside the window; a day later it is outside.
    for now in (NOW, datetime(2026, 3, 15, 12, tzinfo=UTC)):
        assert decide("restart", with_window, now).decision == decide(
            "restart", without, now).decision


def test_autonomy_change_names_the_next_window_in_its_own_time_zone() -> None:
    window = ChangeWindow(days=("mon", "tue"), start="09:00", end="16:00", tz="Europe/Berlin")
    policy = Policy(autonomy="change", actions={"rollback": "approve"}, change_windows=(window,))
    verdict = decide("rollback", policy, NOW)  # Saturday: next is Monday 09:00 CET = 08:00Z
    assert "2026-03-16 08:00Z" in verdict.reason and "Europe/Berlin" in verdict.reason
    assert "not this emergency move" in verdict.reason


def test_merging_the_users_policy_only_tightens() -> None:
    from datetime import UTC, datetime

    from oncall.model import ChangeWindow, Freeze, Policy
    from oncall.remediate.policy import merge_policies

    freeze = Freeze(datetime(2026, 3, 1, tzinfo=UTC), datetime(2026, 3, 2, tzinfo=UTC), "q")
    window = ChangeWindow(("mon",), "09:00", "12:00", "UTC")
    service = Policy(autonomy="change", actions={"restart": "auto", "scale": "auto",
                                                 "rollback": "deny"},
                     approvers_min=1, approver_groups=("group:payments",))
    user = Policy(autonomy="execute", actions={"scale": "approve", "rollback": "auto",
                                               "failover": "deny"},
                  freezes=(freeze,), change_windows=(window,), approvers_min=2,
                  approver_groups=("group:sre",))
    merged = merge_policies(service, user)
    assert merged is not None
    assert merged.autonomy == "execute"
    assert merged.actions == {"restart": "auto", "scale": "approve", "rollback": "deny",
                              "failover": "deny"}
    assert merged.freezes == (freeze,) and merged.change_windows == (window,)
    assert (merged.approvers_min, merged.approver_groups) == (2, ("group:payments",
                                                                  "group:sre"))
    assert merge_policies(None, user) is user and merge_policies(service, None) is service
    assert merge_policies(Policy(autonomy="assist"), Policy(autonomy="change")).autonomy \
        == "assist"


# ---- reading policy.yaml: every key checked, day names whole -------------------------

FULL_POLICY = {
    "autonomy": "execute",
    "actions": {"restart": "auto"},
    "freezes": [{"from": "2026-03-13T18:00:00Z", "to": "2026-03-16T06:00:00Z",
                 "reason": "quarter close"}],
    "change_windows": [{"days": ["mon"], "start": "09:00", "end": "16:00",
                        "tz": "Europe/Berlin"}],
    "approvers": {"min": 2, "groups": ["group:sre"]},
}


def _policy_error(body: object) -> str:
    from oncall.errors import InputError
    from oncall.sources.policy import parse_policy

    with pytest.raises(InputError) as caught:
        parse_policy(body, "policy.yaml")
    return str(caught.value)


def test_every_documented_key_is_read() -> None:
    from oncall.lab.stack import policy as lab_policy
    from oncall.sources.policy import parse_policy

    policy = parse_policy(FULL_POLICY, "policy.yaml")
    assert policy.freezes and policy.change_windows and policy.approvers_min == 2
    assert parse_policy(lab_policy(), "policy.yaml").actions["rollback"] == "auto"


@pytest.mark.parametrize(("edit", "message"), [
    # the QA case: `freeze:` for `freezes:` silently turned a freeze off
    (lambda p: p.update(freeze=p.pop("freezes")),
     "policy.yaml: freeze: unknown key; did you mean 'freezes'? (expected one of autonomy, "
     "actions, freezes, change_windows, approvers)"),
    (lambda p: p.update(bogus_key=1), "policy.yaml: bogus_key: unknown key (expected"),
    (lambda p: p.update({3: "x"}), "policy.yaml: 3: unknown key"),
    (lambda p: p["approvers"].update(minimum=p["approvers"].pop("min")),
     "policy.yaml: approvers.minimum: unknown key; did you mean 'min'?"),
    (lambda p: p["freezes"][0].update(until=p["freezes"][0].pop("to")),
     "policy.yaml: freezes[0].until: unknown key (expected one of from, to, reason)"),
    (lambda p: p["change_windows"][0].update(day=p["change_windows"][0].pop("days")),
     "policy.yaml: change_windows[0].day: unknown key; did you mean 'days'?"),
])
def test_an_unknown_key_at_any_level_is_refused(edit: object, message: str) -> None:
    import copy

    body = copy.deepcopy(FULL_POLICY)
    edit(body)  # type: ignore[operator]
    assert _policy_error(body).startswith(message)


@pytest.mark.parametrize(("days", "expected"), [
    (["mon", "TUE", "Wed", " thu "], ("mon", "tue", "wed", "thu")),
    (["Monday", "FRIDAY", "sunday", "sun"], ("mon", "fri", "sun")),
])
def test_day_names_short_and_full_in_any_case(days: list[str],
                                              expected: tuple[str, ...]) -> None:
    from oncall.sources.policy import parse_policy

    window = {"days": days, "start": "09:00", "end": "10:00"}
    policy = parse_policy({"change_windows": [window]}, "policy.yaml")
    assert policy.change_windows[0].days == expected
    everyday = parse_policy({"change_windows": [{"start": "09:00", "end": "10:00"}]}, "p")
    assert len(everyday.change_windows[0].days) == 7


@pytest.mark.parametrize(("day", "shown"), [
    ("funday", "'funday'"),  # was reported as 'fun'
    ("monkey", "'monkey'"),  # was read as mon
    ("mo", "'mo'"),
    ("mon-fri", "'mon-fri'"),  # no ranges: it was read as mon
    ("Thurs", "'Thurs'"),
    (1, "1"),
    (["mon"], "a list"),
])
def test_an_unknown_day_is_named_as_written(day: object, shown: str) -> None:
    window = {"days": ["tue", day], "start": "09:00", "end": "10:00"}
    assert _policy_error({"change_windows": [window]}).startswith(
        f"policy.yaml: change_windows[0].days: unknown day {shown} (expected mon, tue")


def test_an_empty_day_list_is_refused_not_read_as_every_day() -> None:
    window = {"days": [], "start": "09:00", "end": "10:00"}
    assert "change_windows[0].days: is empty" in _policy_error({"change_windows": [window]})
