"""Live Prometheus as the verification loop's metrics reader.

After a remediation runs, `oncall.remediate.verify_loop.verify_recovery` polls a
`MetricsReader` (service names -> fresh `MetricSeries`) until the recovery targets
hold. This reader answers each poll with one `query_range` per configured signal over
the last few minutes, through the same `PrometheusConnector` (and so the same queries,
renaming, retries and error reporting) that triage read its metrics with: the values
verification compares are computed exactly as the baseline they are compared to.

Plug it into the action loop as `ActOptions(reader=..., clock=time.time,
sleep=time.sleep)` or `session.Verifier(reader, ...)`; `oncall lab` does the latter.
A Prometheus that does not answer raises `SourceUnavailable`, which the loop records
as a poll that does not hold (silence is not health); a query Prometheus rejects
leaves its signal without data, which does not hold either.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from oncall.config import LiveConfig, load_config
from oncall.errors import InputError
from oncall.model import MetricSeries
from oncall.sources.live.base import Window
from oncall.sources.live.build import build_client, build_connector
from oncall.sources.live.http import Fetcher
from oncall.sources.live.prometheus import PrometheusConnector
from oncall.sources.metrics import parse_metrics

DEFAULT_LOOKBACK_SECONDS = 300.0


class PrometheusReader:
    """A `MetricsReader` over Prometheus `query_range`, newest `lookback_seconds` only.

    Only samples stamped after the action count as evidence (the loop filters on
    that), so the lookback just has to cover the time between polls; a short one
    keeps each poll cheap.
    """

    def __init__(self, connector: PrometheusConnector,
                 lookback_seconds: float = DEFAULT_LOOKBACK_SECONDS,
                 step_seconds: float | None = None,
                 clock: Callable[[], float] = time.time) -> None:
        if lookback_seconds <= 0:
            raise ValueError("lookback_seconds must be positive")
        self.connector = connector
        self.lookback_seconds = lookback_seconds
        self.step_seconds = step_seconds or connector.config.step_seconds or 15.0
        self.clock = clock
        self.problems: list[str] = []  # what the last poll could not fetch (one query)

    @classmethod
    def from_config(cls, config: LiveConfig | None = None, config_path: Path | None = None,
                    *, lookback_seconds: float = DEFAULT_LOOKBACK_SECONDS,
                    clock: Callable[[], float] = time.time) -> PrometheusReader:
        """From `oncall.yaml` (its `prometheus` source, with its own client), as
        `build_live_source` would read it; `InputError` when none is configured."""
        config = config or load_config(config_path)
        source = config.source("prometheus")
        if source is None:
            raise InputError(str(config.path or "environment"), "no prometheus source "
                             "configured: verification needs one", field="sources.prometheus")
        connector = build_connector(source, build_client(source))
        assert isinstance(connector, PrometheusConnector)
        return cls(connector, lookback_seconds,
                   source.step_seconds or config.step_seconds, clock)

    def __call__(self, services: list[str]) -> list[MetricSeries]:
        now = datetime.fromtimestamp(self.clock(), UTC)
        window = Window(start=now - timedelta(seconds=self.lookback_seconds), end=now,
                        changes_start=now, step_seconds=self.step_seconds)
        fetched = self.connector.fetch(window)
        self.problems = list(fetched.problems)
        wanted = set(services)
        return [s for s in parse_metrics(fetched.body, self.connector.label)
                if s.service in wanted]

    def close(self) -> None:
        fetcher = self.connector.fetcher
        if isinstance(fetcher, Fetcher):
            fetcher.client.close()

    def __enter__(self) -> PrometheusReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
