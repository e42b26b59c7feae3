"""Governance as code: what policy allows for an action at a given moment.

Semantics (the scenario contract): an action not listed is `approve`, except
`escalate`, which is `auto` unless listed; a freeze turns `auto` into `approve`;
autonomy `assist` turns every `auto` into `approve`; `approve` and `deny` stay.
Unknown actions are denied. Change windows bound planned changes (autonomy `change`),
not emergency remediation, so they never change a decision during a page; under
autonomy `change` the reason says when the next window opens, for the permanent fix.
Every decision carries the chain of rules that produced it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from oncall.model import ACTIONS, Freeze, Policy, PolicyDecision
from oncall.remediate.windows import describe, next_opening, open_window


def active_freeze(policy: Policy, now: datetime) -> Freeze | None:
    """The freeze covering `now` (start inclusive, end exclusive), if any."""
    return next((f for f in policy.freezes if f.start <= now < f.end), None)


def decide(action: str, policy: Policy, now: datetime) -> PolicyDecision:
    if action not in ACTIONS:
        return PolicyDecision("deny", f"{action[:60]!r} is not in the action vocabulary: "
                              "unknown actions are denied")
    listed = policy.actions.get(action)
    if listed is None:
        decision = "auto" if action == "escalate" else "approve"
        steps = [f"{action} is not listed: default {decision}"]
    else:
        decision = listed
        steps = [f"policy lists {action}: {listed}"]
    if decision == "auto":
        freeze = active_freeze(policy, now)
        if freeze is not None:
            why = f" ({freeze.reason})" if freeze.reason else ""
            steps.append(f"but a freeze{why} runs until "
                         f"{freeze.end.astimezone(UTC):%Y-%m-%d %H:%M}Z: a person must approve")
            decision = "approve"
        if policy.autonomy == "assist":
            steps.append("autonomy is assist: a person must approve every action")
            decision = "approve"
    if decision == "approve":
        steps.append(_approvers(policy))
    elif decision == "deny":
        steps.append("it never runs from here, whoever approves")
    if policy.autonomy == "change":
        steps.append(_window_note(policy, now))
    return PolicyDecision(decision, "; ".join(steps))


def _approvers(policy: Policy) -> str:
    groups = ", ".join(policy.approver_groups) or "any on-call engineer"
    if policy.approvers_min <= 0:
        return f"needs a person to confirm ({groups})"
    return f"needs {policy.approvers_min} approval(s) from {groups}"


def _window_note(policy: Policy, now: datetime) -> str:
    """Autonomy `change`: where the permanent fix fits; emergency moves are not bound."""
    if not policy.change_windows:
        return "no change windows: the permanent fix needs a planned slot"
    current = open_window(policy.change_windows, now)
    if current is not None:
        return f"a change window is open now ({describe(current)}) for the permanent fix"
    upcoming = next_opening(policy.change_windows, now)
    if upcoming is None:
        return "no change window opens within a week for the permanent fix"
    start, window = upcoming
    return (f"change windows bound the permanent fix, not this emergency move; next opens "
            f"{start:%Y-%m-%d %H:%M}Z ({describe(window)})")


_AUTONOMY_ORDER = ("assist", "execute", "change")
_DECISION_ORDER = ("auto", "approve", "deny")


def merge_policies(scenario: Policy | None, user: Policy | None) -> Policy | None:
    """The service's policy.yaml and the user's oncall.yaml policy, the stricter rule winning.

    Governance only ever tightens when two sources speak: the lower autonomy, for each
    action the stricter decision (deny over approve over auto), every freeze of both,
    the larger approver count and every approver group. Change windows are the user's
    when the user sets any (an organisation-wide calendar), else the service's.
    """
    if scenario is None or user is None:
        return user if scenario is None else scenario
    autonomy = min(scenario.autonomy, user.autonomy, key=_rank(_AUTONOMY_ORDER))
    actions = dict(scenario.actions)
    for action, decision in user.actions.items():
        current = actions.get(action)
        actions[action] = decision if current is None else max(
            current, decision, key=_rank(_DECISION_ORDER))
    return Policy(
        autonomy=autonomy,
        actions=actions,
        freezes=tuple(dict.fromkeys((*scenario.freezes, *user.freezes))),
        change_windows=user.change_windows or scenario.change_windows,
        approvers_min=max(scenario.approvers_min, user.approvers_min),
        approver_groups=tuple(dict.fromkeys((*scenario.approver_groups,
                                             *user.approver_groups))),
    )


def _rank(order: tuple[str, ...]) -> Callable[[str], int]:
    """Unknown values rank as the strictest, so a typo can never loosen governance."""
    return lambda value: order.index(value) if value in order else (
        -1 if order is _AUTONOMY_ORDER else len(order))
