"""Traces: Jaeger query API bodies and OTLP/JSON (OpenTelemetry Collector file exporter)."""

from __future__ import annotations

import base64
from typing import Any

from oncall.model import Span
from oncall.sources.fields import Fields

_POD_KEYS = ("k8s.pod.name", "hostname", "host.name")


def parse_traces(body: Any, path: str) -> list[Span]:
    f = Fields(path)
    obj = f.mapping(body, "")
    if "resourceSpans" in obj:
        return _parse_otlp(f, obj)
    spans: list[Span] = []
    for ti, raw_trace in enumerate(f.get_list(obj, "data", "")):
        where = f"data[{ti}]"
        trace = f.mapping(raw_trace, where)
        processes = _jaeger_processes(f, trace, where)
        for si, raw_span in enumerate(f.get_list(trace, "spans", where)):
            spans.append(_jaeger_span(f, raw_span, f"{where}.spans[{si}]", processes))
    return spans


def _tags(f: Fields, items: list[Any], where: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for i, raw in enumerate(items):
        tag = f.mapping(raw, f"{where}[{i}]")
        key = tag.get("key")
        if isinstance(key, str):
            out[key] = tag.get("value")
    return out


def _jaeger_processes(f: Fields, trace: dict[str, Any], where: str) -> dict[str, tuple[str, dict]]:
    out: dict[str, tuple[str, dict]] = {}
    for pid, raw in f.get_mapping(trace, "processes", where).items():
        pw = f"{where}.processes.{pid}"
        proc = f.mapping(raw, pw)
        out[pid] = (
            f.text(proc, "serviceName", pw),
            _tags(f, f.get_list(proc, "tags", pw), f"{pw}.tags"),
        )
    return out


def _jaeger_span(f: Fields, raw: Any, where: str, processes: dict[str, tuple[str, dict]]) -> Span:
    obj = f.mapping(raw, where)
    tags = _tags(f, f.get_list(obj, "tags", where), f"{where}.tags")
    parent = None
    for ri, ref in enumerate(f.get_list(obj, "references", where)):
        r = f.mapping(ref, f"{where}.references[{ri}]")
        if r.get("refType", "CHILD_OF") == "CHILD_OF" or parent is None:
            parent = str(r.get("spanID") or "") or None
    pid = obj.get("processID")
    service, ptags = processes.get(str(pid), ("", {}))
    if not service:
        # Jaeger can embed the process in the span itself.
        proc = obj.get("process")
        if isinstance(proc, dict):
            service = str(proc.get("serviceName") or "")
            ptags = _tags(f, f.get_list(proc, "tags", f"{where}.process"), f"{where}.process")
    if not service:
        raise f.fail(f"{where}.processID", f"unknown process {pid!r}")
    messages: list[str] = []
    for li, log in enumerate(f.get_list(obj, "logs", where)):
        entry = f.mapping(log, f"{where}.logs[{li}]")
        fields = _tags(f, f.get_list(entry, "fields", f"{where}.logs[{li}]"), f"{where}.logs")
        for key in ("message", "error.message", "event", "exception.message"):
            if fields.get(key):
                messages.append(str(fields[key]))
                break
    status = _int_tag(tags.get("http.status_code") or tags.get("http.response.status_code"))
    return Span(
        trace_id=f.text(obj, "traceID", where),
        span_id=f.text(obj, "spanID", where),
        parent_id=parent,
        service=service,
        operation=f.text(obj, "operationName", where, required=False),
        start_us=f.integer(obj.get("startTime"), f"{where}.startTime"),
        duration_us=_duration(f, obj.get("duration", 0), f"{where}.duration"),
        error=_failed(tags, status),
        pod=_first(ptags, _POD_KEYS) or _first(tags, _POD_KEYS),
        version=_first(ptags, ("service.version",)) or _first(tags, ("service.version",)),
        status_code=status,
        messages=tuple(messages),
        kind=_span_kind(tags.get("span.kind")),
        peer=_first(tags, _PEER_KEYS),
    )


_PEER_KEYS = ("peer.service",)
_OTLP_KINDS = {1: "internal", 2: "server", 3: "client", 4: "producer", 5: "consumer"}


def _span_kind(raw: Any) -> str | None:
    """`span.kind` (Jaeger tag) or OTLP's `kind` (enum number or SPAN_KIND_* name)."""
    if isinstance(raw, int) and not isinstance(raw, bool):
        return _OTLP_KINDS.get(raw)
    text = str(raw or "").lower().removeprefix("span_kind_")
    return text if text in _OTLP_KINDS.values() else None


def _duration(f: Fields, raw: Any, where: str) -> int:
    """Jaeger stores durations unsigned; a negative one is a broken exporter, and it
    would feed negative self-times into the latency analysis."""
    value = f.integer(raw, where)
    if value < 0:
        raise f.fail(where, f"must not be negative, got {value}")
    return value


def _failed(tags: dict[str, Any], status: int | None) -> bool:
    err = tags.get("error")
    if err is True or (isinstance(err, str) and err.lower() == "true"):
        return True
    if str(tags.get("otel.status_code", "")).upper() == "ERROR":
        return True
    return status is not None and status >= 500


def _int_tag(value: Any) -> int | None:
    try:
        return int(value) if value is not None and not isinstance(value, bool) else None
    except (TypeError, ValueError):
        return None


def _first(tags: dict[str, Any], keys: tuple[str, ...]) -> str | None:
    for key in keys:
        if tags.get(key):
            return str(tags[key])
    return None


# ---- OTLP/JSON ---------------------------------------------------------------


def _otlp_attrs(f: Fields, items: list[Any], where: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for i, raw in enumerate(items):
        attr = f.mapping(raw, f"{where}[{i}]")
        value = attr.get("value")
        if isinstance(value, dict) and value:
            out[str(attr.get("key"))] = next(iter(value.values()))
    return out


def _otlp_id(raw: Any) -> str:
    """OTLP/JSON ids are hex; protobuf-JSON writers sometimes emit base64."""
    text = str(raw or "")
    if text and all(c in "0123456789abcdefABCDEF" for c in text):
        return text.lower()
    try:
        return base64.b64decode(text).hex()
    except (ValueError, TypeError):
        return text


def _parse_otlp(f: Fields, obj: dict[str, Any]) -> list[Span]:
    spans: list[Span] = []
    for ri, raw_rs in enumerate(f.get_list(obj, "resourceSpans", "")):
        rw = f"resourceSpans[{ri}]"
        rs = f.mapping(raw_rs, rw)
        resource = f.get_mapping(rs, "resource", rw)
        rattrs = _otlp_attrs(f, f.get_list(resource, "attributes", f"{rw}.resource"), rw)
        service = str(rattrs.get("service.name") or "")
        if not service:
            raise f.fail(f"{rw}.resource.attributes", "service.name is required")
        scope_key = "scopeSpans" if "scopeSpans" in rs else "instrumentationLibrarySpans"
        for si, raw_ss in enumerate(f.get_list(rs, scope_key, rw)):
            sw = f"{rw}.{scope_key}[{si}]"
            for pi, raw_span in enumerate(f.get_list(f.mapping(raw_ss, sw), "spans", sw)):
                spans.append(_otlp_span(f, raw_span, f"{sw}.spans[{pi}]", service, rattrs))
    return spans


def _otlp_span(f: Fields, raw: Any, where: str, service: str, rattrs: dict[str, Any]) -> Span:
    obj = f.mapping(raw, where)
    attrs = _otlp_attrs(f, f.get_list(obj, "attributes", where), f"{where}.attributes")
    start_ns = f.integer(obj.get("startTimeUnixNano"), f"{where}.startTimeUnixNano")
    end_ns = f.integer(obj.get("endTimeUnixNano", start_ns), f"{where}.endTimeUnixNano")
    status = obj.get("status") if isinstance(obj.get("status"), dict) else {}
    code = status.get("code") if isinstance(status, dict) else None
    http_status = _int_tag(attrs.get("http.status_code") or attrs.get("http.response.status_code"))
    failed = code in (2, "STATUS_CODE_ERROR", "ERROR") or _failed(attrs, http_status)
    messages: list[str] = []
    if isinstance(status, dict) and status.get("message"):
        messages.append(str(status["message"]))
    for ei, raw_ev in enumerate(f.get_list(obj, "events", where)):
        ev = f.mapping(raw_ev, f"{where}.events[{ei}]")
        eattrs = _otlp_attrs(f, f.get_list(ev, "attributes", f"{where}.events"), where)
        if eattrs.get("exception.message"):
            messages.append(str(eattrs["exception.message"]))
    parent = _otlp_id(obj.get("parentSpanId")) or None
    return Span(
        trace_id=_otlp_id(obj.get("traceId")),
        span_id=_otlp_id(obj.get("spanId")),
        parent_id=parent,
        service=service,
        operation=str(obj.get("name") or ""),
        start_us=start_ns // 1000,
        duration_us=max(0, (end_ns - start_ns) // 1000),
        error=failed,
        pod=_first(rattrs, _POD_KEYS),
        version=_first(rattrs, ("service.version",)),
        status_code=http_status,
        messages=tuple(messages),
        kind=_span_kind(obj.get("kind")),
        peer=_first(attrs, _PEER_KEYS),
    )
