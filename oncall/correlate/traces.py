"""Trace evidence for correlation: services that failed in the same request."""

from __future__ import annotations

from collections import defaultdict

from oncall.model import Span

# A trace failing in more services than this is a broad outage seen from the edge; its
# pairs say little about which two services belong together and cost quadratic time.
MAX_FAILING_PER_TRACE = 12


def co_failing_pairs(spans: list[Span]) -> set[tuple[str, str]]:
    """Pairs (a < b) of services that both had failing spans in at least one trace."""
    failing: dict[str, set[str]] = defaultdict(set)
    for span in spans:
        if span.error:
            failing[span.trace_id].add(span.service)
    pairs: set[tuple[str, str]] = set()
    for services in failing.values():
        if len(services) > MAX_FAILING_PER_TRACE:
            continue
        ordered = sorted(services)
        for i, a in enumerate(ordered):
            for b in ordered[i + 1:]:
                pairs.add((a, b))
    return pairs
