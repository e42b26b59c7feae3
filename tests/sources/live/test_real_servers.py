"""Connectors and commands against a real Alertmanager and Prometheus on 127.0.0.1."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from typer.testing import CliRunner

from oncall.cli.main import app
from oncall.config import PromQuery, SourceConfig
from oncall.errors import SourceUnavailable
from oncall.sources.alerts import parse_alerts
from oncall.sources.live.alertmanager import AlertmanagerConnector
from oncall.sources.live.base import Window
from oncall.sources.live.http import Fetcher
from oncall.sources.live.prometheus import PrometheusConnector
from oncall.sources.metrics import parse_metrics
from tests.sources.live.servers import Server, wait_for

runner = CliRunner()


def _window(minutes: float = 5) -> Window:
    now = datetime.now(UTC)
    return Window(start=now - timedelta(minutes=minutes), end=now,
                  changes_start=now - timedelta(hours=1), step_seconds=1)


def _post_alerts(server: Server, alerts: list[dict[str, Any]]) -> None:
    response = httpx.post(f"{server.url}/api/v2/alerts", json=alerts, timeout=5)
    assert response.status_code == 200, response.text


def _am(server: Server, **fields: Any) -> AlertmanagerConnector:
    config = SourceConfig(kind="alertmanager", url=server.url, origin="t",
                          where="sources.alertmanager", **fields)
    return AlertmanagerConnector(Fetcher(httpx.Client(base_url=server.url, timeout=5),
                                         "alertmanager"), config)


def test_alertmanager_alerts_and_silences_come_through_the_v2_api(alertmanager: Server) -> None:
    now = datetime.now(UTC)
    ends = (now + timedelta(minutes=30)).isoformat()
    labels = {"test": "posted", "service": "checkout", "severity": "critical"}
    _post_alerts(alertmanager, [
        {"labels": {**labels, "alertname": "PostedLatency"}, "startsAt": now.isoformat(),
         "endsAt": ends, "annotations": {"summary": "p95 high"}},
        {"labels": {**labels, "alertname": "PostedNoise"}, "startsAt": now.isoformat(),
         "endsAt": ends},
    ])
    silence = {"matchers": [{"name": "alertname", "value": "PostedNoise", "isRegex": False}],
               "startsAt": now.isoformat(), "endsAt": ends, "createdBy": "test",
               "comment": "known noise"}
    assert httpx.post(f"{alertmanager.url}/api/v2/silences", json=silence,
                      timeout=5).status_code == 200
    connector = _am(alertmanager, filters=('test="posted"',))

    def both() -> list[Any]:
        alerts = parse_alerts(connector.fetch(_window()).body, connector.label)
        return alerts if len(alerts) == 2 else []

    alerts = wait_for(both, timeout=15, what="two posted alerts")
    assert isinstance(alerts, list)
    by_name = {a.name: a for a in alerts}
    assert by_name["PostedLatency"].annotations["summary"] == "p95 high"
    assert by_name["PostedLatency"].firing_at(datetime.now(UTC))
    assert not by_name["PostedLatency"].suppressed
    assert by_name["PostedNoise"].suppressed and by_name["PostedNoise"].silenced_by
    assert connector.probe().startswith("Alertmanager 0.")


def _has_samples(prometheus: Server, query: str, count: int) -> bool:
    end = datetime.now(UTC).timestamp()
    body = httpx.get(f"{prometheus.url}/api/v1/query_range", timeout=5, params={
        "query": query, "start": end - 60, "end": end, "step": 1}).json()
    result = body["data"]["result"]
    return bool(result) and len(result[0]["values"]) >= count


def test_prometheus_query_range_renames_series_and_reports_a_bad_query(
        prometheus: Server) -> None:
    wait_for(lambda: _has_samples(prometheus, "demo_error_ratio", 3), what="3 scrapes")
    config = SourceConfig(kind="prometheus", url=prometheus.url, origin="t",
                          where="sources.prometheus", queries=(
                              PromQuery("latency_p95_seconds", "demo_latency_p95_seconds"),
                              PromQuery("error_ratio", "demo_error_ratio"),
                              PromQuery("broken", "rate(("),
                          ))
    connector = PrometheusConnector(
        Fetcher(httpx.Client(base_url=prometheus.url, timeout=5), "prometheus"), config)
    fetched = connector.fetch(_window(2))
    series = parse_metrics(fetched.body, connector.label)
    names = sorted((s.name, s.service) for s in series)
    assert names == [("error_ratio", "checkout"), ("error_ratio", "payments"),
                     ("latency_p95_seconds", "checkout")]
    latency = next(s for s in series if s.name == "latency_p95_seconds")
    assert len(latency.samples) >= 3 and {v for _, v in latency.samples} == {0.8}
    (problem,) = fetched.problems
    assert problem.startswith("query broken: HTTP 400") and "parse error" in problem
    with pytest.raises(SourceUnavailable, match="query broken: HTTP 400"):
        connector.probe()


def test_a_prometheus_that_is_down_fails_after_bounded_retries(dead_url: str) -> None:
    slept: list[float] = []
    config = SourceConfig(kind="prometheus", url=dead_url, origin="t",
                          where="sources.prometheus", queries=(PromQuery("up", "up"),))
    fetcher = Fetcher(httpx.Client(base_url=dead_url, timeout=2), "prometheus", retries=2,
                      sleep=slept.append)
    with pytest.raises(SourceUnavailable) as caught:
        PrometheusConnector(fetcher, config).fetch(_window())
    assert str(caught.value) == (f"prometheus ({dead_url}): connection refused on "
                                 "/api/v1/query_range (3 tries)")
    assert slept == [0.5, 1.0]


def _live_config(tmp_path: Path, alertmanager: Server, prometheus: Server,
                 dead_url: str) -> Path:
    path = tmp_path / "oncall.yaml"
    path.write_text(yaml.safe_dump({
        "name": "demo-live",
        "window_minutes": 5,
        "step_seconds": 1,
        "sources": {
            "alertmanager": {"url": alertmanager.url, "filter": ['alertname="DemoHighErrorRate"']},
            "prometheus": {"url": prometheus.url, "queries": [
                {"signal": "error_ratio", "query": "demo_error_ratio"},
                {"signal": "latency_p95_seconds", "query": "demo_latency_p95_seconds"}]},
            "loki": {"url": dead_url, "queries": ['{namespace="prod"}'], "retries": 0},
        },
    }))
    return path


def test_rule_alert_is_snapshotted_and_replayed_with_the_down_source_named(
        tmp_path: Path, alertmanager: Server, prometheus: Server, dead_url: str) -> None:
    """Prometheus fires a rule, Alertmanager holds it, `oncall snapshot` captures it with
    the metrics while Loki is down, and `oncall triage` replays the directory."""

    def rule_alert() -> bool:
        alerts = httpx.get(f"{alertmanager.url}/api/v2/alerts", timeout=5,
                           params={"filter": 'alertname="DemoHighErrorRate"'}).json()
        return any(a["labels"].get("service") == "checkout" for a in alerts)

    wait_for(rule_alert, what="Prometheus to send DemoHighErrorRate to Alertmanager")
    config = _live_config(tmp_path, alertmanager, prometheus, dead_url)
    out = tmp_path / "captured"
    result = runner.invoke(app, ["snapshot", "--out", str(out), "--config", str(config)])
    assert result.exit_code == 0, result.output
    assert "missing: logs: loki" in result.output and "connection refused" in result.output
    assert sorted(p.name for p in out.iterdir()) == ["alerts.json", "metrics.json",
                                                     "scenario.yaml"]
    header = yaml.safe_load((out / "scenario.yaml").read_text())
    assert header["name"] == "demo-live"
    assert any("loki" in line for line in header["missing_at_capture"])

    replay = runner.invoke(app, ["triage", str(out), "--format", "json"])
    assert replay.exit_code == 0, replay.output
    doc = json.loads(replay.stdout)
    (incident,) = doc["incidents"]
    assert incident["services"] == ["checkout"]
    assert any("logs" in line for line in doc["missing"])


def test_config_check_says_which_sources_answer(tmp_path: Path, alertmanager: Server,
                                                prometheus: Server, dead_url: str) -> None:
    config = _live_config(tmp_path, alertmanager, prometheus, dead_url)
    result = runner.invoke(app, ["config", "check", "--config", str(config), "-f", "json"])
    assert result.exit_code == 1, result.output
    rows = {r["source"]: r for r in json.loads(result.stdout)["sources"]}
    assert rows["alertmanager"]["ok"] and rows["prometheus"]["ok"]
    assert rows["prometheus"]["detail"].startswith("Prometheus 2.")
    assert not rows["loki"]["ok"]
    assert rows["loki"]["detail"] == "connection refused on /loki/api/v1/status/buildinfo " \
        "(1 try)"


def test_missing_binaries_skip_for_users_and_fail_for_root(
        monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.sources.live import servers

    monkeypatch.setattr(servers.shutil, "which", lambda name: None)
    monkeypatch.setattr(servers.os, "geteuid", lambda: 1000)
    with pytest.raises(pytest.skip.Exception, match="apt-get install -y prometheus"):
        servers.binary("prometheus")
    monkeypatch.setattr(servers.os, "geteuid", lambda: 0)
    with pytest.raises(pytest.fail.Exception, match="prometheus is not installed"):
        servers.binary("prometheus")
