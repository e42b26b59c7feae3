"""Setting up the action loop the same way wherever it runs: `oncall act` and the dashboard.

Both front ends must act through the same executors and verify the same way, so where
the executor config comes from and how recovery is watched on a scenario are decided
here, once, rather than in each command:

- the executors: `--executor-config FILE`, else `executors.yaml` in the user's config
  dir, else the `executors:` section of `oncall.yaml`; none of these means no executor
  (the caller says so; nothing can run);
- verification on a scenario replays its recorded samples after `now` on a virtual
  clock (`ReplayMetrics`); a live reader, when the caller has one, takes precedence.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from oncall.model import Snapshot
from oncall.remediate.executors.config import (
    ExecutorConfig,
    load_executor_config,
    parse_executor_config,
)
from oncall.remediate.session import Verifier
from oncall.remediate.verify_loop import MetricsReader, ReplayMetrics

EXECUTORS_FILE = "executors.yaml"  # in the user's config dir, when no --executor-config


def find_executor_config(path: Path | None = None,
                         oncall_config: Path | None = None) -> ExecutorConfig | None:
    """The executors to act through, or None when nothing configures any.

    A bad file or section is an `InputError` naming the field, raised before anything
    runs. `oncall_config` is an explicit `oncall.yaml` (`--config`); by default the one
    `oncall.config.config_path` finds.
    """
    from oncall.config import config_path, config_section
    from oncall.xdg import config_dir

    if path is None and (config_dir() / EXECUTORS_FILE).is_file():
        path = config_dir() / EXECUTORS_FILE
    if path is not None:
        return load_executor_config(path)
    section = config_section("executors", oncall_config)
    if section is None:
        return None
    return parse_executor_config(section, str(config_path(oncall_config)))


def make_verifier(snap: Snapshot, *, scenario: Path | None = None,
                  reader: MetricsReader | None = None,
                  clock: Callable[[], float] | None = None,
                  sleep: Callable[[float], None] | None = None,
                  poll_seconds: float = 30.0, polls: int = 3,
                  timeout_seconds: float | None = None) -> Verifier:
    """How recovery is watched: the live `reader` when given, else the scenario's
    recording replayed from its `now`, else no reader (the result is then unverified).

    A replay has its own virtual clock, so call this once per execution: each one
    starts replaying at the scenario's `now`.
    """
    if reader is not None:
        return Verifier(reader, clock or time.time, sleep or time.sleep, poll_seconds, polls,
                        timeout_seconds)
    if scenario is None:
        return Verifier(None, timeout_seconds=timeout_seconds)
    replay = ReplayMetrics.from_scenario(scenario, snap.now.timestamp())
    return Verifier(replay, replay.clock, replay.sleep, poll_seconds, polls, timeout_seconds)
