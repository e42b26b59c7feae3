"""The lab's trace store: the services' span files, answered as Jaeger's query API.

The services append one JSON line per finished span to their own file (see
`demo.Tracer`), as an OpenTelemetry exporter ships spans to a collector; this reads them
back and answers the part of the Jaeger query service API (`jaeger-query`, the HTTP API
its UI uses) that oncall's Jaeger source and a person with curl use:

    GET /api/services                              {"data": [service, ...]}
    GET /api/services/{service}/operations         {"data": [operation, ...]}
    GET /api/operations?service=S[&spanKind=K]     {"data": [{"name", "spanKind"}]}
    GET /api/traces?service=S[&operation=O][&tags={"k":"v"}|&tag=k:v ...]
                   [&start=US&end=US | &lookback=1h][&minDuration=50ms][&maxDuration=2s]
                   [&limit=N]                      {"data": [trace, ...]}, newest first
    GET /api/traces?traceID=ID[&traceID=ID ...]    those traces
    GET /api/traces/{traceID}                      {"data": [trace]} or 404

A trace matches a search as in Jaeger: one of its spans is of the service (and the
operation), starts within [start, end] (microseconds; without `start`, `lookback`
before `end`, default 1h), lasts within the duration bounds, and carries every tag,
compared as text, among its own tags, its process's tags or its logs' fields. Whole
traces are answered (every service's spans), in Jaeger's JSON: spans with `references`
(`CHILD_OF` the parent span) and `processID`, and the trace's `processes`.

The files are read incrementally (each from where the last read stopped, a partial
last line left for the next read) and at most `max_traces` traces are kept, the oldest
dropped first, as Jaeger's in-memory storage does (`--memory.max-traces`).
"""

from __future__ import annotations

import heapq
import json
import re
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from oncall.lab.settings import NAMESPACE

DEFAULT_LIMIT = 100
MAX_LIMIT = 1500
DEFAULT_LOOKBACK_US = 3600 * 1_000_000
MAX_TRACES = 10_000
_DURATION = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)")
_UNIT_US = {"ns": 0.001, "us": 1.0, "µs": 1.0, "ms": 1e3, "s": 1e6, "m": 60e6, "h": 3600e6,
            "d": 86400e6}
_LOOKBACK = re.compile(r"(\d+(?:\.\d*)?)(s|m|h|d)")


class TraceQueryError(ValueError):
    """A search Jaeger would refuse (400); the message is Jaeger's kind of text."""


@dataclass(frozen=True, slots=True)
class StoredSpan:
    """One line of a span file."""

    trace_id: str
    span_id: str
    parent_id: str | None
    service: str
    operation: str
    kind: str
    start_us: int
    duration_us: int
    error: bool
    status_code: int | None = None
    pod: str = ""
    instance: str = ""
    version: str = ""
    peer: str | None = None
    attempt: int | None = None
    message: str | None = None

    @classmethod
    def from_line(cls, line: str) -> StoredSpan | None:
        """The span of one line, or None for a line that is not one (being written,
        damaged): a store skips what it cannot read, it does not stop answering."""
        try:
            doc = json.loads(line)
            if not isinstance(doc, dict):
                return None
            status = doc.get("status_code")
            attempt = doc.get("attempt")
            return cls(
                trace_id=_hex_id(doc["trace_id"], 32), span_id=_hex_id(doc["span_id"], 16),
                parent_id=_hex_id(doc["parent_id"], 16) if doc.get("parent_id") else None,
                service=str(doc["service"]), operation=str(doc.get("operation") or ""),
                kind=str(doc.get("kind") or "internal"), start_us=int(doc["start_us"]),
                duration_us=max(0, int(doc.get("duration_us") or 0)),
                error=doc.get("error") is True,
                status_code=int(status) if isinstance(status, int) else None,
                pod=str(doc.get("pod") or ""), instance=str(doc.get("instance") or ""),
                version=str(doc.get("version") or ""),
                peer=str(doc["peer"]) if doc.get("peer") else None,
                attempt=int(attempt) if isinstance(attempt, int) else None,
                message=str(doc["message"]) if doc.get("message") else None)
        except (ValueError, KeyError, TypeError):
            return None

    def tags(self) -> list[dict[str, Any]]:
        """Jaeger span tags, named as OpenTelemetry's HTTP instrumentation names them."""
        out = [_tag("span.kind", self.kind)]
        if self.peer:
            out.append(_tag("peer.service", self.peer))
        if self.status_code is not None:
            out.append(_tag("http.status_code", self.status_code))
        if self.attempt is not None and self.attempt > 1:
            out.append(_tag("http.request.resend_count", self.attempt - 1))
        if self.error:
            out.append(_tag("error", True))
            out.append(_tag("otel.status_code", "ERROR"))
        return out

    def process_tags(self) -> list[dict[str, Any]]:
        pairs = (("k8s.pod.name", self.pod), ("k8s.namespace.name", NAMESPACE),
                 ("service.version", self.version), ("service.instance.id", self.instance))
        return [_tag(key, value) for key, value in pairs if value]

    def logs(self) -> list[dict[str, Any]]:
        if not self.message:
            return []
        return [{"timestamp": self.start_us + self.duration_us, "fields": [
            _tag("event", "error" if self.error else "info"),
            _tag("message", self.message)]}]

    def tag_text(self) -> dict[str, str]:
        """Every tag, process tag and log field as text, for matching a search's tags."""
        out: dict[str, str] = {}
        for tag in [*self.process_tags(), *(f for log in self.logs() for f in log["fields"]),
                    *self.tags()]:
            out[tag["key"]] = _as_text(tag["value"])
        return out


@dataclass(slots=True)
class _Trace:
    spans: list[StoredSpan] = field(default_factory=list)
    start_us: int = 0
    services: set[str] = field(default_factory=set)

    def add(self, span: StoredSpan) -> None:
        self.start_us = span.start_us if not self.spans else min(self.start_us, span.start_us)
        self.spans.append(span)
        self.services.add(span.service)


@dataclass(frozen=True, slots=True)
class TraceQuery:
    """A search, as Jaeger's `GET /api/traces` takes it (times in microseconds)."""

    service: str
    start_us: int
    end_us: int
    limit: int = DEFAULT_LIMIT
    operation: str = ""
    tags: tuple[tuple[str, str], ...] = ()
    min_duration_us: int | None = None
    max_duration_us: int | None = None

    def selects(self, span: StoredSpan) -> bool:
        if span.service != self.service or not self.start_us <= span.start_us <= self.end_us:
            return False
        if self.operation and span.operation != self.operation:
            return False
        if self.min_duration_us is not None and span.duration_us < self.min_duration_us:
            return False
        if self.max_duration_us is not None and span.duration_us > self.max_duration_us:
            return False
        if self.tags:
            have = span.tag_text()
            return all(have.get(key) == value for key, value in self.tags)
        return True


def parse_search(params: dict[str, list[str]], now_us: int | None = None) -> TraceQuery:
    """A `GET /api/traces` query string (as `parse_qs` gives it); `TraceQueryError` with
    Jaeger's wording for what Jaeger refuses."""

    def one(name: str) -> str:
        values = params.get(name) or [""]
        return values[0].strip()

    service = one("service")
    if not service:
        raise TraceQueryError("parameter 'service' is required")
    end = _micros(one("end"), "end") if one("end") else (
        now_us if now_us is not None else int(time.time() * 1e6))
    if one("start"):
        start = _micros(one("start"), "start")
    else:
        start = end - (_lookback(one("lookback")) if one("lookback") else DEFAULT_LOOKBACK_US)
    limit = DEFAULT_LIMIT
    if one("limit"):
        try:
            limit = int(one("limit"))
        except ValueError:
            raise TraceQueryError(f"unable to parse param 'limit': {one('limit')!r} is "
                                  "not a number") from None
        if limit < 0:
            raise TraceQueryError("unable to parse param 'limit': must be non-negative")
    tags: dict[str, str] = {}
    for raw in params.get("tags", []):
        try:
            doc = json.loads(raw)
        except ValueError:
            raise TraceQueryError(f"malformed 'tags' parameter, expecting JSON: {raw[:80]!r}"
                                  ) from None
        if not isinstance(doc, dict):
            raise TraceQueryError("malformed 'tags' parameter, expecting a JSON object")
        tags.update({str(k): _as_text(v) for k, v in doc.items()})
    for raw in params.get("tag", []):
        key, sep, value = raw.partition(":")
        if not sep or not key:
            raise TraceQueryError(f"malformed 'tag' parameter, expecting key:value: "
                                  f"{raw[:80]!r}")
        tags[key] = value
    return TraceQuery(
        service=service, start_us=start, end_us=end,
        limit=min(limit or DEFAULT_LIMIT, MAX_LIMIT), operation=one("operation"),
        tags=tuple(sorted(tags.items())),
        min_duration_us=_duration(one("minDuration"), "minDuration"),
        max_duration_us=_duration(one("maxDuration"), "maxDuration"))


class TraceStore:
    """Reads `<dir>/*.jsonl` span files (one per service) as they grow."""

    def __init__(self, directory: Path, max_traces: int = MAX_TRACES) -> None:
        self.directory = directory
        self.max_traces = max_traces
        self.lock = threading.Lock()
        self.offsets: dict[Path, int] = {}
        self.traces: OrderedDict[str, _Trace] = OrderedDict()

    def path(self, service: str) -> Path:
        return self.directory / f"{service}.jsonl"

    # ---- reading --------------------------------------------------------------------

    def refresh(self) -> None:
        """Reads what was appended since the last call (whole lines only)."""
        with self.lock:
            for file in sorted(self.directory.glob("*.jsonl")):
                for line in self._new_lines(file):
                    span = StoredSpan.from_line(line)
                    if span is not None:
                        self._add(span)
            while len(self.traces) > self.max_traces:
                self.traces.popitem(last=False)

    def _new_lines(self, file: Path) -> list[str]:
        offset = self.offsets.get(file, 0)
        try:
            with file.open("rb") as fh:
                if fh.seek(0, 2) < offset:  # truncated or replaced: read it again
                    offset = 0
                fh.seek(offset)
                data = fh.read()
        except OSError:
            return []
        end = data.rfind(b"\n") + 1  # a line being written is read next time
        self.offsets[file] = offset + end
        return data[:end].decode("utf-8", errors="replace").splitlines()

    def _add(self, span: StoredSpan) -> None:
        trace = self.traces.get(span.trace_id)
        if trace is None:
            trace = self.traces[span.trace_id] = _Trace()
        trace.add(span)

    # ---- the API ----------------------------------------------------------------------

    def services(self) -> list[str]:
        self.refresh()
        with self.lock:
            return sorted({s for t in self.traces.values() for s in t.services})

    def operations(self, service: str, kind: str = "") -> list[dict[str, str]]:
        self.refresh()
        with self.lock:
            found = {(s.operation, s.kind) for t in self.traces.values() if service in t.services
                     for s in t.spans if s.service == service and (not kind or s.kind == kind)}
        return [{"name": name, "spanKind": span_kind} for name, span_kind in sorted(found)]

    def search(self, query: TraceQuery) -> list[dict[str, Any]]:
        """Jaeger traces matching `query`, newest first, at most `query.limit`."""
        self.refresh()
        with self.lock:
            found = [t for t in self.traces.values()
                     if query.service in t.services and any(query.selects(s) for s in t.spans)]
            newest = heapq.nlargest(query.limit, found, key=lambda t: t.start_us)
            return [_jaeger_trace(t) for t in newest]

    def traces_by_id(self, trace_ids: list[str]) -> list[dict[str, Any]]:
        self.refresh()
        with self.lock:
            found = [self.traces.get(_normal_id(t)) for t in trace_ids]
            return [_jaeger_trace(t) for t in found if t is not None]


def jaeger_body(data: list[Any] | None, errors: list[dict[str, Any]] | None = None
                ) -> dict[str, Any]:
    """Jaeger's response envelope (`structuredResponse`)."""
    return {"data": data, "total": len(data or []), "limit": 0, "offset": 0,
            "errors": errors}


def jaeger_error(code: int, message: str) -> dict[str, Any]:
    return jaeger_body(None, [{"code": code, "msg": message}])


def _jaeger_trace(trace: _Trace) -> dict[str, Any]:
    processes: dict[str, dict[str, Any]] = {}
    ids: dict[tuple[str, ...], str] = {}
    spans: list[dict[str, Any]] = []
    for span in sorted(trace.spans, key=lambda s: (s.start_us, s.span_id)):
        tags = span.process_tags()
        key = (span.service, *(f"{t['key']}={t['value']}" for t in tags))
        pid = ids.get(key)
        if pid is None:
            pid = ids[key] = f"p{len(ids) + 1}"
            processes[pid] = {"serviceName": span.service, "tags": tags}
        spans.append({
            "traceID": span.trace_id, "spanID": span.span_id, "flags": 1,
            "operationName": span.operation,
            "references": [{"refType": "CHILD_OF", "traceID": span.trace_id,
                            "spanID": span.parent_id}] if span.parent_id else [],
            "startTime": span.start_us, "duration": span.duration_us,
            "tags": span.tags(), "logs": span.logs(), "processID": pid, "warnings": None,
        })
    return {"traceID": trace.spans[0].trace_id, "spans": spans, "processes": processes,
            "warnings": None}


def _tag(key: str, value: str | int | bool) -> dict[str, Any]:
    kind = ("bool" if isinstance(value, bool) else "int64" if isinstance(value, int)
            else "string")
    return {"key": key, "type": kind, "value": value}


def _as_text(value: Any) -> str:
    """A tag value as Jaeger compares it (`AsString`): booleans as true/false."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _hex_id(raw: Any, width: int) -> str:
    text = str(raw).lower()
    if not text or len(text) > width or any(c not in "0123456789abcdef" for c in text):
        raise ValueError(f"not a hex id: {text[:40]!r}")
    return text.rjust(width, "0")


def _normal_id(raw: str) -> str:
    """Jaeger accepts ids with or without leading zeros."""
    text = raw.strip().lower()
    return text.rjust(32, "0") if len(text) <= 32 else text


def _micros(text: str, name: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise TraceQueryError(f"unable to parse param '{name}': {text[:40]!r} is not a "
                              "number of microseconds") from None


def _duration(text: str, name: str) -> int | None:
    """A Go duration (`50ms`, `1.5s`, `1m30s`) in microseconds."""
    if not text:
        return None
    pos, total = 0, 0.0
    for match in _DURATION.finditer(text):
        if match.start() != pos:
            break
        total += float(match.group(1)) * _UNIT_US[match.group(2)]
        pos = match.end()
    if pos != len(text) or pos == 0:
        raise TraceQueryError(f"unable to parse param '{name}': time: invalid duration "
                              f"{text[:40]!r}")
    return int(total)


def _lookback(text: str) -> int:
    """The UI's `lookback` (`1h`, `15m`, `2d`) in microseconds."""
    match = _LOOKBACK.fullmatch(text)
    if match is None:
        raise TraceQueryError(f"unable to parse param 'lookback': {text[:40]!r} (expected "
                              "e.g. 15m, 1h or 2d)")
    return int(float(match.group(1)) * _UNIT_US[match.group(2)])
