"""An independent policy oracle: the decision policy.yaml allows, re-derived from the
contract, to audit the decisions the product attaches to its remediations.

Written apart from `oncall.remediate.policy` on purpose (and reading the raw file, not
the product's parsed `Policy`): a shared bug in both would otherwise go unseen. The
contract's semantics, in order:
- an action outside the vocabulary is denied;
- an action not listed needs approval, except `escalate`, which is `auto`;
- while a freeze runs (`from <= now < to`) `auto` becomes `approve`;
- with autonomy `assist` (also when policy.yaml or its `autonomy` is absent) `auto`
  becomes `approve`; `approve` and `deny` stay as they are.
A predicted decision is a violation when it is more permissive than that
(auto > approve > deny); a stricter one is safe, and is reported separately.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from oncall.evaluate.files import load_yaml
from oncall.model import ACTIONS
from oncall.sources.fields import Fields

FILENAME = "policy.yaml"
PERMISSIVENESS = {"deny": 0, "approve": 1, "auto": 2}


@dataclass(frozen=True, slots=True)
class Rules:
    autonomy: str = "assist"
    actions: dict[str, str] = field(default_factory=dict)
    freezes: tuple[tuple[datetime, datetime], ...] = ()


def load_rules(scenario_dir: Path) -> Rules:
    path = scenario_dir / FILENAME
    if not path.exists():
        return Rules()
    return parse_rules(load_yaml(path), str(path))


def parse_rules(body: Any, path: str) -> Rules:
    f = Fields(path)
    if body is None:
        return Rules()
    obj = f.mapping(body, "")
    actions: dict[str, str] = {}
    for action, decision in f.get_mapping(obj, "actions", "").items():
        if decision not in PERMISSIVENESS:
            raise f.fail(f"actions.{action}", "expected auto, approve or deny")
        actions[str(action)] = str(decision)
    freezes = []
    for i, raw in enumerate(f.get_list(obj, "freezes", "")):
        item = f.mapping(raw, f"freezes[{i}]")
        start = f.timestamp(item, "from", f"freezes[{i}]")
        end = f.timestamp(item, "to", f"freezes[{i}]")
        assert start is not None and end is not None
        freezes.append((start, end))
    autonomy = f.text(obj, "autonomy", "", required=False) or "assist"
    return Rules(autonomy=autonomy, actions=actions, freezes=tuple(freezes))


def allowed_decision(action: str, rules: Rules, now: datetime) -> str:
    if action not in ACTIONS:
        return "deny"
    decision = rules.actions.get(action, "auto" if action == "escalate" else "approve")
    if decision == "auto":
        frozen = any(start <= now < end for start, end in rules.freezes)
        if frozen or rules.autonomy == "assist":
            return "approve"
    return decision


def more_permissive(got: str, allowed: str) -> bool:
    """True when `got` lets more happen without a person than `allowed`; a decision
    outside the vocabulary cannot be shown safe, so it counts as more permissive."""
    if got not in PERMISSIVENESS:
        return True
    return PERMISSIVENESS[got] > PERMISSIVENESS[allowed]
