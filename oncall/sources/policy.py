"""Governance as code: policy.yaml (autonomy, per-action decisions, freezes, windows).

Every key is checked, at every level: a misspelt key (`freeze:` for `freezes:`, `day:`
for `days:`) would otherwise drop the rule it carries without a word, and a dropped
freeze or approver count loosens governance. Day names are whole words, so `monkey` is
not Monday.
"""

from __future__ import annotations

from difflib import get_close_matches
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from oncall.model import ACTIONS, AUTONOMY_LEVELS, DECISIONS, ChangeWindow, Freeze, Policy
from oncall.sources.fields import Fields

_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_FULL_DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
# The documented forms, compared case-insensitively: mon..sun and monday..sunday.
_DAY_NAMES = {**{d: d for d in _DAYS}, **dict(zip(_FULL_DAYS, _DAYS, strict=True))}

# The keys of the contract (docs/scenario-format.md), per level.
TOP_KEYS = ("autonomy", "actions", "freezes", "change_windows", "approvers")
FREEZE_KEYS = ("from", "to", "reason")
WINDOW_KEYS = ("days", "start", "end", "tz")
APPROVER_KEYS = ("min", "groups")


def parse_policy(body: Any, path: str) -> Policy:
    f = Fields(path)
    if body is None:
        return Policy()
    obj = f.mapping(body, "")
    _known_keys(f, obj, TOP_KEYS, "")
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
        _known_keys(f, item, FREEZE_KEYS, where)
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
        _known_keys(f, item, WINDOW_KEYS, where)
        days = _days(f, item, where)
        tz = f.text(item, "tz", where, required=False) or "UTC"
        try:
            ZoneInfo(tz)
        except (ZoneInfoNotFoundError, ValueError):
            raise f.fail(f"{where}.tz", f"unknown time zone {tz!r}") from None
        start_s = _clock(f, item, "start", where)
        end_s = _clock(f, item, "end", where)
        windows.append(ChangeWindow(days=days, start=start_s, end=end_s, tz=tz))
    approvers = f.get_mapping(obj, "approvers", "")
    _known_keys(f, approvers, APPROVER_KEYS, "approvers")
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


def _known_keys(f: Fields, obj: dict[Any, Any], known: tuple[str, ...], where: str) -> None:
    """Refuses the first key outside `known`, naming it and, when it looks like a
    misspelling, the key that was probably meant."""
    for key in obj:
        if isinstance(key, str) and key in known:
            continue
        name = str(key)[:60]
        close = get_close_matches(name.lower(), known, n=1, cutoff=0.6)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise f.fail(f"{where}.{name}" if where else name,
                     f"unknown key{hint} (expected one of {', '.join(known)})")


def _days(f: Fields, item: dict[str, Any], where: str) -> tuple[str, ...]:
    """The window's weekdays: each `mon`..`sun` or `monday`..`sunday`, any case. Without
    `days` the window is open every day; an empty list is refused rather than read as
    every day (it more likely lost its entries than meant all of them)."""
    raw = item.get("days")
    if raw is None:
        return _DAYS
    values = f.sequence(raw, f"{where}.days")
    if not values:
        raise f.fail(f"{where}.days", "is empty: list at least one day, or leave days "
                     "out for every day")
    out: list[str] = []
    for value in values:
        day = _DAY_NAMES.get(value.strip().lower()) if isinstance(value, str) else None
        if day is None:
            shown = (repr(value[:40]) if isinstance(value, str)
                     else f"a {type(value).__name__}" if isinstance(value, dict | list)
                     else repr(value)[:40])
            raise f.fail(f"{where}.days", f"unknown day {shown} (expected mon, tue, wed, thu, "
                         "fri, sat, sun or the full day names)")
        if day not in out:
            out.append(day)
    return tuple(out)


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
