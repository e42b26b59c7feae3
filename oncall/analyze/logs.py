"""Log evidence: error lines per service, reduced to templates, linked to traces.

Masking numbers, ids and hashes turns thousands of lines into the handful of distinct
errors a responder can read; the trace id on a line ties it to the failing request.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from oncall.model import LogLine

_MASKS = (
    (re.compile(r"\b[0-9a-f]{8}-(?:[0-9a-f]{4}-){3}[0-9a-f]{12}\b", re.I), "<uuid>"),
    (re.compile(r"\b(trace_?id|span_?id)[=:]\s*\S+", re.I), r"\1=<id>"),
    (re.compile(r"\b(?:TraceID|SpanID):\s*[0-9a-f]+", re.I), "<id>"),
    (re.compile(r"\b[0-9a-f]{12,}\b", re.I), "<hex>"),
    (re.compile(r"\b\d{1,3}(?:\.\d{1,3}){3}(?::\d+)?\b"), "<ip>"),
    (re.compile(r"^\S*\d{2}:\d{2}:\d{2}[.,]?\d*\s*"), ""),
    (re.compile(r"\d+(?:\.\d+)?"), "<n>"),
)
TEMPLATE_CHARS = 240  # long enough to keep the peer a message names near its end
ERROR_LEVELS = frozenset({"error", "err", "fatal", "critical", "crit", "panic", "emerg", "alert"})


MIN_BASELINE_SECONDS = 60.0  # a shorter stretch before the onset gives no usable rate
RECENT_GUARD_SECONDS = 120.0  # alerts lag the fault: lines this close before count as recent


@dataclass(slots=True)
class LogFindings:
    errors_recent: Counter[str] = field(default_factory=Counter)
    errors_before: Counter[str] = field(default_factory=Counter)
    templates: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    pods: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    trace_ids: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    before_seconds: float = 0.0  # how long the lines before the onset cover
    recent_seconds: float = 0.0

    def excess(self, service: str) -> float:
        """Error lines since the onset beyond what the service logged at its earlier rate.

        A service that logs the same error all the time (a known bad request, a noisy
        handler) explains nothing new; one whose error rate jumped does. Without a
        minute of lines before the onset there is no rate to compare with, and every
        recent line counts.
        """
        recent = self.errors_recent.get(service, 0)
        if self.before_seconds < MIN_BASELINE_SECONDS or not recent:
            return float(recent)
        rate = self.errors_before.get(service, 0) / self.before_seconds
        return max(0.0, recent - rate * max(self.recent_seconds, 1.0))


def template_of(line: str) -> str:
    text = line
    for pattern, repl in _MASKS:
        text = pattern.sub(repl, text)
    return " ".join(text.split())[:TEMPLATE_CHARS]


def analyze_logs(
    lines: list[LogLine], onset_ts: float, span_service: dict[str, str] | None = None
) -> LogFindings:
    """Counts error lines per service; a line without a service borrows its trace's."""
    found = LogFindings()
    span_service = span_service or {}
    split = onset_ts - RECENT_GUARD_SECONDS
    if lines:
        first = min(line.timestamp for line in lines)
        last = max(line.timestamp for line in lines)
        found.before_seconds = max(0.0, split - first)
        found.recent_seconds = max(0.0, last - max(split, first))
    for line in lines:
        if line.level not in ERROR_LEVELS:
            continue
        service = line.service or (span_service.get(line.trace_id) if line.trace_id else None)
        if not service:
            continue
        if line.timestamp < split:
            found.errors_before[service] += 1
            continue
        found.errors_recent[service] += 1
        found.templates[service][template_of(line.line)] += 1
        if line.pod:
            found.pods[service][line.pod] += 1
        if line.trace_id:
            found.trace_ids[service].add(line.trace_id)
    return found
