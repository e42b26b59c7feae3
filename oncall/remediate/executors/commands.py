"""Command templates: a configured argument list per action, filled per request.

A template is a list such as `["meshctl", "shift", "--service", "{service}", "--to",
"standby"]`. A placeholder must be a whole element (the config loader refuses
`"deploy/{service}"`), so each fills exactly one argument with a value the request
already validated (DNS-1123 names, plain tokens), never a part of a word and never a
line for a shell: `checkout; rm -rf /` could not even become a request, and if it could
it would still arrive as one argument no program would run. A placeholder whose value is
unknown for this remediation (no revision in the change log) refuses the command rather
than passing an empty argument.
"""

from __future__ import annotations

from collections.abc import Sequence

from oncall.remediate.executors.base import ActionRequest, Preview, Refused, Result, UndoKind
from oncall.remediate.executors.config import CommandTemplate
from oncall.remediate.executors.runner import run_argv, shown_call


def fill(template: Sequence[str], request: ActionRequest) -> list[str]:
    """The argv for `request`: each `{name}` element replaced by its one value."""
    values = request.values()
    argv: list[str] = []
    for word in template:
        if word.startswith("{") and word.endswith("}"):
            name = word[1:-1]
            if name not in values:
                raise Refused(f"unknown placeholder {word!r}")
            value = values[name]
            if not value:
                raise Refused(f"the command needs {word}, which is unknown for "
                              f"{request.action} on {request.service}")
            argv.append(value)
        else:
            argv.append(word)
    return argv


class CommandExecutor:
    name = "command"

    def __init__(self, template: CommandTemplate) -> None:
        self.template = template

    def preview(self, request: ActionRequest) -> Preview:
        argv = self._argv(request)
        undo_kind: UndoKind = "impossible"
        undo = "this command template has no undo"
        if self.template.undo:
            undo_kind, undo = "undo", shown_call(fill(self.template.undo, request))
        if self.template.dry_run is None:
            return Preview(self.name, shown_call(argv), "this command template has no dry run",
                           None, undo_kind, undo, tuple(argv))
        done = run_argv(fill(self.template.dry_run, request), self.template.timeout_seconds)
        return Preview(self.name, shown_call(argv), done.output or f"exit {done.code}", done.ok,
                       undo_kind, undo, tuple(argv))

    def execute(self, request: ActionRequest) -> Result:
        argv = self._argv(request)
        done = run_argv(argv, self.template.timeout_seconds)
        return Result(done.ok, shown_call(argv), done.output or f"exit {done.code}")

    def undo(self, request: ActionRequest, result: Result) -> Result:
        if not self.template.undo:
            raise Refused(f"the {self.template.action} command has no undo")
        argv = fill(self.template.undo, request)
        done = run_argv(argv, self.template.timeout_seconds)
        return Result(done.ok, shown_call(argv), done.output or f"exit {done.code}")

    def _argv(self, request: ActionRequest) -> list[str]:
        if request.action != self.template.action:
            raise Refused(f"the {self.template.action} command does not do {request.action}")
        return fill(self.template.run, request)
