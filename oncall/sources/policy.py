"""Governance as code: policy.yaml (autonomy, per-action decisions, freezes, windows)."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from oncall.model import ACTIONS, AUTONOMY_LEVELS, DECISIONS, ChangeWindow, Freeze, Policy
from oncall.sources.fields import Fields

_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def parse_policy(body: Any, path: str) -> Policy:
    f = Fields(path)
    if body is None:
        return Policy()
    obj = f.mapping(body, "")
    autonomy = f.text(obj, "autonomy", "", required=False) or "assist"
    if autonomy not in AUTONOMY_LEVELS:
        raise f.fail("autonomy", f"unknown autonomy {autonomy!r} (expected "
                     f"{', '.join(AUTONOMY_LEVELS)})")
    actions: dict[str, str] = {}
    for action, decision in f.get_mapping(obj, "actions", "").items():
        if action not in ACTIONS:
            raise f.fail(f"actions.{action}", f"unknown action {str(action)[:60]!r} (expected "
                         f"one of {', '.join(ACTIONS)})")
        if not isinstance(decision, str) or decision not in DECISIONS:
            shown = repr(decision[:40]) if isinstance(decision, str) else "a " + type(
                decision).__name__
            raise f.fail(f"actions.{action}", f"unknown decision {shown} (expected "
                         "auto, approve or deny)")
        actions[action] = str(decision)
    freezes = []
    for i, raw in enumerate(f.get_list(obj, "freezes", "")):
        where = f"freezes[{i}]"
        item = f.mapping(raw, where)
        start = f.timestamp(item, "from", where)
        end = f.timestamp(item, "to", where)
        assert start is not None and end is not None
        if end <= start:
            raise f.fail(f"{where}.to", "must be after 'from'")
        freezes.append(Freeze(start=start, end=end,
                              reason=f.text(item, "reason", where, required=False)))
    windows = []
    for i, raw in enumerate(f.get_list(obj, "change_windows", "")):
        where = f"change_windows[{i}]"
        item = f.mapping(raw, where)
        days = tuple(d.lower()[:3] for d in f.scalar_list(item, "days", where))
        for d in days:
            if d not in _DAYS:
                raise f.fail(f"{where}.days", f"unknown day {d!r}")
        tz = f.text(item, "tz", where, required=False) or "UTC"
        try:
            ZoneInfo(tz)
        except (ZoneInfoNotFoundError, ValueError):
            raise f.fail(f"{where}.tz", f"unknown time zone {tz!r}") from None
        start_s = _clock(f, item, "start", where)
        end_s = _clock(f, item, "end", where)
        windows.append(ChangeWindow(days=days or _DAYS, start=start_s, end=end_s, tz=tz))
    approvers = f.get_mapping(obj, "approvers", "")
    min_approvers = f.integer(approvers.get("min", 1), "approvers.min")
    if min_approvers < 0:
        raise f.fail("approvers.min", "must not be negative")
    groups = f.scalar_list(approvers, "groups", "approvers")
    return Policy(
        autonomy=autonomy,
        actions=actions,
        freezes=tuple(freezes),
        change_windows=tuple(windows),
        approvers_min=min_approvers,
        approver_groups=groups,
    )


def _clock(f: Fields, item: dict[str, Any], key: str, where: str) -> str:
    raw = item.get(key)
    if isinstance(raw, int):  # YAML 1.1 reads 09:00 as sexagesimal 540
        raw = f"{raw // 60:02d}:{raw % 60:02d}"
    text = f.text(item, key, where) if not isinstance(raw, str) else raw
    parts = text.split(":")
    if len(parts) != 2 or not all(p.isdigit() for p in parts):
        raise f.fail(f"{where}.{key}", f"expected HH:MM, got {text!r}")
    hh, mm = int(parts[0]), int(parts[1])
    if not (0 <= hh <= 24 and 0 <= mm < 60):
        raise f.fail(f"{where}.{key}", f"expected HH:MM, got {text!r}")
    return f"{hh:02d}:{mm:02d}"


def read_policy_file(path: Path) -> tuple[str, Policy]:
    """A policy.yaml on disk: its text (for snapshots) and the parsed policy."""
    from oncall.sources.yamlfile import parse_yaml_text, read_text_file

    text = read_text_file(path)
    return text, parse_policy(parse_yaml_text(text, path), str(path))
