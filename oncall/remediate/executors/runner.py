"""Runs one program with an argument list: no shell, a timeout, bounded output.

Every element of `argv` reaches the program as one argument, exactly as given: there is
no shell to split it, expand `$(...)` or obey `;`. The program is looked up on `PATH`
once, so the call that is previewed and audited names the binary that runs. Standard
input is closed (a tool waiting for a password would hang the page), and what the tool
prints is cut to a few kilobytes and stripped of control characters before it is shown
or written to the audit log.
"""

from __future__ import annotations

import shlex
import shutil
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from oncall.remediate.executors.base import ExecutionFailed
from oncall.sources.fields import printable

MAX_OUTPUT_CHARS = 4000


@dataclass(frozen=True, slots=True)
class Completed:
    argv: tuple[str, ...]
    code: int
    stdout: str
    stderr: str

    @property
    def ok(self) -> bool:
        return self.code == 0

    @property
    def output(self) -> str:
        """stdout, then stderr, for people and the audit log."""
        return "\n".join(part for part in (self.stdout, self.stderr) if part)


def shown_call(argv: Sequence[str]) -> str:
    """The argument list written as a line a person can read (and paste, quoted)."""
    return shlex.join(argv)


def run_argv(argv: Sequence[str], timeout: float,
             env: Mapping[str, str] | None = None) -> Completed:
    """Runs `argv` (never through a shell); a missing program or a timeout is
    `ExecutionFailed`, a non-zero exit a `Completed` with its code."""
    args = [str(a) for a in argv]
    if not args:
        raise ExecutionFailed("empty command")
    if any("\x00" in a for a in args):
        raise ExecutionFailed("an argument contains a NUL byte")
    program = shutil.which(args[0])
    if program is None:
        raise ExecutionFailed(f"{args[0]!r} is not installed or not on PATH")
    try:
        done = subprocess.run(  # an argument list, never a shell
            [program, *args[1:]], shell=False, stdin=subprocess.DEVNULL,
            capture_output=True, text=True, errors="replace", timeout=timeout,
            env=dict(env) if env is not None else None, check=False,
        )
    except subprocess.TimeoutExpired:
        raise ExecutionFailed(f"{shown_call(args)} did not finish within {timeout:g} s") from None
    except OSError as exc:
        raise ExecutionFailed(f"{args[0]!r} could not be started ({exc.strerror})") from None
    return Completed(tuple(args), done.returncode, _clip(done.stdout), _clip(done.stderr))


def _clip(text: str) -> str:
    text = "\n".join(printable(line) for line in text.strip().splitlines())
    if len(text) > MAX_OUTPUT_CHARS:
        return text[:MAX_OUTPUT_CHARS] + f"... ({len(text) - MAX_OUTPUT_CHARS} more characters)"
    return text
