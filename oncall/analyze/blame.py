"""Blame for failing or slow calls: the caller's side or the peer's side of the edge.

A call that fails or slows at the client could be the peer's fault (it is down, slow,
serves a bad certificate) or the caller's (a wrong endpoint, a too-short timeout, a bad
network path on the caller's pod). The pattern across edges decides, as an SRE reads a
service map: a peer that fails for most of its callers is at fault; a caller that
fails on most of its peers, while those peers serve everyone else, is at fault. When
the edge is all either side has, a peer that records no spans of its own (a database,
cache, queue or third party) is the likelier culprit, since the caller evidently works.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field

from oncall.analyze.traces import EdgeStats, TraceFindings, quantile, wire_shift

MIN_WIRE_RISE_MS = 20.0
MIN_SIDE_REST = 3  # the caller's other requests, before and after, that must stay fast
UNTRACED_PEER_WEIGHT = 1.5


@dataclass(slots=True)
class CallBlame:
    """Per service: failing calls blamed on it (of which as the callee), the failing
    calls it made whichever side they were blamed on, and wire-time shifts."""

    failures: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    as_peer: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    made: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    messages: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    pods: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    # base ms, now ms, which calls, calls on the thinner side of the before/after split
    wire: dict[str, tuple[float, float, str, int]] = field(default_factory=dict)
    wire_pods: dict[str, list[str]] = field(default_factory=dict)
    failing_edges: dict[str, list[tuple[str, str, float]]] = field(
        default_factory=lambda: defaultdict(list))
    # caller -> peers whose calls it makes without client spans and whose slowness
    # showed as the caller's self-time: that time was spent on the way to the peer
    untimed: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))


def blame_calls(found: TraceFindings) -> CallBlame:
    out = CallBlame()
    failing = {
        key: excess for key, edge in found.edges.items()
        if (excess := found.excess(edge.fails_before, edge.fails_after)) >= 1.0
    }
    _blame_wire_pooled(out, found)
    share_in, share_out = _shares(found, set(failing))
    for (caller, peer), amount in sorted(failing.items()):
        out.made[caller] += amount
        w_peer = share_in.get(peer, 0.0)
        if peer not in found.traced:
            w_peer *= UNTRACED_PEER_WEIGHT
        w_caller = share_out.get(caller, 0.0)
        total = w_peer + w_caller
        if total <= 0:
            continue
        edge = found.edges[(caller, peer)]
        for service, weight, is_peer in ((peer, w_peer / total, True),
                                         (caller, w_caller / total, False)):
            if weight <= 0:
                continue
            _blame_failure(out, edge, caller, peer, service, amount * weight, is_peer)
    return out


def _blame_failure(
    out: CallBlame, edge: EdgeStats, caller: str, peer: str, service: str, amount: float,
    is_peer: bool,
) -> None:
    out.failures[service] += amount
    if is_peer:
        out.as_peer[service] += amount
    out.failing_edges[service].append((caller, peer, amount))
    if amount >= 0.5 * edge.fails_after:
        out.messages[service].update(edge.messages)
        out.pods[service].update(edge.fail_callee_pods if is_peer else edge.fail_caller_pods)


def _blame_wire_pooled(out: CallBlame, found: TraceFindings) -> None:
    """Wire time pooled over all calls into a service, then over all calls out of one.

    A slow network path to a pod slows every call into it, from whichever caller; the
    callers' other calls stay fast. So the rise is looked for first on the calls into
    each service; the calls out of a caller count only towards peers whose incoming
    calls did not rise, so the caller is blamed only when its own path is the slow one.
    A peer with a single caller cannot tell the two apart: both keep the rise.
    """
    into: dict[str, list[tuple[int, int]]] = defaultdict(list)
    callers: dict[str, set[str]] = defaultdict(set)
    pods: dict[str, dict[str, list[int]]] = defaultdict(lambda: defaultdict(list))
    for (caller, peer), edge in sorted(found.edges.items()):
        into[peer].extend(edge.wire)
        if edge.wire:
            callers[peer].add(caller)
        for pod, values in edge.wire_after_callee_pods.items():
            pods[peer][pod].extend(values)
    for (caller, peer), samples in sorted(_untimed_calls(found).items()):
        into[peer].extend(samples)
        callers[peer].add(caller)
        out.untimed[caller].add(peer)
    risen: set[str] = set()
    for peer, samples in sorted(into.items()):
        measured = _material(wire_shift(samples, found.onset_us))
        if measured is None:
            continue
        if len(callers[peer]) > 1:
            risen.add(peer)  # with one caller only, its own path is as likely
        base, now, n = measured
        out.wire[peer] = (base, now, f"calls to {peer}", n)
        if len(pods[peer]) > 1:
            slow = sorted(p for p, v in pods[peer].items()
                          if quantile(v, 0.5) / 1000.0 - base >= MIN_WIRE_RISE_MS)
            if 0 < len(slow) < len(pods[peer]):
                out.wire_pods[peer] = slow
    # A slow network on a service's pods slows the calls out of it as well as the calls
    # into it: a peer whose only slowed caller is itself slow to reach is not the fault.
    for peer in sorted(out.wire):
        if len(callers[peer]) == 1:
            (caller,) = callers[peer]
            if caller != peer and caller in out.wire:
                del out.wire[peer]
                out.wire_pods.pop(peer, None)
    out_of: dict[str, list[tuple[int, int]]] = defaultdict(list)
    for (caller, peer), edge in sorted(found.edges.items()):
        if peer not in risen:
            out_of[caller].extend(edge.wire)
    for caller, samples in sorted(out_of.items()):
        measured = _material(wire_shift(samples, found.onset_us))
        if measured is None:
            continue
        base, now, n = measured
        best = out.wire.get(caller)
        if best is None or now - base > best[1] - best[0]:
            out.wire[caller] = (base, now, f"calls from {caller}", n)


def _untimed_calls(found: TraceFindings) -> dict[tuple[str, str], list[tuple[int, int]]]:
    """Calls with no client span, whose time only shows as the caller's self-time.

    When a caller records no span of its own for a call, the wire time to the peer is
    part of the caller's self-time. If that self-time rose only in the requests that
    call one peer (straight into its server spans) while the caller's other requests
    kept their pace, the caller's code did not slow down: the way to that peer did.
    Those requests' self-times then stand for the wire time of calls to the peer.
    """
    by_peer: dict[tuple[str, str], list[tuple[int, int]]] = defaultdict(list)
    for caller, tagged in found.self_samples.items():
        for start, own, peer in tagged:
            if peer is not None:
                by_peer[(caller, peer)].append((start, own))
    out: dict[tuple[str, str], list[tuple[int, int]]] = {}
    for (caller, peer), samples in sorted(by_peer.items()):
        edge = found.edges.get((caller, peer))
        if edge is not None and edge.wire:
            continue  # client spans measure this wire directly
        if _material(wire_shift(samples, found.onset_us)) is None:
            continue
        rest = [(start, own) for start, own, tag in found.self_samples[caller] if tag != peer]
        if len(rest) < 2 * MIN_SIDE_REST or _material(wire_shift(rest, found.onset_us)):
            continue
        out[(caller, peer)] = samples
    return out


def _material(
    measured: tuple[float, float, int, int] | None,
) -> tuple[float, float, int] | None:
    if measured is None:
        return None
    base, now, _, n = measured
    if now - base >= MIN_WIRE_RISE_MS and now >= 2.0 * base:
        return base, now, n
    return None


def _shares(
    found: TraceFindings, anomalous: set[tuple[str, str]]
) -> tuple[dict[str, float], dict[str, float]]:
    """Per service: the share of its active incoming / outgoing edges that are anomalous."""
    into: dict[str, list[bool]] = defaultdict(list)
    out_of: dict[str, list[bool]] = defaultdict(list)
    for key, edge in found.edges.items():
        bad = key in anomalous
        if not bad and edge.calls_after < 2:
            continue
        caller, peer = key
        into[peer].append(bad)
        out_of[caller].append(bad)
    share_in = {s: sum(flags) / len(flags) for s, flags in into.items()}
    share_out = {s: sum(flags) / len(flags) for s, flags in out_of.items()}
    return share_in, share_out
