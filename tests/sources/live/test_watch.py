"""`oncall watch`: incidents followed across triages; one poll against real Alertmanager."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import yaml
from typer.testing import CliRunner

from oncall.cli.main import app
from oncall.cli.watch import Tracker, firing
from oncall.model import Snapshot
from oncall.pipeline import triage_snapshot
from oncall.sources.alerts import parse_alerts
from tests.helpers import alert
from tests.sources.live.servers import Server

NOW = datetime(2026, 3, 14, 2, 19, tzinfo=UTC)


def _triage(*alerts: dict[str, Any]) -> Any:
    snap = Snapshot(name="w", now=NOW, alerts=parse_alerts(list(alerts), "alerts"))
    return triage_snapshot(snap)


def test_an_incident_is_new_once_then_updated_then_resolved() -> None:
    tracker = Tracker()
    latency = alert("HighLatency", pod="checkout-1")
    errors = alert("HighErrorRate", pod="checkout-1")
    (new,) = tracker.update(_triage(latency))
    assert new.kind == "new" and new.incident is not None
    assert tracker.update(_triage(latency)) == []
    (updated,) = tracker.update(_triage(latency, errors))
    assert (updated.kind, updated.incident_id) == ("updated", new.incident_id)
    assert updated.joined == [errors["fingerprint"]] and updated.resolved == []
    (shrunk,) = tracker.update(_triage(errors))
    assert shrunk.incident_id == new.incident_id and shrunk.resolved == [latency["fingerprint"]]
    (resolved,) = tracker.update(_triage())
    assert (resolved.kind, resolved.incident_id) == ("resolved", new.incident_id)
    assert tracker.followed == {}


def test_silenced_and_ended_alerts_do_not_trigger_a_triage() -> None:
    quiet = alert("Noise", silenced=["s1"])
    ended = alert("Old", ends="2026-03-14T02:12:00Z")
    live = alert("HighLatency")
    snap = Snapshot(name="w", now=NOW, alerts=parse_alerts([quiet, ended, live], "alerts"))
    assert firing(snap) == frozenset({live["fingerprint"]})


def test_one_poll_against_real_alertmanager_prints_the_new_incident(
        tmp_path: Path, alertmanager: Server) -> None:
    now = datetime.now(UTC)
    posted = [{"labels": {"alertname": "WatchLatency", "service": "search", "test": "watch",
                          "severity": "critical"},
               "startsAt": (now - timedelta(minutes=2)).isoformat(),
               "endsAt": (now + timedelta(minutes=30)).isoformat()}]
    assert httpx.post(f"{alertmanager.url}/api/v2/alerts", json=posted,
                      timeout=5).status_code == 200
    config = tmp_path / "oncall.yaml"
    config.write_text(yaml.safe_dump({"sources": {"alertmanager": {
        "url": alertmanager.url, "filter": ['test="watch"']}}}))
    result = CliRunner().invoke(app, ["watch", "--config", str(config), "--polls", "1",
                                      "--json"])
    assert result.exit_code == 0, result.output
    (line,) = result.stdout.splitlines()
    event = json.loads(line)
    assert event["event"] == "new"
    assert event["incident"]["alertnames"] == ["WatchLatency"]
    assert event["incident"]["services"] == ["search"]
    assert "metrics: no source configured" in event["missing"]

    text = CliRunner().invoke(app, ["watch", "--config", str(config), "--polls", "1"])
    assert text.exit_code == 0, text.output
    assert " NEW " in text.stdout and "services search" in text.stdout


def test_watch_keeps_polling_when_alertmanager_is_down(tmp_path: Path, dead_url: str) -> None:
    config = tmp_path / "oncall.yaml"
    config.write_text(yaml.safe_dump({"sources": {"alertmanager": {"url": dead_url,
                                                                   "retries": 0}}}))
    result = CliRunner().invoke(app, ["watch", "--config", str(config), "--polls", "2",
                                      "--interval", "1", "--json"])
    assert result.exit_code == 0, result.output
    events = [json.loads(line) for line in result.stdout.splitlines()]
    assert [e["event"] for e in events] == ["unavailable", "unavailable"]
    assert "connection refused on /api/v2/alerts (1 try)" in events[0]["reason"]
    assert events[0]["at"].endswith("Z") and set(events[0]) == {"event", "at", "reason"}
