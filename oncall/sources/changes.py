"""Changes: deploys, config pushes, flag flips, infra and certificate changes."""

from __future__ import annotations

from typing import Any

from oncall.model import CHANGE_KINDS, Change
from oncall.sources.fields import Fields


def parse_changes(body: Any, path: str) -> list[Change]:
    f = Fields(path)
    if body is None:
        return []
    obj = f.mapping(body, "")
    out: list[Change] = []
    seen: set[str] = set()
    for i, raw in enumerate(f.get_list(obj, "changes", "")):
        where = f"changes[{i}]"
        item = f.mapping(raw, where)
        change_id = f.text(item, "id", where)
        if change_id in seen:
            raise f.fail(f"{where}.id", f"duplicate change id {change_id!r}")
        seen.add(change_id)
        kind = f.text(item, "kind", where)
        if kind not in CHANGE_KINDS:
            raise f.fail(f"{where}.kind", f"unknown kind {kind!r} (expected one of "
                         f"{', '.join(CHANGE_KINDS)})")
        at = f.timestamp(item, "at", where)
        assert at is not None
        pods = f.scalar_list(item, "pods", where)
        out.append(
            Change(
                id=change_id,
                kind=kind,
                service=f.text(item, "service", where),
                at=at,
                author=f.text(item, "author", where, required=False),
                summary=f.text(item, "summary", where, required=False),
                revision=f.text(item, "revision", where, required=False) or None,
                previous_revision=f.text(item, "previous_revision", where, required=False)
                or None,
                pods=pods,
                diff=f.text(item, "diff", where, required=False),
            )
        )
    out.sort(key=lambda c: c.at)
    return out
