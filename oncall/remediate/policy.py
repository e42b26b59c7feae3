"""Governance as code: what policy allows for an action at a given moment.

Semantics (the scenario contract): an action not listed is `approve`, except
`escalate`, which is `auto` unless listed; a freeze turns `auto` into `approve`;
autonomy `assist` turns every `auto` into `approve`; `approve` and `deny` stay.
Unknown actions are denied. Change windows bound planned changes (autonomy `change`),
not emergency remediation, so they do not affect decisions during a page.
"""

from __future__ import annotations

from datetime import datetime

from oncall.model import ACTIONS, Policy, PolicyDecision


def decide(action: str, policy: Policy, now: datetime) -> PolicyDecision:
    if action not in ACTIONS:
        return PolicyDecision("deny", f"'{action}' is not in the action vocabulary")
    listed = policy.actions.get(action)
    if listed is None:
        decision = "auto" if action == "escalate" else "approve"
        reason = f"{action} is not listed: default {decision}"
    else:
        decision = listed
        reason = f"policy lists {action}: {listed}"
    if decision == "auto":
        freeze = next((f for f in policy.freezes if f.start <= now < f.end), None)
        if freeze is not None:
            why = f" ({freeze.reason})" if freeze.reason else ""
            return PolicyDecision(
                "approve", f"{reason}, but a freeze{why} runs until "
                f"{freeze.end:%Y-%m-%d %H:%M}Z: a person must approve"
            )
        if policy.autonomy == "assist":
            return PolicyDecision("approve", f"{reason}, but autonomy is assist: a person "
                                  "must approve every action")
    if decision == "approve":
        groups = ", ".join(policy.approver_groups) or "any on-call engineer"
        reason = f"{reason}; needs {policy.approvers_min} approval(s) from {groups}"
    return PolicyDecision(decision, reason)
