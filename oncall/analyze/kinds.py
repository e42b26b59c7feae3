"""The kind of a cause that no change explains, read from what its evidence looks like.

The remediation follows from the kind (dependency -> failover, capacity -> scale,
network -> traffic shift or restart, code -> escalate, cert -> revert the certificate),
so the rules follow what an SRE checks first: what the thing is (a datastore or third
party is a dependency), what the errors say (x509, queue full, connection reset), and
whether the slowness comes with the service's own CPU or only on the wire.
"""

from __future__ import annotations

from dataclasses import dataclass, field

CERT_WORDS = ("x509", "certificate", "tls handshake", "ssl handshake", "tls: bad")
CAPACITY_WORDS = (
    "oomkilled", "out of memory", "throttl", "queue full", "rejected execution",
    "rejectedexecution", "overloaded", "shedding", "event loop lag", "worker timeout",
)
NETWORK_WORDS = (
    "connection reset", "reset by peer", "i/o timeout", "disconnect/reset",
    "connection termination", "no route to host", "packet",
)


@dataclass(slots=True)
class KindEvidence:
    """The parts of a candidate's evidence that tell one kind of cause from another."""

    dependency: bool = False  # a datastore, queue or third party (catalog or traces)
    origin: float = 0.0  # failures originating in its own code
    as_peer: float = 0.0  # failures of calls to it, seen by its callers
    spans: float = 0.0  # failures that start in its own spans rather than at a call
    latency: float = 0.0  # its own self-time shift
    network: float = 0.0  # time on the wire of its calls
    saturation: float = 0.0  # CPU / memory / saturation series
    saturation_peak: float = 0.0  # the level they reached, 0..1
    load: float = 0.0  # the rise of its request rate, 0..1 (1 = doubled or more)
    errors_metric: float = 0.0
    latency_metric: float = 0.0
    logs: float = 0.0
    mention: float = 0.0
    hints: set[str] = field(default_factory=set)


def hints_of(text: str) -> set[str]:
    low = text.lower()
    out: set[str] = set()
    if any(w in low for w in CERT_WORDS):
        out.add("cert")
    if any(w in low for w in CAPACITY_WORDS):
        out.add("capacity")
    if any(w in low for w in NETWORK_WORDS):
        out.add("network")
    return out


FULL = 0.85  # a resource this busy has no headroom left
MORE_LOAD = 0.5  # half as many requests again
HOT = 0.8  # close enough to the limit that a load rise finishes it off


def _saturated(ev: KindEvidence) -> bool:
    """Whether a CPU / memory rise reads as too little capacity rather than slow code.

    A slow code path burns more CPU per request too, so a rise alone says little: the
    resource must have run out of headroom, or the load must have grown. Without a
    known level (a series that is not a ratio) the rise is taken at its word.
    """
    if ev.saturation_peak > 1.0:
        return True
    return ev.saturation_peak >= FULL or ev.load >= MORE_LOAD


def _hot_under_load(ev: KindEvidence) -> bool:
    """A resource near its limit while the requests grew, even if others rose as well.

    A rise seen on several services at once is discounted as evidence of where the
    fault is, but once the service is the suspect, more load meeting a resource with
    almost no headroom left is what running out of capacity looks like; a slow code
    path under the same load leaves the resource well below its limit.
    """
    return ev.saturation >= 0.15 and ev.saturation_peak >= HOT and ev.load >= MORE_LOAD


def _fails_on_the_wire(ev: KindEvidence) -> bool:
    """Whether its failures are all calls that broke in transit, none its own code's.

    A network fault on a service breaks the calls it makes and the calls made to it
    (resets, timeouts at the client span) while no span of its own fails and its CPU
    stays flat. A code fault fails inside its own spans, and a saturated service burns
    CPU; either of those keeps the reading elsewhere even when some reset is seen.
    """
    at_calls = ev.origin - ev.spans + ev.as_peer
    return at_calls >= 0.2 and ev.spans < 0.1 and ev.saturation < 0.1


def kind_without_change(ev: KindEvidence) -> str:
    """The likeliest kind when no change explains the anomaly.

    A datastore or third party that fails or slows is a dependency failure whatever the
    message, since the move is to fail over. Certificate errors name themselves. A
    service whose own CPU saturates, or that sheds load, lacks capacity. Time lost on
    the wire (gaps around calls, resets) with no CPU rise is the network. What is left,
    errors or slowness in its own code, is a code fault.
    """
    if "cert" in ev.hints:
        return "cert"
    if ev.dependency:
        return "dependency"
    if "capacity" in ev.hints or (ev.saturation >= 0.3 and _saturated(ev)) or _hot_under_load(ev):
        return "capacity"
    own_errors = max(ev.origin, ev.errors_metric, ev.logs * 0.5)
    if "network" in ev.hints and _fails_on_the_wire(ev):
        return "network"
    wire = max(ev.network, ev.as_peer if "network" in ev.hints else 0.0)
    if wire >= 0.2 and wire >= 0.6 * max(ev.latency, own_errors):
        return "network"
    if "network" in ev.hints and ev.as_peer >= ev.origin:
        return "network"
    slow = max(ev.latency, ev.latency_metric)
    if slow >= 0.2 and own_errors < 0.2 and ev.saturation < 0.1 and ev.origin < 0.1:
        return "network"
    return "code"
