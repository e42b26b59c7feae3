"""A dashboard wired to real executors for the tests: alert-storm, a fake kubectl, an audit.

The scenario is copied so each test can set its own policy and decide whether the
metrics recorded after `now` (which verification replays) show driver-location
recovering. kubectl is `tests.remediate.fakes.FakeKubectl`, first on PATH, so every
argument vector that would reach a cluster is recorded and asserted element by element.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from textual.pilot import Pilot
from textual.widgets import DataTable

from oncall.audit import AuditLog
from oncall.remediate.executors.config import parse_executor_config
from oncall.remediate.setup import make_verifier
from oncall.sources import ScenarioSource
from oncall.tui.app import DashboardApp
from oncall.tui.data import build_data
from oncall.tui.runner import RemediationRunner
from tests.helpers import EXAMPLES
from tests.remediate.fakes import FakeKubectl

ACTOR = "alice"
# alert-storm's first incident, as ranked by the planner
SCALE, RESTART = 0, 1
SCALE_UP = ["-n", "rides", "scale", "deployment/driver-location", "--current-replicas=4",
            "--replicas=6"]
SCALE_BACK = ["-n", "rides", "scale", "deployment/driver-location", "--current-replicas=6",
              "--replicas=4"]


def scenario(root: Path, *, recovers: bool = True, **policy: Any) -> Path:
    """alert-storm under `root`, with `policy` keys replaced (nested dicts merged) and
    samples after `now` showing driver-location recover, or stay as bad as it was."""
    target = root / "alert-storm"
    shutil.copytree(EXAMPLES / "alert-storm", target)
    doc = yaml.safe_load((target / "policy.yaml").read_text())
    for key, value in policy.items():
        doc[key] = {**doc[key], **value} if isinstance(value, dict) else value
    (target / "policy.yaml").write_text(yaml.safe_dump(doc))
    body = json.loads((target / "metrics.json").read_text())
    now = ScenarioSource(target).snapshot().now.timestamp()
    healthy = {"latency_p95_seconds": "0.05", "error_ratio": "0.001"}
    for series in body["data"]["result"]:
        name = series["metric"].get("__name__")
        if series["metric"].get("service") == "driver-location" and name in healthy:
            value = healthy[name] if recovers else series["values"][-1][1]
            series["values"] += [[now + 30 * i, value] for i in range(1, 41)]
    (target / "metrics.json").write_text(json.dumps(body))
    return target


@dataclass
class Rig:
    app: DashboardApp
    audit: AuditLog
    kubectl: FakeKubectl

    def events(self) -> list[str]:
        return [r["event"] for r in self.audit.records()]

    def records(self, event: str) -> list[dict[str, Any]]:
        return [r["data"] for r in self.audit.records() if r["event"] == event]


def rig(root: Path, kubectl: FakeKubectl, approved_by: tuple[str, ...] = ()) -> Rig:
    audit = AuditLog(root.parent / "audit.jsonl", key=b"test", actor=ACTOR)
    config = parse_executor_config({"kubernetes": {"dry_run": "server"}}, "test-executors")
    runner = RemediationRunner(config, audit, lambda snap: make_verifier(snap, scenario=root),
                               approved_by=approved_by)
    data = build_data(ScenarioSource(root).snapshot())
    return Rig(DashboardApp(data=data, executor=runner, audit=audit), audit, kubectl)


async def queue_row(pilot: Pilot[None], row: int) -> None:
    """Opens the first incident's Remediate tab with `row` highlighted."""
    await pilot.press("enter", "5")
    pilot.app.screen.query_one("#queue", DataTable).move_cursor(row=row)
    await pilot.pause()


def state(pilot: Pilot[None], row: int) -> str:
    return str(pilot.app.screen.query_one("#queue", DataTable).get_row_at(row)[-1])


async def until(pilot: Pilot[None], screen: type, tries: int = 200) -> None:
    """Waits (a worker is running) until `screen` is on top; fails if it never comes."""
    for _ in range(tries):
        on_top = pilot.app.screen
        if isinstance(on_top, screen) and on_top.is_mounted and on_top.children:
            await pilot.pause()  # its widgets compose after the screen itself mounts
            return
        await pilot.pause(0.02)
    notices = list(getattr(pilot.app, "notices", []))[-3:]
    raise AssertionError(f"{screen.__name__} never showed; on top: {pilot.app.screen!r}, "
                         f"notices: {notices}")
