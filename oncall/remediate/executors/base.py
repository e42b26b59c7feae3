"""What every executor shares: the validated request, the preview, the result, the protocol.

An executor never sees a `Remediation`'s `command` text: that line is for people and is
never parsed or run. It gets an `ActionRequest`, whose every field was validated
(`request.py`) before it was built, and turns it into one exact call: an argument list
for a program, or one HTTP request. The same call is what the preview shows, what the
person confirms and what the audit log records.

`undo_kind` says what happens if verification fails: `undo` (the executor can put back
what it changed), `none` (nothing to put back: a restart recreates pods from the same
spec) or `impossible` (a call whose effect cannot be reversed from here). The session
refuses to act on an `impossible` call by policy alone; a person has to confirm it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, Protocol

from oncall.errors import OncallError
from oncall.model import Remediation

UndoKind = Literal["undo", "none", "impossible"]


class Refused(OncallError):
    """The request cannot be turned into a call (bad name, unknown target, no config)."""


class ExecutionFailed(OncallError):
    """The call was made (or tried) and did not succeed; the message says why."""


@dataclass(frozen=True, slots=True)
class ActionRequest:
    """One remediation with every value an executor may use, each already validated."""

    action: str
    service: str
    incident: str
    namespace: str | None = None
    pod: str | None = None
    change: str | None = None
    revision: str | None = None
    remediation: Remediation | None = field(default=None, compare=False)

    def values(self) -> dict[str, str | None]:
        """The values a template may name, as `{service}`, `{namespace}`, ..."""
        return {
            "action": self.action,
            "service": self.service,
            "incident": self.incident,
            "namespace": self.namespace,
            "pod": self.pod,
            "change": self.change,
            "revision": self.revision,
        }


@dataclass(frozen=True, slots=True)
class Preview:
    """The exact call, and what a dry run of it said, before anyone confirms."""

    executor: str
    call: str  # one line: the argv written shell-style for reading, or "POST <url> <body>"
    dry_run: str  # the dry-run output, or why there is none
    dry_run_ok: bool | None  # None: this executor has no dry run for this call
    undo_kind: UndoKind
    undo: str  # what undoing would do, in words or as the exact call
    argv: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, object]:
        return {
            "executor": self.executor, "call": self.call, "argv": list(self.argv),
            "dry_run": self.dry_run, "dry_run_ok": self.dry_run_ok,
            "undo_kind": self.undo_kind, "undo": self.undo,
        }


@dataclass(frozen=True, slots=True)
class Result:
    """What a call did. `state` holds what `undo` needs (the replica count before, the
    backup file, the revision that was live) and goes into the audit log as is."""

    ok: bool
    call: str
    detail: str
    state: dict[str, str] = field(default_factory=dict)

    def as_dict(self) -> dict[str, object]:
        return {"ok": self.ok, "call": self.call, "detail": self.detail, "state": self.state}


class Executor(Protocol):
    """One toolchain. `preview` must not change anything; `undo` takes the `Result` of
    the `execute` it reverses, so it restores what was there, not a guess."""

    name: str

    def preview(self, request: ActionRequest) -> Preview: ...

    def execute(self, request: ActionRequest) -> Result: ...

    def undo(self, request: ActionRequest, result: Result) -> Result: ...
