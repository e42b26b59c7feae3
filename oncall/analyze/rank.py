"""Ranking: combine trace, metric, log and change evidence into hypotheses.

Every candidate service below the incident's alerting services (and every peer their
calls reach, and any service unlinked to them whose own requests mostly fail) is scored
on the evidence it shows itself (failure origins, failing calls blamed on it, self-time
and wire-time shifts carried by enough requests, metric shifts, error logs), on where it
sits (the deepest anomalous service explains the symptoms of its callers) and on the
changes that could explain it. The kind of cause follows from the dominant evidence; a
change wins only when it explains the anomaly better than the no-change reading does.
Every score comes with the sentences that justify it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from copy import copy
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from oncall.analyze.blame import CallBlame, blame_calls
from oncall.analyze.changes import ChangeScore, score_change
from oncall.analyze.kinds import KindEvidence, hints_of, kind_without_change
from oncall.analyze.logs import MIN_BASELINE_SECONDS, LogFindings, analyze_logs
from oncall.analyze.metrics import SignalAnomaly, analyze_metrics
from oncall.analyze.traces import TraceFindings, analyze_traces, quantile
from oncall.model import Change, Hypothesis, Incident, Snapshot
from oncall.topology import Topology

CANDIDATE_HOPS = 3
CHANGE_LOOKBACK = timedelta(hours=6)
MAX_HYPOTHESES = 5
SCORE_SCALE = 1.4  # the largest raw score a hypothesis can reach maps to about 1
CHANGE_KIND_TO_CAUSE = {"scale": "capacity"}
ABSOLUTE_HALF_MS = 150.0  # a rise of this many ms counts half
MS_FLOOR = 25.0  # a rise from 2 ms to 26 ms is not a tenfold problem
CONTEXT_SIGNALS = frozenset({"request_rate"})  # load explains, it does not indict
OUTSIDER_FAILURES = 3.0  # failures of its own a service outside the alerts' reach needs
OUTSIDER_SHARE = 0.75  # and the share of the requests it served that they make up
OUTSIDER_WEIGHT = 0.7  # not being linked to the symptoms counts against it
CARRIED_FULL = 3.0  # slow requests a time shift needs to count in full
ELSEWHERE_WEIGHT = 0.35  # a candidate whose own alerts form another incident
CALLER_CHANGE_FIT = 0.3  # how well a caller's change must fit to take its failing calls


@dataclass(slots=True)
class Evidence:
    """What one candidate service shows, each part scaled to 0..1."""

    service: str
    origin: float = 0.0
    as_peer: float = 0.0
    made: float = 0.0  # share of failing calls it made, whichever side they are blamed on
    spans: float = 0.0  # share of the failures that start in its own spans, not at a call
    latency: float = 0.0
    network: float = 0.0
    metric: float = 0.0
    saturation: float = 0.0
    saturation_peak: float = 0.0  # the highest CPU / memory / saturation level reached
    load: float = 0.0  # how much its request rate rose
    errors_metric: float = 0.0
    latency_metric: float = 0.0
    logs: float = 0.0
    mention: float = 0.0
    named_by: set[str] = field(default_factory=set)  # callers whose errors name it
    alerted: bool = False
    elsewhere: str | None = None  # the other incident its own alerts were grouped into
    dependency: bool = False
    wire_in: bool = False  # its network evidence is on the calls into it
    anomalous_callees: list[str] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)
    pods: set[str] = field(default_factory=set)
    onset: datetime | None = None
    hints: set[str] = field(default_factory=set)
    observed: bool = False  # any trace, series or log line of its own, or calls to it
    linked: bool = True  # below an alerting service (topology or traces)

    @property
    def symptom(self) -> float:
        return max(self.origin, self.latency, self.network, self.metric, self.logs, self.mention)

    @property
    def anomalous(self) -> bool:
        return self.alerted or self.symptom >= 0.2

    def kind_evidence(self) -> KindEvidence:
        return KindEvidence(
            dependency=self.dependency, origin=self.origin - self.as_peer,
            as_peer=self.as_peer, spans=self.spans, latency=self.latency, network=self.network,
            saturation=self.saturation, saturation_peak=self.saturation_peak,
            load=self.load, errors_metric=self.errors_metric,
            latency_metric=self.latency_metric, logs=self.logs, mention=self.mention,
            hints=set(self.hints),
        )


@dataclass(slots=True)
class Signals:
    """Findings computed once per incident and shared by every candidate."""

    traces: TraceFindings | None
    blame: CallBlame | None
    metrics: dict[str, list[SignalAnomaly]] | None
    logs: LogFindings | None
    observed: set[str] = field(default_factory=set)
    stores: set[str] = field(default_factory=set)  # services whose spans are statements


def analyze_incident(
    incident: Incident, snap: Snapshot, topology: Topology, others: Sequence[Incident] = (),
) -> list[Hypothesis]:
    """Ranked causes of one incident; `others` are the incidents paged beside it."""
    onset = incident.started_at
    metrics = analyze_metrics(snap.metrics, onset.timestamp()) if snap.metrics else None
    traces = None
    if snap.spans:
        names = set(topology.services) | {s for s in incident.services}
        if snap.catalog:
            names.update(e.name for e in snap.catalog.entities
                         if e.kind in ("Component", "Resource"))
        traces = analyze_traces(snap.spans, _micros(onset), names, topology.callees)
    signals = Signals(
        traces=traces,
        blame=blame_calls(traces) if traces else None,
        metrics=metrics,
        logs=None,
        observed=_observed(snap),
        stores=_stores(snap),
    )
    if snap.logs:
        span_service = {s.trace_id: s.service for s in snap.spans or () if s.error}
        signals.logs = analyze_logs(snap.logs, onset.timestamp(), span_service)
    candidates = _candidates(incident, topology, traces)
    outsiders = _outsiders(traces, set(candidates) | _callers_of(incident, topology, traces))
    candidates = sorted([*candidates, *outsiders])
    spread = _signal_spread(signals.metrics, candidates)
    evidence = {
        c: _evidence(c, incident, signals, snap, topology, candidates, spread) for c in candidates
    }
    for service in outsiders:
        evidence[service].linked = False
        evidence[service].lines.append(
            f"not linked to the alerting services, but {_fmt_share(traces, service)} of the "
            "requests it served failed in its own code (weighed down for the missing link)")
    _caller_changes(evidence, signals, snap, topology, candidates, onset)
    _place(evidence, topology, traces, signals.blame)
    _paged_elsewhere(evidence, incident, others)
    hypotheses: list[Hypothesis] = []
    for ev in evidence.values():
        hypotheses.extend(_hypotheses_for(ev, snap, topology, onset))
    hypotheses.sort(key=lambda h: (-h.score, h.service, h.change or ""))
    seen: set[tuple[str, str | None]] = set()
    ranked: list[Hypothesis] = []
    for hyp in hypotheses:
        key = (hyp.service, hyp.change)
        if key in seen or hyp.score <= 0.0:
            continue
        seen.add(key)
        ranked.append(hyp)
    return ranked[:MAX_HYPOTHESES]


def _micros(moment: datetime) -> int:
    return int(moment.timestamp() * 1_000_000)


def _candidates(
    incident: Incident, topology: Topology, traces: TraceFindings | None
) -> list[str]:
    """Alerting services, what they depend on, and the peers their calls reach.

    Peers that record no spans (a database without a catalog entry) are not in the
    topology; the calls made to them in traces still are, so they join as well.
    """
    out: dict[str, None] = {}
    for service in incident.services:
        out[service] = None
        if service in topology:
            for dep in topology.downstream(service, CANDIDATE_HOPS):
                out[dep] = None
    if traces is not None:
        peers: dict[str, set[str]] = {}
        for caller, peer in traces.edges:
            peers.setdefault(caller, set()).add(peer)
        frontier = list(out)
        for _ in range(CANDIDATE_HOPS):
            nxt = [p for s in frontier for p in sorted(peers.get(s, ())) if p not in out]
            for p in nxt:
                out[p] = None
            frontier = nxt
    return sorted(out)


def _callers_of(
    incident: Incident, topology: Topology, traces: TraceFindings | None
) -> set[str]:
    """Services that call the alerting services, directly or through others.

    A client of the paged services sees their symptoms as its own failures; it is
    their victim, never a cause they would page for.
    """
    out: set[str] = set()
    for service in incident.services:
        if service in topology:
            out.update(topology.upstream(service, CANDIDATE_HOPS))
    if traces is not None:
        frontier = set(incident.services)
        for _ in range(CANDIDATE_HOPS):
            frontier = {c for c, p in traces.edges if p in frontier and c not in out}
            out.update(frontier)
    return out


def _outsiders(traces: TraceFindings | None, linked: set[str]) -> list[str]:
    """Services unlinked to the alerting services, whose own requests fail most of the time.

    Alerts fire where rules exist, and the culprit is not always below an alerting
    service: a failing login or verification step shows on services that page through
    a path the topology and the sampled traces do not show. A service whose own code
    is where most of the requests it served failed is a suspect wherever it sits,
    unless it calls the alerting services (then it is their victim); scoring weighs it
    down for not being linked to the symptoms.
    """
    if traces is None:
        return []
    out = []
    for service, count in traces.origins.items():
        if service in linked:
            continue
        excess = traces.excess(traces.origins_before.get(service, 0), count)
        served = traces.served.get(service, 0)
        if excess >= OUTSIDER_FAILURES and served and count / served >= OUTSIDER_SHARE:
            out.append(service)
    return sorted(out)


def _fmt_share(traces: TraceFindings | None, service: str) -> str:
    if traces is None:
        return "most"
    return f"{traces.origins.get(service, 0)} of {traces.served.get(service, 0)}"


def _evidence(
    service: str,
    incident: Incident,
    signals: Signals,
    snap: Snapshot,
    topology: Topology,
    candidates: list[str],
    spread: dict[str, float],
) -> Evidence:
    ev = Evidence(service=service, observed=service in signals.observed)
    own = [a for a in incident.alerts if a.service == service]
    if own:
        ev.alerted = True
        names = sorted({a.name for a in own})
        ev.lines.append(f"{len(own)} alert(s) on {service} itself: {', '.join(names)}")
    ev.dependency = _is_dependency(service, snap, signals.traces, signals.stores)
    down = sorted({a.name for a in own if _says_down(a.name)})
    if ev.dependency and down:
        # A datastore or queue whose own probe says it is down needs no other sign:
        # its callers' errors are the consequence, and its series often stop with it.
        ev.metric = 1.0
        ev.lines.append(f"its own alert says it is down ({', '.join(down)})")
    _trace_evidence(ev, signals.traces, signals.blame, candidates)
    _metric_evidence(ev, signals.metrics, spread)
    _log_evidence(ev, signals.logs, candidates)
    _mention_evidence(ev, signals, topology)
    return ev


def _says_down(alert_name: str) -> bool:
    """PostgresDown, KafkaDown, RedisDown: an alert that the thing stopped answering."""
    return alert_name.endswith("Down") and len(alert_name) > len("Down")


def _is_dependency(
    service: str, snap: Snapshot, traces: TraceFindings | None, stores: set[str]
) -> bool:
    """A catalog Resource, a peer that records no spans, or one that only runs statements.

    Databases, caches, queues and third parties are what a platform team fails over;
    when the catalog is missing, a callee that never shows a span of its own while its
    callers trace their calls to it is one of them, and so is one whose own spans are
    all queries and commands (an instrumented database) rather than requests.
    """
    entity = snap.catalog.get(service) if snap.catalog else None
    if entity is not None:
        return entity.kind == "Resource"
    if service in stores:
        return True
    if traces is None or service in traces.traced:
        return False
    return any(peer == service for _, peer in traces.edges)


_STATEMENT = re.compile(
    r"^(select|insert|update|delete|upsert|merge|begin|commit|rollback|call|"
    r"get|set|del|mget|mset|hget|hset|hgetall|incr|expire|lpush|rpush|zadd|eval|"
    r"publish|produce|consume|poll|find|aggregate)\s+(?!https?:)[^/\s].*$",
    re.IGNORECASE,
)
STORE_SHARE = 0.9


def _stores(snap: Snapshot) -> set[str]:
    """Services whose spans are (almost) all datastore statements: SELECT, GET key, ..."""
    total: dict[str, int] = {}
    statements: dict[str, int] = {}
    for span in snap.spans or ():
        total[span.service] = total.get(span.service, 0) + 1
        if _STATEMENT.match(span.operation):
            statements[span.service] = statements.get(span.service, 0) + 1
    return {s for s, n in total.items() if n >= 3 and statements.get(s, 0) >= STORE_SHARE * n}


def _observed(snap: Snapshot) -> set[str]:
    """Services with telemetry of their own: spans, series or log lines."""
    seen: set[str] = {s.service for s in snap.spans or ()}
    seen.update(m.service for m in snap.metrics or () if m.service)
    seen.update(ln.service for ln in snap.logs or () if ln.service)
    return seen


def _trace_evidence(
    ev: Evidence, found: TraceFindings | None, blame: CallBlame | None, candidates: list[str]
) -> None:
    if found is None or blame is None:
        return
    service = ev.service
    if service in found.traced or any(p == service for _, p in found.edges):
        ev.observed = True
    own = {c: found.excess(found.origins_before.get(c, 0), found.origins.get(c, 0))
           for c in candidates}
    total = _failure_total(found, blame, candidates)
    mine_own = own.get(service, 0.0)
    mine_calls = blame.failures.get(service, 0.0)
    # A share of one or two failures is a share of chance: "1 of 1 failing traces"
    # is no more telling than a single slow request, so it counts in proportion.
    sure = min(1.0, total / CARRIED_FULL)
    if total >= 1.0 and mine_own + mine_calls >= 1.0:
        ev.origin = (mine_own + mine_calls) / total * sure
        ev.spans = mine_own / total * sure
        ev.as_peer = blame.as_peer.get(service, 0.0) / total * sure
    made = blame.made.get(service, 0.0)
    if total >= 1.0 and made >= 1.0:
        ev.made = min(1.0, (mine_own + made) / total) * sure
    if mine_own >= 1.0:
        ops = found.origin_operations[service].most_common(2)
        ev.lines.append(
            f"{found.origins[service]} of {found.failed_traces} failing traces originate in "
            f"{service} (deepest failing span; e.g. {', '.join(op for op, _ in ops)})"
        )
        _pods_line(ev, found.origin_pods.get(service), found.origins[service], "failures")
        for message, count in found.origin_messages[service].most_common(1):
            ev.lines.append(f"span error: \"{message[:120]}\" x{count}")
            ev.hints.update(hints_of(message))
        versions = found.versions_failing.get(service)
        if versions and len(found.versions_total.get(service, {})) > 1:
            version, failing = versions.most_common(1)[0]
            ev.lines.append(f"failures concentrate on version {version} ({failing} failed spans)")
    if mine_calls >= 1.0:
        edges = sorted(blame.failing_edges[service], key=lambda e: (-e[2], e[0], e[1]))
        listed = ", ".join(f"{c} -> {p}" for c, p, _ in edges[:3])
        side = "calls to it" if blame.as_peer.get(service, 0.0) >= mine_calls / 2 else "its calls"
        ev.lines.append(
            f"{mine_calls:.0f} failing calls blamed on {service} ({side}; {listed}): "
            "the failure starts at the client span"
        )
        for message, count in blame.messages[service].most_common(1):
            ev.lines.append(f"call error: \"{message[:120]}\" x{count}")
        for message in blame.messages[service]:
            ev.hints.update(hints_of(message))
        _pods_line(ev, blame.pods.get(service), int(mine_calls), "failing calls")
    # Self-time spent on the way to peers it calls without client spans is the wire's,
    # and is weighed as network evidence on those peers instead.
    untimed = frozenset(blame.untimed.get(service, ()))
    measured = found.latency_shift(service, untimed)
    if measured and measured[1] - measured[0] >= 20:
        base, now = measured
        carried = found.latency_carried(service, base, now, untimed)
        ev.latency = _time_strength(base, now) * _confidence(carried)
        ev.lines.append(f"self-time of {service} rose from {base:.0f} ms to {now:.0f} ms "
                        f"({carried} slow request(s) since)")
        by_pod = found.self_after_pods.get(service, {})
        if len(by_pod) > 1:
            slow = [p for p, v in by_pod.items() if quantile(v, 0.5) / 1000 - base >= 20]
            if 0 < len(slow) < len(by_pod):
                ev.pods.update(slow)
                ev.lines.append(f"only pod(s) {', '.join(sorted(slow))} are slow")
    wire = blame.wire.get(service)
    if wire and wire[1] - wire[0] >= 20:
        base, now, what, n = wire
        ev.network = _time_strength(base, now) * _confidence(n)
        ev.wire_in = what.startswith("calls to")
        ev.lines.append(
            f"time on {what} outside the callee's own spans (wire, queues, or a peer that "
            f"records none) rose from {base:.0f} ms to {now:.0f} ms ({n} slow call(s) since)"
        )
        pods = blame.wire_pods.get(service)
        if pods:
            ev.pods.update(pods)
            ev.lines.append(f"calls to pod(s) {', '.join(pods)} are the slow ones")


def _failure_total(found: TraceFindings, blame: CallBlame, candidates: list[str]) -> float:
    """Failures of the candidates' own code plus failing calls blamed on them."""
    return sum(found.excess(found.origins_before.get(c, 0), found.origins.get(c, 0))
               for c in candidates) + sum(blame.failures.get(c, 0.0) for c in candidates)


def _pods_line(ev: Evidence, pods: dict[str, int] | None, count: int, what: str) -> None:
    if not pods:
        return
    ordered = sorted(pods.items(), key=lambda kv: (-kv[1], kv[0]))
    top = [p for p, n in ordered if n >= 0.2 * max(count, 1)]
    if top and (len(top) < len(pods) or len(pods) == 1):
        ev.pods.update(top)
        ev.lines.append(f"{what} concentrate on pod(s) {', '.join(top)}")


def _signal_spread(
    metrics: dict[str, list[SignalAnomaly]] | None, candidates: list[str]
) -> dict[str, float]:
    """How specific each signal is: a shift seen on most candidates explains none of them.

    Returns a weight per signal name, 1.0 when one candidate shows it, falling towards
    0.2 as it shows up everywhere (a shared dashboard artefact, a cluster-wide blip).
    """
    if not metrics or not candidates:
        return {}
    counts: dict[str, int] = {}
    for service in candidates:
        for anomaly in metrics.get(service, []):
            counts[anomaly.signal] = counts.get(anomaly.signal, 0) + 1
    total = len(candidates)
    return {
        signal: max(0.2, 1.0 - (n - 1) / max(total * 0.5, 1.0))
        for signal, n in counts.items()
    }


def _metric_evidence(
    ev: Evidence, metrics: dict[str, list[SignalAnomaly]] | None, spread: dict[str, float]
) -> None:
    if not metrics:
        return
    for anomaly in metrics.get(ev.service, []):
        if anomaly.signal in CONTEXT_SIGNALS and anomaly.peak > anomaly.baseline:
            ev.load = max(ev.load, _clamp(anomaly.peak / max(anomaly.baseline, 1e-9) - 1.0))
    for anomaly in metrics.get(ev.service, [])[:4]:
        if anomaly.signal in CONTEXT_SIGNALS:
            continue
        strength = _clamp(anomaly.z / 15.0) * spread.get(anomaly.signal, 1.0)
        family = anomaly.family
        if family == "saturation":
            ev.saturation = max(ev.saturation, strength)
            ev.saturation_peak = max(ev.saturation_peak, anomaly.peak)
        elif family == "errors":
            ev.errors_metric = max(ev.errors_metric, strength)
        elif family == "latency":
            ev.latency_metric = max(ev.latency_metric, strength)
        if family in ("other", "downstream"):
            ev.metric = max(ev.metric, strength * 0.5)
        else:
            ev.metric = max(ev.metric, strength)
        onset = datetime.fromtimestamp(anomaly.onset, UTC) if anomaly.onset else None
        if onset and (ev.onset is None or onset < ev.onset):
            ev.onset = onset
        where = ""
        if anomaly.pods and anomaly.pods_total > len(anomaly.pods):
            listed = ", ".join(anomaly.pods)
            where = f" on {len(anomaly.pods)} of {anomaly.pods_total} pods ({listed})"
            ev.pods.update(anomaly.pods)
        elif anomaly.pods_total == 1:
            ev.pods.update(anomaly.pods)
        ev.lines.append(
            f"{anomaly.signal} {_fmt(anomaly.baseline)} -> {_fmt(anomaly.peak)} "
            f"(robust z {anomaly.z:.1f}){where}"
            + (f", from {onset:%H:%M:%S}Z" if onset else "")
        )


def _log_evidence(ev: Evidence, logs: LogFindings | None, candidates: list[str]) -> None:
    if logs is None:
        return
    count = logs.errors_recent.get(ev.service, 0)
    if not count:
        return
    excess = logs.excess(ev.service)
    peak = max(logs.excess(c) for c in candidates) or 1.0
    ev.logs = excess / peak
    templates = logs.templates[ev.service].most_common(2)
    ev.lines.append(f"{count} error log lines from {ev.service}; top: \"{templates[0][0][:120]}\""
                    if templates else f"{count} error log lines from {ev.service}")
    before = logs.errors_before.get(ev.service, 0)
    if before and logs.before_seconds >= MIN_BASELINE_SECONDS:
        ev.lines.append(
            f"{before} such lines in the {logs.before_seconds / 60:.0f} min before the onset: "
            + ("its error rate jumped" if excess >= 0.5 * count else "mostly its usual rate"))
    for template, _ in templates:
        ev.hints.update(hints_of(template))


def _mention_evidence(ev: Evidence, signals: Signals, topology: Topology) -> None:
    """A dependency nobody traces still shows up in its callers' error messages.

    Only when more than one caller names it (or it has a single caller): one caller
    failing on calls to a peer that serves everyone else is that caller's problem.
    """
    name = ev.service.lower()
    callers = set(topology.upstream(ev.service, 1)) if ev.service in topology else set()
    if signals.traces is not None:
        callers.update(c for c, p in signals.traces.edges if p == ev.service)
    if not callers:
        return
    hits = total = 0
    naming: set[str] = set()
    said: set[str] = set()
    for caller in sorted(callers):
        counters = []
        if signals.traces:
            counters.append(signals.traces.caller_messages.get(caller))
        if signals.logs:
            counters.append(signals.logs.templates.get(caller))
        for counter in counters:
            if not counter:
                continue
            for message, n in counter.items():
                total += n
                if name in message.lower():
                    hits += n
                    naming.add(caller)
                    said.update(hints_of(message))
    if hits and (len(naming) > 1 or len(callers) == 1):
        ev.mention = _clamp(hits / max(total, 1) * 1.5)
        ev.named_by = naming
        ev.lines.append(f"{hits} error messages of its callers name {ev.service}")
        # What the callers say about it ("connection reset ... calling auth", "x509 ...
        # calling ledger") describes the failure from the side that saw it.
        ev.hints.update(said)


def _caller_changes(
    evidence: dict[str, Evidence],
    signals: Signals,
    snap: Snapshot,
    topology: Topology,
    candidates: list[str],
    incident_onset: datetime,
) -> None:
    """A caller's change that breaks its calls to a healthy peer is the caller's fault.

    Calls that fail at the client, blamed on the peer by the call pattern, are the
    caller's doing when the caller changed just before the onset, only its calls fail
    (nobody else's calls to the peer are blamed on it), the peer's own code does not
    fail, and either the peer serves its other callers fine or the change is about the
    peer (its summary or diff names it: a new endpoint, timeout, pool or credentials).
    The blame moves to the caller, and the peer's name in the caller's errors stops
    counting against it.
    """
    found, blame = signals.traces, signals.blame
    if found is None or blame is None or not snap.changes:
        return
    total = _failure_total(found, blame, candidates)
    if total < 1.0:
        return
    for caller in sorted(evidence):
        ev = evidence[caller]
        scored = _change_scores(ev, snap, topology, ev.onset or incident_onset)
        fitting = [cs for cs in scored if cs.score >= CALLER_CHANGE_FIT]
        if not fitting or blame.made.get(caller, 0.0) < 1.0:
            continue
        for peer in sorted({p for c, p in found.edges if c == caller}):
            if peer not in evidence or peer == caller:
                continue
            blamed = _as_peer_edges(blame, peer)
            moved = sum(amount for c, _, amount in blamed if c == caller)
            if moved < 1.0 or any(c != caller for c, _, _ in blamed):
                continue
            if found.excess(found.origins_before.get(peer, 0), found.origins.get(peer, 0)) >= 1:
                continue
            named = [cs for cs in fitting if _names(cs.change, peer)]
            others_fine = _serves_others(found, peer, caller)
            if not named and not others_fine:
                continue
            change = (named or fitting)[0].change
            target = evidence[peer]
            target.origin = max(0.0, target.origin - moved / total)
            target.as_peer = max(0.0, target.as_peer - moved / total)
            if target.named_by <= {caller}:
                target.mention = 0.0
            ev.origin = min(1.0, ev.origin + moved / total)
            why = (f"its change {change.id} is about {peer}" if named
                   else f"{peer} serves its other callers fine")
            ev.lines.insert(0, f"{moved:.0f} failing calls to {peer} are its own: {why}, and "
                               f"nobody else's calls to {peer} fail")
            target.lines.append(f"the {moved:.0f} failing calls blamed on it are all "
                                f"{caller}'s, which changed just before ({change.id}): "
                                "read as the caller's fault")


def _as_peer_edges(blame: CallBlame, service: str) -> list[tuple[str, str, float]]:
    return [(c, p, a) for c, p, a in blame.failing_edges.get(service, ()) if p == service]


def _names(change: Change, service: str) -> bool:
    text = f"{change.summary}\n{change.diff}".lower()
    return re.search(rf"(?<![a-z0-9]){re.escape(service.lower())}", text) is not None


def _serves_others(found: TraceFindings, peer: str, caller: str) -> bool:
    """Some other caller kept calling `peer` since the onset, without failures."""
    for (c, p), edge in found.edges.items():
        if p == peer and c != caller and edge.calls_after >= 2 and found.excess(
                edge.fails_before, edge.fails_after) < 1.0:
            return True
    return False


def _place(
    evidence: dict[str, Evidence],
    topology: Topology,
    traces: TraceFindings | None,
    blame: CallBlame | None = None,
) -> None:
    below_of: dict[str, set[str]] = {}
    for service in evidence:
        below = set(topology.downstream(service, CANDIDATE_HOPS)) if service in topology else set()
        below_of[service] = below
    if traces is not None:
        for caller, peer in traces.edges:
            if caller in below_of:
                below_of[caller].add(peer)
    for service, ev in evidence.items():
        ev.anomalous_callees = sorted(
            s for s in below_of[service] if s in evidence and evidence[s].symptom >= 0.25
            and evidence[s].symptom >= 0.5 * ev.symptom
            and not _only_its_calls(evidence[s], service, blame)
        )
        callers = sorted(s for s, below in below_of.items()
                         if service in below and s != service and evidence[s].anomalous)
        if callers and ev.anomalous and not ev.anomalous_callees:
            ev.lines.append(
                f"deepest anomalous service: {len(callers)} anomalous caller(s) "
                f"({', '.join(callers[:4])}), nothing anomalous below it"
            )


QUIET = 0.25  # below this a callee's own time, series and logs show nothing


def _only_its_calls(callee: Evidence, caller: str, blame: CallBlame | None) -> bool:
    """Whether all that is wrong with `callee` is `caller`'s calls to it, among several.

    When a service's calls to two or more peers fail, while nobody else's calls to
    them do and their own spans, timings, series and logs are quiet, the common
    factor is the caller (its network, its client), not each of its peers; those
    peers then do not make the caller look like a victim of something below it.
    """
    if blame is None or callee.spans > 0.0:
        return False
    if max(callee.latency, callee.network, callee.metric, callee.logs) >= QUIET:
        return False
    into = [c for c, p, _ in blame.failing_edges.get(callee.service, ()) if p == callee.service]
    if not into or any(c != caller for c in into):
        return False
    peers = {p for edges in blame.failing_edges.values() for c, p, _ in edges if c == caller}
    return len(peers) >= 2


def _paged_elsewhere(
    evidence: dict[str, Evidence], incident: Incident, others: Sequence[Incident]
) -> None:
    """Mark candidates whose own alerts all went to another incident.

    When two faults page at once, each culprit shows up as a candidate of the other
    incident too (they share callers). Correlation already judged that its alerts form
    a separate incident, so its anomaly is explained there and is weak evidence here.
    """
    for service, ev in evidence.items():
        if ev.alerted:
            continue
        for other in sorted(others, key=lambda i: i.id):
            names = sorted({a.name for a in other.alerts if a.service == service})
            if names:
                ev.elsewhere = other.id
                ev.lines.append(
                    f"its own alerts ({', '.join(names)}) belong to incident {other.id}, "
                    "which explains its anomaly better than this one"
                )
                break


def _base_score(ev: Evidence) -> float:
    """Weighted evidence; halved when something it calls is anomalous too.

    The deepest anomalous service explains its callers' symptoms, so a service with an
    anomalous callee is probably a victim. Time lost on the way into a service is the
    exception: nothing it calls can have delayed requests before they reached it.
    """
    time = 0.30 * max(ev.latency, ev.network)
    rest = (
        0.30 * ev.origin
        + 0.20 * ev.metric
        + 0.10 * ev.logs
        + 0.15 * ev.mention
        + (0.05 if ev.alerted else 0.0)
    )
    score = _own_score(ev, time, rest)
    if ev.elsewhere is not None:
        score *= ELSEWHERE_WEIGHT
    if not ev.linked:
        score *= OUTSIDER_WEIGHT
    return score


def _own_score(ev: Evidence, time: float, rest: float) -> float:
    if not ev.anomalous_callees:
        return time + rest
    if ev.wire_in and ev.network >= ev.latency:
        return time + 0.5 * rest
    return 0.5 * (time + rest)


def _hypotheses_for(
    ev: Evidence, snap: Snapshot, topology: Topology, incident_onset: datetime
) -> list[Hypothesis]:
    base = _base_score(ev)
    # A change is judged against the onset of the anomaly it would explain: the
    # service's own first anomalous sample when it has one (in an incident that merges
    # two faults, the first alert may belong to the other one).
    onset = ev.onset or incident_onset
    out: list[Hypothesis] = []
    scored = _change_scores(ev, snap, topology, onset)
    no_change_kind = kind_without_change(ev.kind_evidence())
    if base > 0:
        out.append(Hypothesis(
            service=ev.service, kind=no_change_kind, score=_scaled(base),
            pod=_one_pod(ev), evidence=list(ev.lines),
        ))
    # A change on a service explains every call it makes that fails, whichever side the
    # call pattern alone would blame: a new endpoint, timeout or pool breaks the caller's
    # calls to a peer that is itself fine.
    changed = ev
    if ev.made > ev.origin:
        changed = copy(ev)
        changed.origin = ev.made
    change_base = _base_score(changed)
    for cs in scored[:2]:
        if cs.score <= 0.05:
            continue
        kind = CHANGE_KIND_TO_CAUSE.get(cs.change.kind, cs.change.kind)
        # A change is only as strong as the symptom it is said to explain; a service
        # nobody observes gets the benefit of the doubt, one that looks healthy does not.
        support = min(1.0, changed.symptom * 1.5) if ev.observed else 0.35
        fit = cs.score * support
        # A change that fits the timing and place is the more specific explanation of
        # the same evidence, so it outranks the no-change reading of that service.
        score = change_base * (0.7 + 0.6 * fit) + 0.08 * fit
        lines = [f"change {cs.change.id} ({cs.change.kind}, {cs.change.summary or 'no summary'}): "
                 + "; ".join(cs.reasons), *ev.lines]
        out.append(Hypothesis(
            service=ev.service, kind=kind, change=cs.change.id, score=_scaled(score),
            pod=_one_pod(ev), evidence=lines,
        ))
    return out


def _change_scores(
    ev: Evidence, snap: Snapshot, topology: Topology, onset: datetime
) -> list[ChangeScore]:
    if not snap.changes:
        return []
    out = [
        score_change(change, ev.service, onset, topology, ev.pods)
        for change in snap.changes
        if onset - change.at <= CHANGE_LOOKBACK and change.service == ev.service
    ]
    out = [cs for cs in out if cs.score > 0]
    out.sort(key=lambda cs: (-cs.score, cs.change.id))
    return out


def _time_strength(base_ms: float, now_ms: float) -> float:
    """How much a rise in time matters: relative to what it was, and in absolute terms.

    Fourfold is a lot, but fourfold from 2 ms is nothing a user notices, and 200 ms
    more is not the same as 1.5 s more; both parts must be large for a strong signal.
    """
    rise = now_ms - base_ms
    relative = _clamp(rise / max(base_ms, MS_FLOOR) / 4.0)
    return relative * rise / (rise + ABSOLUTE_HALF_MS)


def _confidence(slow: int) -> float:
    """How far a shift carried by `slow` requests can be trusted.

    One or two slow calls happen by chance (a pause, a cold connection) and move an
    upper quartile over a few samples as much as a real fault does; a shift counts in
    full only once enough requests carry it, and in proportion below that.
    """
    return min(1.0, slow / CARRIED_FULL)


def _scaled(raw: float) -> float:
    return round(min(raw / SCORE_SCALE, 0.99), 4)


def _one_pod(ev: Evidence) -> str | None:
    return next(iter(sorted(ev.pods))) if len(ev.pods) == 1 else None


def _clamp(value: float) -> float:
    return max(0.0, min(1.0, value))


def _fmt(value: float) -> str:
    if abs(value) >= 100:
        return f"{value:.0f}"
    if abs(value) >= 1:
        return f"{value:.2f}"
    return f"{value:.3f}"
