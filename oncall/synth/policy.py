"""policy.yaml: governance as code, and the decision rule the truth is computed with.

`decide` restates the contract's semantics on its own (the product has its own
implementation; the generator must not import it, or a bug there would leak into the
truth): an unlisted action needs approval, except `escalate`, which is automatic; a
freeze covering `now` or autonomy `assist` turns `auto` into `approve`; `approve` and
`deny` never change.
"""

from __future__ import annotations

import random
from typing import Any

from oncall.synth import names

ACTIONS = (
    "rollback",
    "config_revert",
    "flag_disable",
    "traffic_shift",
    "restart",
    "scale",
    "cache_flush",
    "failover",
    "escalate",
)

_REASONS = (
    "quarter close",
    "Black Friday peak",
    "regulatory reporting window",
    "year-end freeze",
    "major sporting event",
    "marketing launch",
)
_TZ = (
    "Europe/Berlin",
    "America/New_York",
    "Asia/Singapore",
    "UTC",
    "Europe/London",
    "America/Los_Angeles",
)


def in_freeze(policy: dict[str, Any], now: float) -> bool:
    for fr in policy.get("freezes") or []:
        if names.parse_iso(fr["from"]) <= now < names.parse_iso(fr["to"]):
            return True
    return False


def decide(policy: dict[str, Any], action: str, now: float) -> str:
    listed = (policy.get("actions") or {}).get(action)
    decision = (
        listed
        if listed in ("auto", "approve", "deny")
        else ("auto" if action == "escalate" else "approve")
    )
    if decision == "auto" and (in_freeze(policy, now) or policy.get("autonomy") == "assist"):
        decision = "approve"
    return str(decision)


def make_policy(
    rng: random.Random,
    now: float,
    owners: list[str],
    *,
    freeze: bool,
    autonomy: str | None = None,
    force: dict[str, str] | None = None,
) -> dict[str, Any]:
    autonomy = autonomy or rng.choices(("assist", "execute", "change"), (0.25, 0.55, 0.2))[0]
    actions: dict[str, str] = {}
    for action in ACTIONS:
        if rng.random() < 0.25:
            continue  # unlisted: the default applies
        if action == "escalate":
            actions[action] = rng.choices(("auto", "approve"), (0.85, 0.15))[0]
        elif action in ("restart", "scale", "flag_disable", "cache_flush"):
            actions[action] = rng.choices(("auto", "approve", "deny"), (0.6, 0.35, 0.05))[0]
        elif action == "failover":
            actions[action] = rng.choices(("auto", "approve", "deny"), (0.15, 0.55, 0.3))[0]
        else:
            actions[action] = rng.choices(("auto", "approve", "deny"), (0.3, 0.6, 0.1))[0]
    actions.update(force or {})
    freezes = []
    if freeze:
        start = now - rng.uniform(2, 72) * 3600
        freezes.append(
            {
                "from": names.iso(start - start % 3600),
                "to": names.iso(now + rng.uniform(6, 72) * 3600 // 3600 * 3600),
                "reason": rng.choice(_REASONS),
            }
        )
    elif rng.random() < 0.3:
        # a freeze that does not cover now: over already, or not begun
        if rng.random() < 0.5:
            end = now - rng.uniform(6, 96) * 3600
            freezes.append(
                {
                    "from": names.iso(end - 3 * 86400 - end % 3600),
                    "to": names.iso(end - end % 3600),
                    "reason": rng.choice(_REASONS),
                }
            )
        else:
            begin = now + rng.uniform(12, 240) * 3600
            freezes.append(
                {
                    "from": names.iso(begin - begin % 3600),
                    "to": names.iso(begin - begin % 3600 + 2 * 86400),
                    "reason": rng.choice(_REASONS),
                }
            )
    windows = []
    if rng.random() < 0.9:
        days = rng.choice(
            (
                ["mon", "tue", "wed", "thu"],
                ["mon", "tue", "wed", "thu", "fri"],
                ["tue", "wed", "thu"],
            )
        )
        start_h = rng.choice((8, 9, 10))
        windows.append(
            {
                "days": days,
                "start": f"{start_h:02d}:00",
                "end": f"{start_h + rng.choice((6, 7, 8)):02d}:00",
                "tz": rng.choice(_TZ),
            }
        )
        if rng.random() < 0.25:
            windows.append({"days": ["sat"], "start": "02:00", "end": "06:00", "tz": "UTC"})
    groups = ["group:sre", *sorted({f"group:{o}" for o in owners})[: rng.randint(0, 2)]]
    policy: dict[str, Any] = {
        "autonomy": autonomy,
        "actions": actions,
        "freezes": freezes,
        "change_windows": windows,
        "approvers": {"min": rng.choice((1, 1, 2)), "groups": groups},
    }
    return policy
