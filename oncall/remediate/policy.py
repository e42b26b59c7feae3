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
