"""Traces: the Jaeger query API (`GET /api/traces`) or Grafana Tempo (search, then by id).

Jaeger answers whole traces per service, so its bodies merge into one Jaeger body
(`{"data": [...]}`, de-duplicated by trace id). Tempo's search answers only trace ids;
each trace is then fetched as OTLP JSON (`batches` in Tempo's v1 API, `resourceSpans`
or `trace.resourceSpans` in later ones) and merged into one OTLP body. Both are
formats `traces.json` accepts, so the parser in `oncall.sources.traces` reads either.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

from oncall.sources.live.base import Fetched, Window
from oncall.sources.live.http import HttpConnector, QueryRejected


class JaegerConnector(HttpConnector):
    kind = "jaeger"
    part = "traces"

    def fetch(self, window: Window) -> Fetched:
        params: dict[str, Any] = {
            "start": str(int(window.start.timestamp() * 1_000_000)),
            "end": str(int(window.end.timestamp() * 1_000_000)),
            "limit": str(self.config.limit or 50),
        }
        if self.config.tags:
            params["tags"] = json.dumps(self.config.tags, sort_keys=True)
        traces: dict[str, Any] = {}
        problems: list[str] = []
        for service in self.config.services:
            try:
                body = self.fetcher.get_json("/api/traces", params={**params,
                                                                    "service": service})
            except QueryRejected as exc:
                problems.append(f"service {service}: {exc.reason}")
                continue
            data = body.get("data") if isinstance(body, dict) else None
            if not isinstance(data, list):
                problems.append(f"service {service}: answer has no 'data' list")
                continue
            for trace in data:
                key = trace.get("traceID") if isinstance(trace, dict) else None
                traces.setdefault(str(key) if key else f"#{len(traces)}", trace)
        if problems and len(problems) == len(self.config.services):
            raise self.fetcher.unavailable("; ".join(problems))
        return Fetched({"data": list(traces.values())}, problems)

    def probe(self) -> str:
        body = self.fetcher.get_json("/api/services")
        known = body.get("data") if isinstance(body, dict) else None
        known = [str(s) for s in known] if isinstance(known, list) else []
        absent = [s for s in self.config.services if s not in known]
        note = f"; not seen by Jaeger: {', '.join(absent)}" if absent else ""
        return f"Jaeger, {len(known)} service(s){note}"


class TempoConnector(HttpConnector):
    kind = "tempo"
    part = "traces"

    def fetch(self, window: Window) -> Fetched:
        params = {"q": self.config.traceql, "limit": str(self.config.limit or 20),
                  "start": str(int(window.start.timestamp())),
                  "end": str(int(window.end.timestamp()) + 1)}
        found = self.fetcher.get_json("/api/search", params=params)
        items = found.get("traces") if isinstance(found, dict) else None
        if not isinstance(items, list):
            raise self.fetcher.unavailable("/api/search answer has no 'traces' list")
        resource_spans: list[Any] = []
        problems: list[str] = []
        for item in items:
            trace_id = item.get("traceID") if isinstance(item, dict) else None
            if not isinstance(trace_id, str) or not trace_id.isalnum():
                continue
            try:
                body = self.fetcher.get_json(f"/api/traces/{quote(trace_id)}",
                                             headers={"Accept": "application/json"})
            except QueryRejected as exc:  # e.g. not flushed yet: 404
                problems.append(f"trace {trace_id}: {exc.reason}")
                continue
            resource_spans.extend(_resource_spans(body))
        return Fetched({"resourceSpans": resource_spans}, problems)

    def probe(self) -> str:
        info = self.fetcher.get_json("/api/status/buildinfo")
        version = info.get("version", "") if isinstance(info, dict) else ""
        return f"Tempo {version or 'unknown version'}"


def _resource_spans(body: Any) -> list[Any]:
    if not isinstance(body, dict):
        return []
    if isinstance(body.get("trace"), dict):
        body = body["trace"]
    for key in ("batches", "resourceSpans"):
        value = body.get(key)
        if isinstance(value, list):
            return value
    return []
