"""Loki `GET /loki/api/v1/query_range`: configured LogQL selectors, merged streams.

The body keeps Loki's own shape (`logs.json`). Lines are asked for newest first
(`direction=backward`) so a line limit keeps the minutes closest to the page.
"""

from __future__ import annotations

from typing import Any

from oncall.sources.live.base import Fetched, Window
from oncall.sources.live.http import HttpConnector, QueryRejected


class LokiConnector(HttpConnector):
    kind = "loki"
    part = "logs"

    def fetch(self, window: Window) -> Fetched:
        start_ns = int(window.start.timestamp()) * 1_000_000_000
        end_ns = int(window.end.timestamp()) * 1_000_000_000
        streams: list[Any] = []
        problems: list[str] = []
        for query in self.config.log_queries:
            params = {"query": query, "start": str(start_ns), "end": str(end_ns),
                      "limit": str(self.config.limit or 5000), "direction": "backward"}
            try:
                body = self.fetcher.get_json("/loki/api/v1/query_range", params=params)
            except QueryRejected as exc:
                problems.append(f"query {query[:60]}: {exc.reason}")
                continue
            data = body.get("data") if isinstance(body, dict) else None
            if not isinstance(data, dict) or data.get("resultType") != "streams":
                problems.append(f"query {query[:60]}: not a log stream query (a metric "
                                "query answers a matrix)")
                continue
            result = data.get("result")
            streams.extend(result if isinstance(result, list) else [])
        if problems and len(problems) == len(self.config.log_queries):
            raise self.fetcher.unavailable("; ".join(problems))
        return Fetched({"status": "success",
                        "data": {"resultType": "streams", "result": streams}}, problems)

    def probe(self) -> str:
        info = self.fetcher.get_json("/loki/api/v1/status/buildinfo")
        version = info.get("version", "") if isinstance(info, dict) else ""
        return f"Loki {version or 'unknown version'}"
