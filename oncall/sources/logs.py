"""Logs: Loki `GET /loki/api/v1/query_range` bodies (streams)."""

from __future__ import annotations

import json
import re
from typing import Any

from oncall.model import LogLine
from oncall.sources.fields import Fields

_TRACE_RE = re.compile(r"\btrace_?id[=:]\s*\"?([0-9a-fA-F]{16,32})")


def parse_logs(body: Any, path: str) -> list[LogLine]:
    f = Fields(path)
    obj = f.mapping(body, "")
    status = obj.get("status", "success")
    if status != "success":
        # Loki answers {"status": "error", "error": ...}; that is not an empty result.
        error = obj.get("error", "") if isinstance(obj.get("error"), str) else ""
        raise f.fail("status", f"Loki answered {str(status)[:40]!r}: {error[:200]}")
    data = f.get_mapping(obj, "data", "")
    result_type = data.get("resultType", "streams")
    if result_type != "streams":
        raise f.fail("data.resultType", f"expected 'streams', got {result_type!r}")
    out: list[LogLine] = []
    for i, raw in enumerate(f.get_list(data, "result", "data")):
        where = f"data.result[{i}]"
        stream = f.mapping(raw, where)
        labels = f.string_map(stream, "stream", where)
        service = labels.get("service") or labels.get("app") or labels.get("job") or None
        for j, pair in enumerate(f.get_list(stream, "values", where)):
            pw = f"{where}.values[{j}]"
            point = f.sequence(pair, pw)
            if len(point) < 2 or not isinstance(point[1], str):
                raise f.fail(pw, "expected [\"unix_nanoseconds\", \"line\"]")
            ts = f.integer(point[0], f"{pw}[0]") / 1e9
            line = point[1]
            out.append(
                LogLine(
                    timestamp=ts,
                    service=service,
                    pod=labels.get("pod") or None,
                    level=(labels.get("level") or _level_of(line)).lower(),
                    line=line,
                    trace_id=trace_id_of(line),
                )
            )
    out.sort(key=lambda ln: ln.timestamp)
    return out


def trace_id_of(line: str) -> str | None:
    """`trace_id=<hex>` in the text, or a `trace_id` field when the line is JSON."""
    if line.startswith("{"):
        try:
            doc = json.loads(line)
        except ValueError:
            doc = None
        if isinstance(doc, dict):
            for key in ("trace_id", "traceId", "traceID"):
                if doc.get(key):
                    return str(doc[key]).lower()
    match = _TRACE_RE.search(line)
    return match.group(1).lower() if match else None


def _level_of(line: str) -> str:
    upper = line[:200].upper()
    for level in ("ERROR", "FATAL", "WARN", "INFO", "DEBUG"):
        if level in upper:
            return "error" if level == "FATAL" else level
    return "info"
