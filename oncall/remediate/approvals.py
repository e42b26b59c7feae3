"""Counting approvers: one rule for `oncall act`, `triage --act` and the dashboard.

A move policy marks `approve` needs `approvers.min` distinct people: the person
confirming, plus the names they attest with `--approved-by`. A name is one person
however it is typed, so names are compared without surrounding or repeated spaces,
invisible format characters, Unicode compatibility variants or case: `alice`,
` ALICE ` and `Alice` are one approver, and the actor named again counts once. A blank
name is nobody: front ends refuse it as bad input (`attested_names`) and the count
never includes it (`distinct_approvers`).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable

from oncall.errors import InputError
from oncall.model import Policy

MAX_NAME = 200


def _clean(name: str) -> str:
    """The name as shown: format characters removed, whitespace runs made one space."""
    visible = "".join(ch for ch in name if unicodedata.category(ch) != "Cf")
    return " ".join(visible.split())


def approver_key(name: str) -> str:
    """What makes two spellings of a name the same approver."""
    return unicodedata.normalize("NFKC", _clean(name)).casefold()


def attested_names(names: Iterable[str], option: str = "--approved-by") -> tuple[str, ...]:
    """The names given with `--approved-by`, cleaned; a blank or oversized name is an
    `InputError` naming the option, raised before anything is previewed or run."""
    out = []
    for name in names:
        clean = _clean(name)
        if not clean:
            raise InputError(option, "an approver name is blank: give each further "
                             "approver's name")
        if len(clean) > MAX_NAME:
            raise InputError(option, f"an approver name is longer than {MAX_NAME} "
                             "characters")
        out.append(clean)
    return tuple(out)


def distinct_approvers(*groups: Iterable[str]) -> list[str]:
    """The distinct approvers among `groups` (the confirming person first), in order,
    each as first written; blank names are dropped and spellings of one name merged."""
    seen: set[str] = set()
    out: list[str] = []
    for group in groups:
        for name in group:
            key = approver_key(name)
            if key and key not in seen:
                seen.add(key)
                out.append(_clean(name))
    return out


def approvals_needed(policy: Policy | None, decision: str) -> int:
    """How many distinct approvers a move needs: `approvers.min` (at least one) for
    `approve`, one person otherwise."""
    if decision != "approve":
        return 1
    return max(1, (policy or Policy()).approvers_min)
