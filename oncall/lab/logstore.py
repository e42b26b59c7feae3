"""The lab's log store: the services' log files, answered as Loki's `query_range`.

The services append one JSON line per event to their own file (as a container writes
to stdout for a log shipper); this reads them back as Loki streams labelled with
`service`, `namespace`, `pod` and `level`, so oncall's ordinary Loki source reads the
lab's logs. Only what the lab's own configuration uses of LogQL is understood: a
stream selector of `label="value"` / `label=~"regex"` matchers and `|=` line filters;
anything else is refused with Loki's kind of error, not silently matched.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from oncall.lab.settings import NAMESPACE

_MATCHER = re.compile(r'\s*([A-Za-z_][A-Za-z0-9_]*)\s*(=~|!=|=)\s*"((?:[^"\\]|\\.)*)"\s*')
_FILTER = re.compile(r'\s*\|=\s*"((?:[^"\\]|\\.)*)"\s*')


class QueryError(ValueError):
    """A LogQL query this store does not understand."""


@dataclass(frozen=True, slots=True)
class Query:
    matchers: tuple[tuple[str, str, str], ...]  # (label, op, value)
    contains: tuple[str, ...]

    def selects(self, labels: dict[str, str]) -> bool:
        for label, op, value in self.matchers:
            have = labels.get(label, "")
            if op == "=" and have != value:
                return False
            if op == "!=" and have == value:
                return False
            if op == "=~" and re.fullmatch(value, have) is None:
                return False
        return True


def parse_query(text: str) -> Query:
    text = text.strip()
    if not text.startswith("{") or "}" not in text:
        raise QueryError("parse error: expected a stream selector such as {service=\"x\"}")
    inner, _, rest = text[1:].partition("}")
    matchers: list[tuple[str, str, str]] = []
    for part in filter(None, (p.strip() for p in _split(inner))):
        match = _MATCHER.fullmatch(part)
        if match is None:
            raise QueryError(f"parse error: unsupported matcher {part[:60]!r}")
        label, op, value = match.groups()
        if op == "=~":
            try:
                re.compile(value)
            except re.error as exc:
                raise QueryError(f"parse error: bad regex {value[:60]!r} ({exc})") from None
        matchers.append((label, op, value))
    if not matchers:
        raise QueryError("parse error: queries require at least one matcher")
    contains: list[str] = []
    while rest.strip():
        match = _FILTER.match(rest)
        if match is None:
            raise QueryError(f"parse error: unsupported pipeline {rest.strip()[:60]!r}")
        contains.append(match.group(1))
        rest = rest[match.end():]
    return Query(tuple(matchers), tuple(contains))


def _split(inner: str) -> list[str]:
    """Matchers split on commas outside quotes."""
    parts, current, quoted, escaped = [], "", False, False
    for ch in inner:
        if ch == "," and not quoted:
            parts.append(current)
            current = ""
            continue
        current += ch
        if escaped:
            escaped = False
        elif ch == "\\":
            escaped = True
        elif ch == '"':
            quoted = not quoted
    parts.append(current)
    return parts


class LogStore:
    """Reads `<dir>/<service>.log` files; one stream per service and level."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def path(self, service: str) -> Path:
        return self.directory / f"{service}.log"

    def query_range(self, query: str, start_ns: int, end_ns: int, limit: int,
                    backward: bool = True) -> dict[str, Any]:
        parsed = parse_query(query)
        entries: list[tuple[int, dict[str, str], str]] = []
        for file in sorted(self.directory.glob("*.log")):
            service = file.stem
            for ts, level, message in _read(file):
                labels = {"service": service, "namespace": NAMESPACE, "pod": f"{service}-0",
                          "level": level}
                if not start_ns <= ts <= end_ns or not parsed.selects(labels):
                    continue
                if all(c in message for c in parsed.contains):
                    entries.append((ts, labels, message))
        entries.sort(key=lambda e: e[0], reverse=backward)
        entries = entries[:max(0, limit)]
        streams: dict[tuple[tuple[str, str], ...], list[list[str]]] = {}
        for ts, labels, message in entries:
            streams.setdefault(tuple(sorted(labels.items())), []).append([str(ts), message])
        return {"status": "success", "data": {"resultType": "streams", "result": [
            {"stream": dict(key), "values": values} for key, values in streams.items()]}}


def _read(file: Path) -> list[tuple[int, str, str]]:
    out: list[tuple[int, str, str]] = []
    try:
        text = file.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return out
    for line in text.splitlines():
        try:
            doc = json.loads(line)
            out.append((int(float(doc["ts"]) * 1e9), str(doc["level"]), str(doc["msg"])))
        except (ValueError, KeyError, TypeError):
            continue  # a line being written right now
    return out
