"""Trace evidence: where failures originate and where time is spent.

A failed request shows errors on every span up its call chain; the cause is the deepest
failing span whose own children all succeeded. Latency is attributed through self-time
(a span's duration minus the time covered by its children), compared between a
baseline before the incident and the time since.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field

from oncall.model import Span


@dataclass(slots=True)
class TraceFindings:
    traces: int = 0
    failed_traces: int = 0
    origins: Counter[str] = field(default_factory=Counter)
    origin_pods: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    origin_operations: dict[str, Counter[str]] = field(
        default_factory=lambda: defaultdict(Counter))
    origin_messages: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    caller_messages: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    self_before: dict[str, list[int]] = field(default_factory=lambda: defaultdict(list))
    self_after: dict[str, list[int]] = field(default_factory=lambda: defaultdict(list))
    self_after_pods: dict[str, dict[str, list[int]]] = field(
        default_factory=lambda: defaultdict(lambda: defaultdict(list)))
    net_before: dict[str, list[int]] = field(default_factory=lambda: defaultdict(list))
    net_after: dict[str, list[int]] = field(default_factory=lambda: defaultdict(list))
    versions_failing: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    versions_total: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))

    def latency_shift(self, service: str) -> tuple[float, float] | None:
        """(baseline, recent) median self-time in milliseconds, when both exist."""
        return _shift(self.self_before.get(service), self.self_after.get(service))

    def network_shift(self, service: str) -> tuple[float, float] | None:
        """(baseline, recent) median gap on calls into and out of the service, in ms.

        The gap is the part of a client span not covered by the server span it
        wraps: time on the wire and in queues. A slow network path on one pod
        raises it on every edge that touches that service.
        """
        return _shift(self.net_before.get(service), self.net_after.get(service))


def _shift(before: list[int] | None, after: list[int] | None) -> tuple[float, float] | None:
    if not before or not after or len(after) < 3:
        return None
    return _median(before) / 1000.0, _median(after) / 1000.0


def analyze_traces(spans: list[Span], onset_us: int) -> TraceFindings:
    found = TraceFindings()
    by_trace: dict[str, list[Span]] = defaultdict(list)
    for span in spans:
        by_trace[span.trace_id].append(span)
    found.traces = len(by_trace)
    for trace_spans in by_trace.values():
        _one_trace(trace_spans, onset_us, found)
    return found


def _one_trace(trace_spans: list[Span], onset_us: int, found: TraceFindings) -> None:
    children: dict[str, list[Span]] = defaultdict(list)
    ids = {s.span_id for s in trace_spans}
    for span in trace_spans:
        if span.parent_id and span.parent_id in ids:
            children[span.parent_id].append(span)
    failed = [s for s in trace_spans if s.error]
    if failed:
        found.failed_traces += 1
        origin_services: set[str] = set()
        for span in failed:
            if any(child.error for child in children.get(span.span_id, ())):
                continue
            if span.service in origin_services:
                continue
            origin_services.add(span.service)
            found.origins[span.service] += 1
            if span.pod:
                found.origin_pods[span.service][span.pod] += 1
            found.origin_operations[span.service][span.operation] += 1
            for message in span.messages[:1]:
                found.origin_messages[span.service][message[:200]] += 1
        for span in failed:
            for message in span.messages[:1]:
                found.caller_messages[span.service][message[:200]] += 1
    for span in trace_spans:
        if span.version:
            found.versions_total[span.service][span.version] += 1
            if span.error:
                found.versions_failing[span.service][span.version] += 1
        kids = children.get(span.span_id, ())
        self_time = _self_time(span, kids)
        callees = {k.service for k in kids}
        if len(callees) == 1 and span.service not in callees:
            (callee,) = callees
            bucket = found.net_before if span.start_us < onset_us else found.net_after
            bucket[callee].append(self_time)
            bucket[span.service].append(self_time)
            continue
        if span.start_us < onset_us:
            found.self_before[span.service].append(self_time)
        else:
            found.self_after[span.service].append(self_time)
            if span.pod:
                found.self_after_pods[span.service][span.pod].append(self_time)


def _self_time(span: Span, kids: list[Span] | tuple[()]) -> int:
    """Duration not covered by child spans (union of child intervals, clipped)."""
    if not kids:
        return span.duration_us
    intervals = sorted(
        (max(k.start_us, span.start_us), min(k.end_us, span.end_us)) for k in kids
    )
    covered = 0
    cur_start, cur_end = intervals[0]
    for start, end in intervals[1:]:
        if start > cur_end:
            covered += max(0, cur_end - cur_start)
            cur_start, cur_end = start, end
        else:
            cur_end = max(cur_end, end)
    covered += max(0, cur_end - cur_start)
    return max(0, span.duration_us - covered)


def _median(values: list[int]) -> float:
    ordered = sorted(values)
    mid = len(ordered) // 2
    if len(ordered) % 2:
        return float(ordered[mid])
    return (ordered[mid - 1] + ordered[mid]) / 2.0
