"""The lab's supervisor leaves nothing running, even when the lab itself is killed."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from oncall.lab.procs import Supervisor

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"),
                                reason="parent-death signals are Linux-only")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # a zombie is gone for our purpose (its parent, init, reaps it)
    stat = Path(f"/proc/{pid}/stat")
    return stat.exists() and stat.read_text().split(") ")[-1][:1] != "Z"


def _gone_within(pid: int, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if not _alive(pid):
            return True
        time.sleep(0.05)
    return not _alive(pid)


def test_children_die_with_a_lab_killed_by_sigkill(tmp_path: Path) -> None:
    script = textwrap.dedent(f"""
        import sys, time
        from pathlib import Path
        from oncall.lab.procs import Supervisor
        sup = Supervisor(Path({str(tmp_path)!r}))
        proc = sup.start("sleeper", ["sleep", "60"])
        print(proc.pid, flush=True)
        time.sleep(60)
    """)
    lab = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True,
                           cwd=Path(__file__).resolve().parents[2])
    try:
        assert lab.stdout is not None
        child = int(lab.stdout.readline())
        assert _alive(child)
        lab.send_signal(signal.SIGKILL)  # no atexit, no finally: only the kernel can help
        lab.wait(timeout=10)
        assert _gone_within(child, 10), f"pid {child} outlived the killed lab"
    finally:
        if lab.poll() is None:
            lab.kill()
            lab.wait(timeout=10)


def test_stop_all_stops_the_whole_group(tmp_path: Path) -> None:
    sup = Supervisor(tmp_path)
    # the shell starts a grandchild; stopping the group must take it too
    proc = sup.start("shell", ["sh", "-c", "sleep 60 & echo $! > grandchild; wait"],
                     cwd=tmp_path)
    deadline = time.monotonic() + 10
    while not (tmp_path / "grandchild").exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    grandchild = int((tmp_path / "grandchild").read_text())
    sup.stop_all()
    assert not proc.alive()
    assert _gone_within(grandchild, 10)
    assert sup.procs == []
