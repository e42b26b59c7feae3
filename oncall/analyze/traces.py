"""Trace evidence: where failures originate and where time is spent.

A failed request shows errors on every span up its call chain; the cause is the deepest
failing span whose own children all succeeded. When that span is a client call (the
caller's record of a call to a peer), the failure happened on the call, not inside the
caller: it is kept per call edge (caller, peer) and blamed later on whichever side the
pattern across edges points to. Latency is attributed through self-time: the time a
service spends in one request minus the time it waits on calls it makes, compared
between a baseline before the onset and the time since. The time a call spends outside
the callee's own server span (the wire, queues, connection set-up) is kept per edge, as
is the whole duration of calls to peers that record no spans of their own.
"""

from __future__ import annotations

from bisect import bisect_left
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from oncall.analyze.calls import PeerNamer, covered
from oncall.model import Span

RECENT_GUARD_US = 120 * 1_000_000
SPLIT_STEP_US = 15 * 1_000_000
SPLIT_STEPS_BEFORE = 20
SPLIT_STEPS_AFTER = 8
MIN_SIDE = 3
MIN_BACKGROUND = 2.0  # expected background failures below which none are subtracted
MIN_BASELINE_TRACES = 10  # fewer traces before the onset give no usable failure rate

@dataclass(slots=True)
class EdgeStats:
    """What the calls from one service to one peer did, before and after the onset."""

    calls_before: int = 0
    calls_after: int = 0
    fails_before: int = 0  # failed calls on which the failure originated
    fails_after: int = 0
    wire: list[tuple[int, int]] = field(default_factory=list)  # (start, wire) in us
    wire_after_callee_pods: dict[str, list[int]] = field(
        default_factory=lambda: defaultdict(list))
    fail_callee_pods: Counter[str] = field(default_factory=Counter)
    fail_caller_pods: Counter[str] = field(default_factory=Counter)
    messages: Counter[str] = field(default_factory=Counter)

    def wire_shift(self, onset_us: int) -> tuple[float, float, int, int] | None:
        return wire_shift(self.wire, onset_us)


def wire_shift(
    samples: list[tuple[int, int]], onset_us: int
) -> tuple[float, float, int, int] | None:
    """(baseline, recent) upper-quartile wire time in ms, where it changed, and how many
    calls since then carry the rise (see `carried`).

    The alert that dates the incident lags the fault by a minute or two, and traces
    are often kept for a few minutes only: a split at the alert leaves the slow calls
    in the baseline. So the split is searched for, at 15-second steps from five
    minutes before the onset to two after, as the point where the calls got slowest
    relative to the ones before (relative, so a fault that keeps worsening does not
    pull the split late and into its own baseline); at least three calls on each side.
    """
    if len(samples) < 2 * MIN_SIDE:
        return None
    ordered = sorted(samples)
    starts = [t for t, _ in ordered]
    best: tuple[float, float, int, int] | None = None
    for step in range(-SPLIT_STEPS_BEFORE, SPLIT_STEPS_AFTER + 1):
        split = onset_us + step * SPLIT_STEP_US
        k = bisect_left(starts, split)
        if k < MIN_SIDE or len(ordered) - k < MIN_SIDE:
            continue
        base = quantile([w for _, w in ordered[:k]], 0.75) / 1000.0
        now = quantile([w for _, w in ordered[k:]], 0.75) / 1000.0
        if best is None or _relative(base, now) > _relative(best[0], best[1]):
            best = (base, now, split, k)
    if best is None:
        return None
    base, now, split, k = best
    return base, now, split, carried([w for _, w in ordered[k:]], base, now)


def carried(after_us: list[int], base_ms: float, now_ms: float) -> int:
    """How many of the recent samples are closer to the new level than to the old one.

    An upper quartile over a handful of calls moves with one or two slow ones (a GC
    pause, a cold connection); a real shift is carried by many. Counting the samples
    past the midpoint tells the two apart without assuming every call is affected.
    """
    mid_us = (base_ms + now_ms) / 2.0 * 1000.0
    return sum(1 for v in after_us if v >= mid_us)


def _relative(base_ms: float, now_ms: float) -> float:
    return (now_ms - base_ms) / max(base_ms, 5.0)


@dataclass(slots=True)
class TraceFindings:
    onset_us: int = 0
    traces: int = 0
    traces_before: int = 0
    failed_traces: int = 0
    served: Counter[str] = field(default_factory=Counter)  # recent traces it has spans in
    traced: set[str] = field(default_factory=set)  # services with spans of their own
    origins: Counter[str] = field(default_factory=Counter)  # since the onset
    origins_before: Counter[str] = field(default_factory=Counter)
    origin_pods: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    origin_operations: dict[str, Counter[str]] = field(
        default_factory=lambda: defaultdict(Counter))
    origin_messages: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    caller_messages: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    edges: dict[tuple[str, str], EdgeStats] = field(
        default_factory=lambda: defaultdict(EdgeStats))
    self_before: dict[str, list[int]] = field(default_factory=lambda: defaultdict(list))
    self_after: dict[str, list[int]] = field(default_factory=lambda: defaultdict(list))
    self_after_pods: dict[str, dict[str, list[int]]] = field(
        default_factory=lambda: defaultdict(lambda: defaultdict(list)))
    # Per service, each request's (start, self-time, peer): the peer when every call the
    # request made went straight into that one peer's server spans, with no client span
    # of its own to measure the wire by; None otherwise.
    self_samples: dict[str, list[tuple[int, int, str | None]]] = field(
        default_factory=lambda: defaultdict(list))
    versions_failing: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    versions_total: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))

    def excess(self, before: int, after: int) -> float:
        """Failures since the onset beyond what the baseline rate would have produced.

        A failure as common before the onset as after it is background (a known bad
        request, a flaky client) and explains nothing about this incident. A baseline
        of a failure or two is too thin to estimate a rate from, so it is not subtracted;
        nor is a baseline of a handful of traces, where one failure would read as a rate
        that swallows every recent failure.
        """
        recent = max(self.traces - self.traces_before, 1)
        if self.traces_before < MIN_BASELINE_TRACES or before < MIN_BACKGROUND:
            return float(after)
        expected = before / self.traces_before * recent
        if expected < MIN_BACKGROUND:
            return float(after)
        return max(0.0, after - expected)

    def latency_shift(
        self, service: str, without: frozenset[str] = frozenset()
    ) -> tuple[float, float] | None:
        """(baseline, recent) typical self-time in milliseconds, when both exist;
        `without`: leave out the requests whose only calls went to these peers."""
        if without:
            before, after = self._self_split(service, without)
            return shift(before, after)
        return shift(self.self_before.get(service), self.self_after.get(service))

    def latency_carried(
        self, service: str, base_ms: float, now_ms: float, without: frozenset[str] = frozenset()
    ) -> int:
        """Recent requests whose self-time is closer to the new level (see `carried`)."""
        after = (self._self_split(service, without)[1] if without
                 else self.self_after.get(service, []))
        return carried(after, base_ms, now_ms)

    def _self_split(self, service: str, without: frozenset[str]) -> tuple[list[int], list[int]]:
        before: list[int] = []
        after: list[int] = []
        for start, own, peer in self.self_samples.get(service, ()):
            if peer in without:
                continue
            (before if start < self.onset_us else after).append(own)
        return before, after


def shift(before: list[int] | None, after: list[int] | None) -> tuple[float, float] | None:
    """(baseline, recent) upper quartile in ms.

    The upper quartile catches a fault that reaches only some requests (one slow pod of
    several, a partial rollout) that a median would hide, and the same quantile on both
    sides keeps a skewed but unchanged distribution from looking like a shift.
    """
    if not before or not after or len(after) < 3:
        return None
    return quantile(before, 0.75) / 1000.0, quantile(after, 0.75) / 1000.0


def analyze_traces(
    spans: list[Span], onset_us: int, services: Iterable[str] = (),
    callees: dict[str, set[str]] | None = None,
) -> TraceFindings:
    found = TraceFindings(onset_us=onset_us)
    by_trace: dict[str, list[Span]] = defaultdict(list)
    for span in spans:
        by_trace[span.trace_id].append(span)
        found.traced.add(span.service)
    found.traces = len(by_trace)
    namer = PeerNamer([*services, *found.traced], callees, found.traced)
    trees = [_Tree(trace_spans) for trace_spans in by_trace.values()]
    for tree in trees:  # name peers from text first, so every call of a pair can use it
        for span in tree.leaf_calls:
            namer.name(span)
    for tree in trees:
        _one_trace(tree, namer, onset_us, found)
    return found


class _Tree:
    __slots__ = ("by_id", "children", "leaf_calls", "spans")

    def __init__(self, spans: list[Span]) -> None:
        self.spans = spans
        self.by_id = {s.span_id: s for s in spans}
        self.children: dict[str, list[Span]] = defaultdict(list)
        for span in spans:
            if span.parent_id and span.parent_id in self.by_id:
                self.children[span.parent_id].append(span)
        # A leaf whose parent is in the same service is an outgoing call whose callee
        # recorded nothing (or a purely internal step, if no peer can be named).
        self.leaf_calls = [
            s for s in spans
            if s.span_id not in self.children
            and s.parent_id in self.by_id
            and self.by_id[s.parent_id].service == s.service
        ]


def _peers(tree: _Tree, namer: PeerNamer) -> dict[str, str]:
    """span id -> peer service, for the spans that are calls out of their service."""
    out: dict[str, str] = {}
    for span in tree.spans:
        kids = tree.children.get(span.span_id)
        parent = tree.by_id.get(span.parent_id or "")
        if kids and parent is not None and parent.service == span.service:
            # a client span: entered from its own service, wrapping the callee's span
            services = {k.service for k in kids}
            if len(services) == 1 and span.service not in services:
                out[span.span_id] = next(iter(services))
    for span in tree.leaf_calls:
        peer = namer.name(span)
        if peer and peer != span.service:
            out[span.span_id] = peer
    return out


def _one_trace(tree: _Tree, namer: PeerNamer, onset_us: int, found: TraceFindings) -> None:
    peers = _peers(tree, namer)
    _calls(tree, peers, onset_us, found)
    _failures(tree, peers, onset_us, found)
    _self_times(tree, peers, onset_us, found)
    for span in tree.spans:
        if span.version:
            found.versions_total[span.service][span.version] += 1
            if span.error:
                found.versions_failing[span.service][span.version] += 1


def _calls(tree: _Tree, peers: dict[str, str], onset_us: int, found: TraceFindings) -> None:
    for span in tree.spans:
        after = span.start_us >= onset_us
        parent = tree.by_id.get(span.parent_id or "")
        if parent is not None and parent.service != span.service:
            edge = found.edges[(parent.service, span.service)]
            if after:
                edge.calls_after += 1
            else:
                edge.calls_before += 1
        peer = peers.get(span.span_id)
        if peer is None:
            continue
        kids = tree.children.get(span.span_id, [])
        edge = found.edges[(span.service, peer)]
        if not kids:
            if after:
                edge.calls_after += 1
            else:
                edge.calls_before += 1
            wire = span.duration_us
        elif len(kids) == 1:
            wire = max(0, span.duration_us - kids[0].duration_us)
        else:
            continue
        edge.wire.append((span.start_us, wire))
        if after and kids and kids[0].pod:
            edge.wire_after_callee_pods[kids[0].pod].append(wire)


def _failures(tree: _Tree, peers: dict[str, str], onset_us: int, found: TraceFindings) -> None:
    """Origins since shortly before the onset (alerts lag the fault), and before it."""
    start = min(s.start_us for s in tree.spans)
    recent = start >= onset_us - RECENT_GUARD_US
    if not recent:
        found.traces_before += 1
    else:
        found.served.update({s.service for s in tree.spans})
    failed = [s for s in tree.spans if s.error]
    if not failed:
        return
    found.failed_traces += 1
    seen: set[tuple[str, str]] = set()
    for span in failed:
        message = span.messages[0][:200] if span.messages else ""
        if message:
            found.caller_messages[span.service][message] += 1
        if any(child.error for child in tree.children.get(span.span_id, ())):
            continue
        peer = peers.get(span.span_id)
        if peer is not None:
            if (span.service, peer) in seen:
                continue
            seen.add((span.service, peer))
            edge = found.edges[(span.service, peer)]
            if not recent:
                edge.fails_before += 1
                continue
            edge.fails_after += 1
            if message:
                edge.messages[message] += 1
            if span.pod:
                edge.fail_caller_pods[span.pod] += 1
            kids = tree.children.get(span.span_id, [])
            if len(kids) == 1 and kids[0].pod:
                edge.fail_callee_pods[kids[0].pod] += 1
            continue
        if (span.service, "") in seen:
            continue
        seen.add((span.service, ""))
        if not recent:
            found.origins_before[span.service] += 1
            continue
        found.origins[span.service] += 1
        if span.pod:
            found.origin_pods[span.service][span.pod] += 1
        found.origin_operations[span.service][span.operation] += 1
        if message:
            found.origin_messages[span.service][message] += 1


def _self_times(tree: _Tree, peers: dict[str, str], onset_us: int, found: TraceFindings) -> None:
    """Per request a service serves: its span's duration minus the calls it waits on."""
    for span in tree.spans:
        parent = tree.by_id.get(span.parent_id or "")
        if parent is not None and parent.service == span.service:
            continue  # not where the service was entered
        if span.span_id in peers and not tree.children.get(span.span_id):
            continue  # a lone client span: its time belongs to the peer
        exits: list[Span] = []
        stack = [span]
        while stack:
            node = stack.pop()
            for kid in tree.children.get(node.span_id, ()):
                if kid.service != span.service or kid.span_id in peers:
                    exits.append(kid)
                else:
                    stack.append(kid)
        own = max(0, span.duration_us - covered(span, exits)) if exits else span.duration_us
        direct = {kid.service for kid in exits}
        peer = next(iter(direct)) if len(direct) == 1 and span.service not in direct else None
        found.self_samples[span.service].append((span.start_us, own, peer))
        if span.start_us < onset_us:
            found.self_before[span.service].append(own)
        else:
            found.self_after[span.service].append(own)
            if span.pod:
                found.self_after_pods[span.service][span.pod].append(own)


def quantile(values: list[int], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return 0.0
    pos = q * (len(ordered) - 1)
    lo = int(pos)
    hi = min(lo + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (pos - lo)
