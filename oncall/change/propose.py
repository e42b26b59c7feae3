"""Propose a permanent fix: governance, the edit, a branch, a pull request, the audit.

The order matters. Governance is checked first (autonomy `change`, no freeze in force,
inside a change window when the policy has any), so a refused change leaves no trace
but the audit record of the refusal. Then the fix is computed against the base commit
and applied as structured edits; the commit goes on a new branch without touching the
checkout; the branch is pushed and a pull request opened only when asked and when a
token is there. Nothing is merged: the policy's approvers are requested as reviewers.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from oncall.audit import AuditLog
from oncall.change.edits import Edit, apply_edits
from oncall.change.forge import Opened
from oncall.change.git import Repo, commit_on_branch, files_at, resolve
from oncall.change.recurrence import Recurrence
from oncall.change.remedies import Fix, propose_fix
from oncall.errors import InputError, OncallError
from oncall.model import Policy
from oncall.remediate.windows import describe, next_opening, open_window

SUFFIXES = (".yaml", ".yml", ".json")


class ChangeRefused(OncallError):
    """Governance says no (autonomy, freeze, change window). Exit code 3."""

    exit_code = 3


@dataclass(slots=True)
class Proposal:
    recurrence: Recurrence
    fix: Fix
    branch: str
    base: str
    message: str
    diff: str
    contents: dict[str, str] = field(default_factory=dict)  # edited files, whole
    commit: str | None = None
    opened: Opened | None = None
    notes: list[str] = field(default_factory=list)


def check_governance(policy: Policy, now: datetime) -> str:
    """Why a change may be opened now, or `ChangeRefused` saying why not."""
    if policy.autonomy != "change":
        raise ChangeRefused(f"policy autonomy is {policy.autonomy!r}: opening changes needs "
                            "autonomy 'change' (crawl -> walk -> run)")
    for freeze in policy.freezes:
        if freeze.start <= now < freeze.end:
            raise ChangeRefused(f"a change freeze is in force until "
                                f"{freeze.end:%Y-%m-%d %H:%MZ} ({freeze.reason or 'no reason'})")
    if policy.change_windows:
        window = open_window(policy.change_windows, now)
        if window is None:
            upcoming = next_opening(policy.change_windows, now)
            when = (f"; the next window opens {upcoming[0]:%Y-%m-%d %H:%MZ} "
                    f"({describe(upcoming[1])})") if upcoming else ""
            raise ChangeRefused(f"outside every change window at {now:%Y-%m-%d %H:%MZ}{when}")
        return f"inside change window {describe(window)}"
    return "no change windows in the policy"


def build_proposal(rec: Recurrence, repo: Repo, base_rev: str, branch: str | None,
                   explicit: list[Edit], policy: Policy) -> Proposal:
    base = resolve(repo, base_rev)
    files = files_at(repo, base, SUFFIXES)
    fix = _explicit_fix(rec, explicit) if explicit else propose_fix(rec, files)
    changed: dict[str, str] = {}
    for name in dict.fromkeys(e.file for e in fix.edits):
        if name not in files:
            raise InputError(name, f"is not a tracked YAML or JSON file at {base[:12]}",
                             field="--set")
        changed[name] = apply_edits(name, files[name], [e for e in fix.edits if e.file == name])
    diff = "".join(
        "".join(difflib.unified_diff(files[n].splitlines(True), changed[n].splitlines(True),
                                     f"a/{n}", f"b/{n}"))
        for n in changed)
    message = commit_message(rec, fix, policy)
    return Proposal(rec, fix, branch or default_branch(rec), base, message, diff, changed)


def commit(repo: Repo, proposal: Proposal) -> str:
    proposal.commit = commit_on_branch(repo, proposal.base, proposal.branch,
                                       proposal.contents, proposal.message)
    return proposal.commit


def default_branch(rec: Recurrence) -> str:
    return f"oncall/fix-{rec.id.lower()}"


def commit_message(rec: Recurrence, fix: Fix, policy: Policy) -> str:
    title = f"{fix.summary[:1].upper()}{fix.summary[1:]}"
    lines = [title[:72], "",
             f"Why: {rec.count} {rec.kind} incidents on {rec.service} "
             f"({rec.incidents[0].day:%Y-%m-%d} to {rec.incidents[-1].day:%Y-%m-%d})."]
    if rec.total_revenue or rec.total_users:
        lines.append(f"They cost ~${rec.total_revenue:,.0f} and ~{rec.total_users:,.0f} "
                     f"affected users; {rec.total_minutes:.0f} min to resolve in total.")
    lines += ["", "Incidents:"]
    for incident in rec.incidents:
        cause = incident.root_cause or incident.title
        lines.append(f"- {incident.id} ({incident.day:%Y-%m-%d}): {cause}"[:200])
        if incident.resolution:
            lines.append(f"  resolved by: {incident.resolution}"[:200])
        for action in incident.actions[:3]:
            lines.append(f"  {action}"[:200])
    lines += ["", "Change:"]
    lines += [f"- {e.where}: {e.why}" for e in fix.edits]
    lines += ["", f"Expected effect: {fix.effect}", "", "Verify after rollout:"]
    lines += [f"- {v}" for v in fix.verify]
    lines += ["", f"Rollback: {fix.rollback}", ""]
    approvers = ", ".join(policy.approver_groups) or "the service owners"
    lines.append(f"Needs {policy.approvers_min} approval(s) from {approvers} before merge; "
                 "proposed by oncall, never merged by it.")
    return "\n".join(lines) + "\n"


def record(audit: AuditLog | None, event: str, proposal: Proposal | None,
           **data: object) -> None:
    if audit is None:
        return
    body: dict[str, object] = dict(data)
    if proposal is not None:
        body.update(recurrence=proposal.recurrence.id, branch=proposal.branch,
                    base=proposal.base, commit=proposal.commit,
                    edits=[e.where for e in proposal.fix.edits],
                    incidents=[i.id for i in proposal.recurrence.incidents])
    audit.append(event, body, incident=proposal.recurrence.id if proposal else None)


def _explicit_fix(rec: Recurrence, edits: list[Edit]) -> Fix:
    return Fix(summary=f"apply {len(edits)} reviewed edit(s) for {rec.service}", edits=edits,
               effect=f"removes the {rec.kind} cause the engineer named for {rec.service}",
               verify=[f"no repeat of the {rec.kind} incidents on {rec.service}"],
               rollback="revert this commit")


def parse_set(text: str, repo_root: Path) -> Edit:
    """`FILE[#DOC]:dotted.path=VALUE`; the current value becomes the expected old one."""
    from oncall.sources.yamlsafe import safe_load

    if ":" not in text or "=" not in text.split(":", 1)[1]:
        raise InputError(text, "expected FILE:dotted.path=VALUE", field="--set")
    target, rest = text.split(":", 1)
    path_text, value_text = rest.split("=", 1)
    doc = 0
    if "#" in target:
        target, number = target.rsplit("#", 1)
        if not number.isdigit():
            raise InputError(text, "the document after # must be a number", field="--set")
        doc = int(number)
    from oncall.change.edits import parse_path

    try:
        value = safe_load(value_text) if value_text.strip() else ""
    except Exception:  # a value YAML cannot read is taken as text
        value = value_text
    return Edit(target, parse_path(path_text), value, _CURRENT, doc, "named by the engineer")


_CURRENT: object = object()  # resolved against the base commit in `bind_explicit`


def bind_explicit(edits: list[Edit], repo: Repo, base_rev: str) -> list[Edit]:
    """Fills each `--set` edit's expected old value from the base commit."""
    from oncall.change.edits import get, load_docs

    files = files_at(repo, resolve(repo, base_rev), SUFFIXES)
    bound = []
    for edit in edits:
        if edit.file not in files:
            raise InputError(edit.file, "is not a tracked YAML or JSON file", field="--set")
        docs = load_docs(edit.file, files[edit.file])
        if edit.doc >= len(docs):
            raise InputError(edit.file, f"has no document #{edit.doc}", field="--set")
        bound.append(Edit(edit.file, edit.path, edit.new, get(docs[edit.doc], edit.path),
                          edit.doc, edit.why))
    return bound
