"""Starting the lab's processes, and always stopping every one of them.

Each process gets its own session (process group), so stopping it stops whatever it
started too; stopping is SIGTERM to the group, a bounded wait, then SIGKILL, and the
process is reaped so nothing is left behind, not even a zombie. `stop_all` is
idempotent and also registered with `atexit`, so an exception, Ctrl-C or SIGTERM still
cleans up. SIGKILL cannot be caught, so on Linux each child is also started with a
parent-death signal (`prctl(PR_SET_DEATHSIG, SIGTERM)`): when the lab process dies,
however it dies, the kernel stops Prometheus, Alertmanager and the demo services too.
Readiness waits are bounded and name the process and the tail of its log
when it does not come up.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import httpx

STOP_SECONDS = 5.0
PR_SET_PDEATHSIG = 1  # <linux/prctl.h>


class LabError(Exception):
    """The lab cannot go on (a process died, a wait ran out); the message says which."""


class TimedOut(LabError):
    """A bounded wait ran out."""


@dataclass(slots=True)
class Proc:
    name: str
    argv: list[str]
    process: subprocess.Popen[bytes]
    log: Path

    @property
    def pid(self) -> int:
        return int(self.process.pid)

    def alive(self) -> bool:
        return self.process.poll() is None

    def log_tail(self, chars: int = 1500) -> str:
        try:
            return self.log.read_text(errors="replace")[-chars:].strip()
        except OSError:
            return ""


def find_binary(*names: str) -> str | None:
    for name in names:
        found = shutil.which(name)
        if found:
            return found
    return None


class Supervisor:
    """The processes of one lab run, stopped in reverse start order."""

    def __init__(self, logs: Path) -> None:
        self.logs = logs
        self.procs: list[Proc] = []
        atexit.register(self.stop_all)

    def start(self, name: str, argv: list[str], cwd: Path | None = None) -> Proc:
        log = self.logs / f"{name}.out"
        with open(log, "wb") as sink:
            process = subprocess.Popen(argv, stdout=sink, stderr=subprocess.STDOUT,
                                       stdin=subprocess.DEVNULL, cwd=cwd,
                                       start_new_session=True,
                                       preexec_fn=_death_signal())
        proc = Proc(name, argv, process, log)
        self.procs.append(proc)
        return proc

    def check(self) -> None:
        """Raises when a process the lab still needs has exited."""
        for proc in self.procs:
            if not proc.alive():
                raise LabError(f"{proc.name} exited with {proc.process.returncode}: "
                               f"{proc.log_tail(400) or 'no output'}")

    def stop_all(self) -> None:
        for proc in reversed(self.procs):
            _signal(proc, signal.SIGTERM)
        deadline = time.monotonic() + STOP_SECONDS
        for proc in reversed(self.procs):
            try:
                proc.process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                _signal(proc, signal.SIGKILL)
                proc.process.wait(timeout=STOP_SECONDS)
        self.procs.clear()
        atexit.unregister(self.stop_all)


def _death_signal() -> Callable[[], None] | None:
    """A pre-exec hook asking the kernel to SIGTERM the child when its parent dies.

    Linux only. The signal fires when the *thread* that forked exits, so it is set only
    from the main thread (the lab's own); elsewhere `stop_all` and `atexit` remain."""
    if not sys.platform.startswith("linux") or threading.current_thread() is not \
            threading.main_thread():
        return None
    import ctypes

    try:
        libc = ctypes.CDLL(None, use_errno=True)
        prctl = libc.prctl
    except (OSError, AttributeError):
        return None
    parent = os.getpid()

    def hook() -> None:
        prctl(PR_SET_PDEATHSIG, int(signal.SIGTERM), 0, 0, 0)
        if os.getppid() != parent:  # the parent died before prctl took effect
            os._exit(1)

    return hook


def _signal(proc: Proc, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, sig)


def wait_until(check: Callable[[], bool], timeout: float, what: str,
               supervisor: Supervisor | None = None, interval: float = 0.2) -> None:
    """Polls `check` until true; `LabError` naming `what` when `timeout` passes or a
    supervised process dies meanwhile."""
    deadline = time.monotonic() + max(0.0, timeout)
    while True:
        if supervisor is not None:
            supervisor.check()
        if check():
            return
        if time.monotonic() >= deadline:
            raise TimedOut(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(interval)


def http_ok(url: str) -> bool:
    try:
        return httpx.get(url, timeout=1.0).status_code == 200
    except httpx.HTTPError:
        return False


def read_port(path: Path) -> int | None:
    try:
        text = path.read_text(encoding="utf-8").strip()
    except OSError:
        return None
    return int(text) if text.isdigit() else None
