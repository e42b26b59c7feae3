"""Ranking: combine trace, metric, log and change evidence into hypotheses.

Every candidate service below the incident's alerting services is scored on the
evidence it shows itself (failure origins, self-time and network gaps, metric shifts,
error logs), on where it sits (the deepest anomalous service explains the symptoms of
its callers) and on the changes that could explain it. The kind of cause follows from
the dominant evidence; a change wins only when it explains the anomaly better than the
no-change reading does. Every score comes with the sentences that justify it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from oncall.analyze.changes import ChangeScore, score_change
from oncall.analyze.logs import LogFindings, analyze_logs
from oncall.analyze.metrics import SignalAnomaly, analyze_metrics
from oncall.analyze.traces import TraceFindings, analyze_traces
from oncall.model import Hypothesis, Incident, Snapshot
from oncall.topology import Topology

CANDIDATE_HOPS = 3
CHANGE_LOOKBACK = timedelta(hours=6)
MAX_HYPOTHESES = 5
CHANGE_KIND_TO_CAUSE = {"scale": "capacity"}
CONTEXT_SIGNALS = frozenset({"request_rate"})  # load explains, it does not indict
CERT_WORDS = ("x509", "certificate", "tls handshake", "ssl")
CAPACITY_WORDS = ("oomkilled", "out of memory", "throttl", "queue full", "rejected execution")


@dataclass(slots=True)
class Evidence:
    """What one candidate service shows, each part scaled to 0..1."""

    service: str
    origin: float = 0.0
    latency: float = 0.0
    network: float = 0.0
    metric: float = 0.0
    saturation: float = 0.0
    errors_metric: float = 0.0
    logs: float = 0.0
    mention: float = 0.0
    alerted: bool = False
    anomalous_callees: list[str] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)
    pods: set[str] = field(default_factory=set)
    onset: datetime | None = None
    hints: set[str] = field(default_factory=set)
    observed: bool = False  # any trace, series or log line of its own

    @property
    def symptom(self) -> float:
        return max(self.origin, self.latency, self.network, self.metric, self.logs, self.mention)

    @property
    def anomalous(self) -> bool:
        return self.alerted or self.symptom >= 0.2


@dataclass(slots=True)
class Signals:
    """Findings computed once per incident and shared by every candidate."""

    traces: TraceFindings | None
    metrics: dict[str, list[SignalAnomaly]] | None
    logs: LogFindings | None
    observed: set[str] = field(default_factory=set)


def analyze_incident(incident: Incident, snap: Snapshot, topology: Topology) -> list[Hypothesis]:
    onset = incident.started_at
    signals = Signals(
        traces=analyze_traces(snap.spans, _micros(onset)) if snap.spans else None,
        metrics=analyze_metrics(snap.metrics, onset.timestamp()) if snap.metrics else None,
        logs=None,
        observed=_observed(snap),
    )
    if snap.logs:
        span_service = {s.trace_id: s.service for s in snap.spans or () if s.error}
        signals.logs = analyze_logs(snap.logs, onset.timestamp(), span_service)
    candidates = _candidates(incident, topology, snap)
    spread = _signal_spread(signals.metrics, candidates)
    evidence = {
        c: _evidence(c, incident, signals, snap, topology, candidates, spread) for c in candidates
    }
    _place(evidence, topology)
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


def _candidates(incident: Incident, topology: Topology, snap: Snapshot) -> list[str]:
    out: dict[str, None] = {}
    for service in incident.services:
        out[service] = None
        if service in topology:
            for dep in topology.downstream(service, CANDIDATE_HOPS):
                out[dep] = None
    return sorted(out)


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
    _trace_evidence(ev, signals.traces, candidates)
    _metric_evidence(ev, signals.metrics, spread)
    _log_evidence(ev, signals.logs, candidates)
    _mention_evidence(ev, signals, snap, topology)
    return ev


def _observed(snap: Snapshot) -> set[str]:
    """Services with telemetry of their own: spans, series or log lines."""
    seen: set[str] = {s.service for s in snap.spans or ()}
    seen.update(m.service for m in snap.metrics or () if m.service)
    seen.update(ln.service for ln in snap.logs or () if ln.service)
    return seen


def _trace_evidence(ev: Evidence, found: TraceFindings | None, candidates: list[str]) -> None:
    if found is None:
        return
    service = ev.service
    total = sum(found.origins[c] for c in candidates)
    mine = found.origins.get(service, 0)
    if total and mine:
        ev.origin = mine / total
        ops = found.origin_operations[service].most_common(2)
        ev.lines.append(
            f"{mine} of {total} failing traces originate in {service} "
            f"(deepest failing span; e.g. {', '.join(op for op, _ in ops)})"
        )
        pods = found.origin_pods.get(service)
        if pods:
            top_pods = [p for p, n in pods.most_common() if n >= 0.2 * mine]
            if len(top_pods) < len(pods) or len(pods) == 1:
                ev.pods.update(top_pods)
                ev.lines.append(f"failures concentrate on pod(s) {', '.join(top_pods)}")
        for message, count in found.origin_messages[service].most_common(1):
            ev.lines.append(f"span error: \"{message[:120]}\" x{count}")
            ev.hints.update(_hints(message))
        versions = found.versions_failing.get(service)
        if versions and len(found.versions_total.get(service, {})) > 1:
            version, failing = versions.most_common(1)[0]
            ev.lines.append(f"failures concentrate on version {version} ({failing} failed spans)")
    shift = found.latency_shift(service)
    if shift and shift[1] - shift[0] >= 20:
        ev.latency = _clamp((shift[1] - shift[0]) / max(shift[0], 5.0) / 4.0)
        ev.lines.append(
            f"self-time of {service} spans rose from {shift[0]:.0f} ms to {shift[1]:.0f} ms"
        )
        by_pod = found.self_after_pods.get(service, {})
        if len(by_pod) > 1:
            slow = [p for p, v in by_pod.items() if _median(v) / 1000 - shift[0] >= 20]
            if 0 < len(slow) < len(by_pod):
                ev.pods.update(slow)
                ev.lines.append(f"only pod(s) {', '.join(sorted(slow))} are slow")
    net = found.network_shift(service)
    if net and net[1] - net[0] >= 20:
        ev.network = _clamp((net[1] - net[0]) / max(net[0], 5.0) / 4.0)
        ev.lines.append(
            f"time on calls to and from {service} outside any server span rose from "
            f"{net[0]:.0f} ms to {net[1]:.0f} ms"
        )


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
    for anomaly in metrics.get(ev.service, [])[:4]:
        if anomaly.signal in CONTEXT_SIGNALS:
            continue
        strength = _clamp(anomaly.z / 15.0) * spread.get(anomaly.signal, 1.0)
        family = anomaly.family
        if family == "saturation":
            ev.saturation = max(ev.saturation, strength)
        elif family == "errors":
            ev.errors_metric = max(ev.errors_metric, strength)
        if family != "other":
            ev.metric = max(ev.metric, strength)
        else:
            ev.metric = max(ev.metric, strength * 0.5)
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
    peak = max(logs.errors_recent.get(c, 0) for c in candidates) or 1
    ev.logs = count / peak
    templates = logs.templates[ev.service].most_common(2)
    ev.lines.append(f"{count} error log lines from {ev.service}; top: \"{templates[0][0][:120]}\""
                    if templates else f"{count} error log lines from {ev.service}")
    for template, _ in templates:
        ev.hints.update(_hints(template))


def _mention_evidence(ev: Evidence, signals: Signals, snap: Snapshot, topology: Topology) -> None:
    """A dependency nobody traces still shows up in its callers' error messages."""
    name = ev.service.lower()
    callers = set(topology.upstream(ev.service, 1)) if ev.service in topology else set()
    if not callers:
        return
    hits = total = 0
    for caller in callers:
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
    if hits:
        ev.mention = _clamp(hits / max(total, 1) * 1.5)
        ev.lines.append(f"{hits} error messages of its callers name {ev.service}")


def _place(evidence: dict[str, Evidence], topology: Topology) -> None:
    for service, ev in evidence.items():
        if service not in topology:
            continue
        below = topology.downstream(service, CANDIDATE_HOPS)
        ev.anomalous_callees = sorted(
            s for s in below if s in evidence and evidence[s].symptom >= 0.25
            and evidence[s].symptom >= 0.5 * ev.symptom
        )
        callers = [s for s in topology.upstream(service) if s in evidence and evidence[s].anomalous]
        if callers and ev.anomalous and not ev.anomalous_callees:
            ev.lines.append(
                f"deepest anomalous service: {len(callers)} anomalous caller(s) "
                f"({', '.join(sorted(callers)[:4])}), nothing anomalous below it"
            )


def _base_score(ev: Evidence) -> float:
    score = (
        0.30 * ev.origin
        + 0.30 * max(ev.latency, ev.network)
        + 0.20 * ev.metric
        + 0.10 * ev.logs
        + 0.15 * ev.mention
        + (0.05 if ev.alerted else 0.0)
    )
    if ev.anomalous_callees:
        score *= 0.5
    return score


def _hypotheses_for(
    ev: Evidence, snap: Snapshot, topology: Topology, incident_onset: datetime
) -> list[Hypothesis]:
    base = _base_score(ev)
    onset = min(ev.onset, incident_onset) if ev.onset else incident_onset
    out: list[Hypothesis] = []
    scored = _change_scores(ev, snap, topology, onset)
    no_change_kind = _kind_without_change(ev, snap)
    if base > 0:
        out.append(Hypothesis(
            service=ev.service, kind=no_change_kind, score=round(min(base, 0.99), 3),
            pod=_one_pod(ev), evidence=list(ev.lines),
        ))
    for cs in scored[:2]:
        if cs.score <= 0.05:
            continue
        kind = CHANGE_KIND_TO_CAUSE.get(cs.change.kind, cs.change.kind)
        # A change is only as strong as the symptom it is said to explain; a service
        # nobody observes gets the benefit of the doubt, one that looks healthy does not.
        support = min(1.0, ev.symptom * 1.5) if ev.observed else 0.35
        score = base * 0.6 + 0.45 * cs.score * support
        if ev.anomalous_callees:
            score *= 0.6
        lines = [f"change {cs.change.id} ({cs.change.kind}, {cs.change.summary or 'no summary'}): "
                 + "; ".join(cs.reasons), *ev.lines]
        out.append(Hypothesis(
            service=ev.service, kind=kind, change=cs.change.id, score=round(min(score, 0.99), 3),
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
        if onset - change.at <= CHANGE_LOOKBACK
    ]
    out = [cs for cs in out if cs.score > 0 and cs.change.service == ev.service]
    out.sort(key=lambda cs: (-cs.score, cs.change.id))
    return out


def _kind_without_change(ev: Evidence, snap: Snapshot) -> str:
    entity = snap.catalog.get(ev.service) if snap.catalog else None
    if entity is not None and entity.kind == "Resource":
        return "dependency"
    if ev.mention >= 0.2 and ev.origin < 0.2 and ev.metric < 0.2:
        return "dependency"
    if "capacity" in ev.hints or ev.saturation >= 0.3:
        return "capacity"
    if "cert" in ev.hints:
        return "cert"
    slow = max(ev.latency, ev.network)
    erroring = max(ev.origin, ev.logs, ev.errors_metric)
    if slow >= 0.2 and slow >= erroring:
        return "network"
    if erroring > 0:
        return "code"
    return "network" if slow > 0 or ev.metric > 0 else "code"


def _hints(text: str) -> set[str]:
    low = text.lower()
    out: set[str] = set()
    if any(w in low for w in CERT_WORDS):
        out.add("cert")
    if any(w in low for w in CAPACITY_WORDS):
        out.add("capacity")
    return out


def _one_pod(ev: Evidence) -> str | None:
    return next(iter(sorted(ev.pods))) if len(ev.pods) == 1 else None


def _clamp(value: float) -> float:
    return max(0.0, min(1.0, value))


def _median(values: list[int]) -> float:
    ordered = sorted(values)
    mid = len(ordered) // 2
    return float(ordered[mid]) if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2.0


def _fmt(value: float) -> str:
    if abs(value) >= 100:
        return f"{value:.0f}"
    if abs(value) >= 1:
        return f"{value:.2f}"
    return f"{value:.3f}"
