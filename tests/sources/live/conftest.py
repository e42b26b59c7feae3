"""Session fixtures: one real Alertmanager, one real Prometheus scraping a loopback
endpoint and sending its alerts to that Alertmanager (the detect half of the loop)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import yaml

from tests.sources.live.servers import MetricsEndpoint, Server, binary, free_port, run_server

RULES = {"groups": [{"name": "demo", "interval": "1s", "rules": [{
    "alert": "DemoHighErrorRate",
    "expr": "demo_error_ratio > 0.1",
    "labels": {"severity": "critical"},
    "annotations": {"summary": "error ratio above 10% on {{ $labels.service }}"},
}]}]}


@pytest.fixture(scope="session")
def metrics_endpoint() -> Iterator[MetricsEndpoint]:
    with MetricsEndpoint() as endpoint:
        endpoint.set('demo_latency_p95_seconds{service="checkout"}', 0.8)
        endpoint.set('demo_error_ratio{service="checkout"}', 0.25)
        endpoint.set('demo_error_ratio{service="payments"}', 0.0)
        yield endpoint


@pytest.fixture(scope="session")
def alertmanager(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    exe = binary("prometheus-alertmanager", "alertmanager")
    root = tmp_path_factory.mktemp("alertmanager")
    (root / "alertmanager.yml").write_text(yaml.safe_dump({
        "route": {"receiver": "blackhole", "group_wait": "1s", "group_interval": "1s",
                  "repeat_interval": "1h"},
        "receivers": [{"name": "blackhole"}],
    }))
    port = free_port()
    command = [exe, f"--config.file={root / 'alertmanager.yml'}",
               f"--storage.path={root / 'data'}", f"--web.listen-address=127.0.0.1:{port}",
               "--cluster.listen-address="]
    with run_server(command, f"http://127.0.0.1:{port}", root / "log.txt") as server:
        yield server


@pytest.fixture(scope="session")
def prometheus(tmp_path_factory: pytest.TempPathFactory, metrics_endpoint: MetricsEndpoint,
               alertmanager: Server) -> Iterator[Server]:
    exe = binary("prometheus")
    root = tmp_path_factory.mktemp("prometheus")
    (root / "rules.yml").write_text(yaml.safe_dump(RULES))
    am_host = alertmanager.url.removeprefix("http://")
    (root / "prometheus.yml").write_text(yaml.safe_dump({
        "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
        "rule_files": [str(root / "rules.yml")],
        "alerting": {"alertmanagers": [{"static_configs": [{"targets": [am_host]}]}]},
        "scrape_configs": [{"job_name": "demo", "static_configs": [
            {"targets": [f"127.0.0.1:{metrics_endpoint.port}"]}]}],
    }))
    port = free_port()
    command = [exe, f"--config.file={root / 'prometheus.yml'}",
               f"--storage.tsdb.path={root / 'data'}",
               f"--web.listen-address=127.0.0.1:{port}"]
    with run_server(command, f"http://127.0.0.1:{port}", root / "log.txt") as server:
        yield server


@pytest.fixture
def dead_url() -> str:
    """A loopback port nothing listens on: a source that is down."""
    return f"http://127.0.0.1:{free_port()}"

