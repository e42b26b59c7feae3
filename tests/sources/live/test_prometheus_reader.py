"""`PrometheusReader` against the real Prometheus fixture: the verification loop's live seam.

The series here (`reader_*{service="refunds"}`) are this module's own, so the values
other tests read from the shared endpoint never move.
"""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import pytest
import yaml

from oncall.config import LiveConfig, PromQuery, SourceConfig, load_config
from oncall.errors import InputError, SourceUnavailable
from oncall.remediate.verify_loop import Target, verify_recovery
from oncall.sources.live.http import Fetcher
from oncall.sources.live.prometheus import PrometheusConnector
from oncall.sources.live.reader import PrometheusReader
from tests.sources.live.servers import MetricsEndpoint, Server, wait_for

ERRORS = 'reader_error_ratio{service="refunds"}'
LATENCY = 'reader_latency_p95_seconds{service="refunds"}'
OTHER = 'reader_error_ratio{service="ledger"}'
QUERIES = (PromQuery("error_ratio", "reader_error_ratio"),
           PromQuery("latency_p95_seconds", "reader_latency_p95_seconds"))


def _reader(url: str, queries: tuple[PromQuery, ...] = QUERIES, retries: int = 0,
            lookback: float = 30.0) -> PrometheusReader:
    config = SourceConfig(kind="prometheus", url=url, origin="t", where="sources.prometheus",
                          queries=queries, step_seconds=1.0)
    fetcher = Fetcher(httpx.Client(base_url=url, timeout=5), "prometheus", retries=retries,
                      sleep=lambda _s: None)
    return PrometheusReader(PrometheusConnector(fetcher, config), lookback_seconds=lookback)


@pytest.fixture
def refunds(metrics_endpoint: MetricsEndpoint, prometheus: Server) -> MetricsEndpoint:
    metrics_endpoint.set(ERRORS, 0.3)
    metrics_endpoint.set(LATENCY, 0.9)
    metrics_endpoint.set(OTHER, 0.5)
    reader = _reader(prometheus.url)
    wait_for(lambda: _latest(reader, "error_ratio") == 0.3, timeout=20,
             what="Prometheus to scrape the reader series")
    reader.close()
    return metrics_endpoint


def _latest(reader: PrometheusReader, signal: str) -> float | None:
    for series in reader(["refunds"]):
        if series.name == signal and series.samples:
            return series.samples[-1][1]
    return None


def test_the_reader_returns_fresh_renamed_series_for_the_asked_services_only(
        refunds: MetricsEndpoint, prometheus: Server) -> None:
    with _reader(prometheus.url) as reader:
        series = reader(["refunds"])
        assert {s.name for s in series} == {"error_ratio", "latency_p95_seconds"}
        assert {s.service for s in series} == {"refunds"}
        newest = max(t for s in series for t, _ in s.samples)
        assert time.time() - newest < 10  # query_range up to now, 1 s steps
        errors = next(s for s in series if s.name == "error_ratio")
        assert errors.samples[-1][1] == 0.3
        assert {s.service for s in reader(["refunds", "ledger"])} == {"refunds", "ledger"}
        assert reader(["nobody"]) == []


def test_verification_over_live_prometheus_fails_while_bad_and_recovers_when_fixed(
        refunds: MetricsEndpoint, prometheus: Server) -> None:
    targets = [Target("refunds", "error_ratio", 0.05), Target("refunds", "latency_p95_seconds",
                                                                 0.5)]
    with _reader(prometheus.url) as reader:
        bad = verify_recovery(targets, reader, since=time.time(), timeout_seconds=3,
                              interval_seconds=1, consecutive=2)
        assert not bad.recovered
        assert "still over target" in bad.reason and "refunds/error_ratio 0.3" in bad.reason
        refunds.set(ERRORS, 0.0)
        refunds.set(LATENCY, 0.1)
        fixed_at = time.time()
        good = verify_recovery(targets, reader, since=fixed_at, timeout_seconds=30,
                               interval_seconds=1, consecutive=3)
    assert good.recovered, good.reason
    assert good.polls[-1].values == {"refunds/error_ratio": 0.0,
                                     "refunds/latency_p95_seconds": 0.1}
    refunds.set(ERRORS, 0.3)
    refunds.set(LATENCY, 0.9)


def test_a_prometheus_that_is_down_is_a_poll_that_does_not_hold(dead_url: str) -> None:
    reader = _reader(dead_url)
    with pytest.raises(SourceUnavailable):
        reader(["refunds"])
    outcome = verify_recovery([Target("refunds", "error_ratio", 0.05)], reader,
                              since=time.time(), timeout_seconds=1, interval_seconds=1,
                              consecutive=1, sleep=lambda _s: None)
    assert not outcome.recovered
    assert "metrics unavailable" in outcome.reason and "connection refused" in outcome.reason


def test_a_rejected_query_leaves_its_signal_without_data(refunds: MetricsEndpoint,
                                                         prometheus: Server) -> None:
    queries = (PromQuery("error_ratio", "reader_error_ratio"),
               PromQuery("latency_p95_seconds", "rate(reader_latency_p95_seconds["))
    with _reader(prometheus.url, queries) as reader:
        series = reader(["refunds"])
        assert {s.name for s in series} == {"error_ratio"}
        assert reader.problems and "latency_p95_seconds" in reader.problems[0]
        outcome = verify_recovery([Target("refunds", "latency_p95_seconds", 5.0)], reader,
                                  since=time.time() - 5, timeout_seconds=1,
                                  interval_seconds=1, consecutive=1)
    assert not outcome.recovered and "no fresh data" in outcome.reason


def test_from_config_reads_the_prometheus_source_of_oncall_yaml(
        tmp_path: Path, refunds: MetricsEndpoint, prometheus: Server,
        alertmanager: Server) -> None:
    path = tmp_path / "oncall.yaml"
    path.write_text(yaml.safe_dump({"step_seconds": 1, "sources": {
        "alertmanager": {"url": alertmanager.url},
        "prometheus": {"url": prometheus.url, "queries": [
            {"signal": "error_ratio", "query": "reader_error_ratio"}]}}}))
    with PrometheusReader.from_config(config_path=path, lookback_seconds=20) as reader:
        assert reader.step_seconds == 1
        assert [s.name for s in reader(["refunds"])] == ["error_ratio"]
    with pytest.raises(InputError, match="no prometheus source"):
        PrometheusReader.from_config(LiveConfig(path=None, sources=(
            load_config(path).sources[0],)))
    with pytest.raises(ValueError, match="lookback"):
        _reader(prometheus.url, lookback=0)
