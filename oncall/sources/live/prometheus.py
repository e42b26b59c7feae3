"""Prometheus `GET /api/v1/query_range`: one configured query per signal.

Real metric names differ from team to team, so the config maps each PromQL query to a
signal name the analysis knows (`latency_p95_seconds`, `error_ratio`, ...): the series
it returns are renamed to that signal and merged into one `query_range` body, which is
exactly what `metrics.json` holds. A query Prometheus rejects is reported and the
others are kept; a Prometheus that does not answer at all makes the part missing.
"""

from __future__ import annotations

from typing import Any

from oncall.sources.live.base import Fetched, Window
from oncall.sources.live.http import HttpConnector, QueryRejected

MAX_POINTS = 11_000  # Prometheus refuses more points per series in one query_range


class PrometheusConnector(HttpConnector):
    kind = "prometheus"
    part = "metrics"

    def fetch(self, window: Window) -> Fetched:
        start, end = window.start.timestamp(), window.end.timestamp()
        step = self.config.step_seconds or window.step_seconds
        step = max(step, (end - start) / MAX_POINTS)
        result: list[Any] = []
        problems: list[str] = []
        for query in self.config.queries:
            params = {"query": query.query, "start": f"{start:.3f}", "end": f"{end:.3f}",
                      "step": f"{step:g}"}
            try:
                body = self.fetcher.get_json("/api/v1/query_range", params=params)
            except QueryRejected as exc:
                problems.append(f"query {query.signal}: {exc.reason}")
                continue
            series = _matrix(body)
            if series is None:
                problems.append(f"query {query.signal}: not a matrix query_range answer")
                continue
            for item in series:
                result.append(_renamed(item, query.signal, query.service_label))
        if problems and len(problems) == len(self.config.queries):
            raise self.fetcher.unavailable("; ".join(problems))
        return Fetched({"status": "success",
                        "data": {"resultType": "matrix", "result": result}}, problems)

    def probe(self) -> str:
        """The version, then each query as an instant query: a typo in PromQL shows
        here rather than as a missing signal during a page."""
        info = self.fetcher.get_json("/api/v1/status/buildinfo")
        data = info.get("data") if isinstance(info, dict) else None
        version = data.get("version", "") if isinstance(data, dict) else ""
        counts = []
        for query in self.config.queries:
            try:
                body = self.fetcher.get_json("/api/v1/query", params={"query": query.query})
            except QueryRejected as exc:
                raise self.fetcher.unavailable(
                    f"query {query.signal}: {exc.reason}") from None
            data = body.get("data") if isinstance(body, dict) else None
            found = data.get("result") if isinstance(data, dict) else None
            counts.append(f"{query.signal} {len(found) if isinstance(found, list) else 0}")
        return f"Prometheus {version or 'unknown version'}; series now: {', '.join(counts)}"


def _matrix(body: Any) -> list[Any] | None:
    if not isinstance(body, dict) or body.get("status") != "success":
        return None
    data = body.get("data")
    if not isinstance(data, dict) or data.get("resultType") != "matrix":
        return None
    result = data.get("result")
    return result if isinstance(result, list) else None


def _renamed(item: Any, signal: str, service_label: str) -> Any:
    """The series under the signal's name, with `service` taken from the configured
    label when the query's labels call it something else (`job`, `app`)."""
    if not isinstance(item, dict) or not isinstance(item.get("metric"), dict):
        return item  # the parser names the malformed place
    metric = dict(item["metric"])
    metric["__name__"] = signal
    if "service" not in metric and metric.get(service_label):
        metric["service"] = metric[service_label]
    return {**item, "metric": metric}

