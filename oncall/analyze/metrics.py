"""Metric evidence: per service and signal, how far the recent window left its baseline.

Robust statistics (median and MAD) so one earlier spike does not hide a real shift;
a magnitude floor so a flat series that wiggles is not called an anomaly.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from oncall.model import MetricSeries

# Signals with a known meaning and the direction that hurts.
BAD_WHEN_HIGH = {
    "latency_p95_seconds": "latency",
    "latency_p99_seconds": "latency",
    # what a service waits for on the calls it makes: the callees' latency plus the
    # path to them, so it points below the service rather than at its own code
    "client_latency_p95_seconds": "downstream",
    "error_ratio": "errors",
    "cpu_utilization": "saturation",
    "memory_utilization": "saturation",
    "saturation": "saturation",
}
BASELINE_MINUTES = 30
GUARD_MINUTES = 2
Z_ANOMALY = 3.0


@dataclass(slots=True)
class SignalAnomaly:
    service: str
    signal: str
    z: float
    baseline: float
    peak: float
    onset: float | None  # unix seconds of the first anomalous sample
    pods: list[str] = field(default_factory=list)  # pods whose series is anomalous
    pods_total: int = 0

    @property
    def family(self) -> str:
        return BAD_WHEN_HIGH.get(self.signal, "other")


def analyze_metrics(series: list[MetricSeries], onset_ts: float) -> dict[str, list[SignalAnomaly]]:
    """Anomalies per service, strongest first."""
    grouped: dict[tuple[str, str], list[MetricSeries]] = defaultdict(list)
    for s in series:
        if s.service:
            grouped[(s.service, s.name)].append(s)
    out: dict[str, list[SignalAnomaly]] = defaultdict(list)
    lo, hi = _window(onset_ts)
    for (service, signal), members in sorted(grouped.items()):
        best: SignalAnomaly | None = None
        pods: list[str] = []
        pooled = [v for m in members for t, v in m.samples if lo <= t < hi]
        for member in members:
            found = _series_anomaly(member, onset_ts, pooled)
            if found is None:
                continue
            z, base, peak, onset = found
            if member.pod:
                pods.append(member.pod)
            if best is None or z > best.z:
                best = SignalAnomaly(service, signal, z, base, peak, onset)
        if best is not None:
            best.pods = sorted(pods)
            best.pods_total = len({m.pod for m in members if m.pod})
            out[service].append(best)
    for anomalies in out.values():
        anomalies.sort(key=lambda a: -a.z)
    return dict(out)


def _window(onset_ts: float) -> tuple[float, float]:
    """The baseline window: 30 minutes ending a guard interval before the onset."""
    return (onset_ts - (BASELINE_MINUTES + GUARD_MINUTES) * 60,
            onset_ts - GUARD_MINUTES * 60)


def _series_anomaly(
    series: MetricSeries, onset_ts: float, pooled: list[float] | None = None
) -> tuple[float, float, float, float | None] | None:
    """How far the series left its baseline since the onset.

    A pod that started inside the window (a rollout, a scale-up) has no history of its
    own; the baseline of its service's other pods for the same signal stands in.

    A sample counts only when it also leaves the range the baseline itself spanned:
    median and MAD ignore the baseline's spikes, so a spiky series (a p95 over a
    handful of requests, a periodic batch) would otherwise look anomalous every time
    it spikes again. A value the series already reached before the onset is its
    normal behaviour, not something new.
    """
    lo, hi = _window(onset_ts)
    base = [v for t, v in series.samples if lo <= t < hi]
    recent = [(t, v) for t, v in series.samples if t >= hi]
    if len(base) < 5 and pooled and len(pooled) >= 5:
        base = pooled
    if len(base) < 5 or not recent:
        return None
    med = _median(base)
    mad = _median([abs(v - med) for v in base]) * 1.4826
    high_bad = series.name in BAD_WHEN_HIGH
    scale = max(mad, abs(med) * 0.05, _floor(series.name))
    scored = [(t, (v - med) / scale if high_bad else abs(v - med) / scale, v) for t, v in recent]
    lowest, highest = min(base), max(base)
    onset: float | None = None
    peak_z, peak_v, hits = 0.0, med, 0
    for t, z, v in scored:
        new_level = v > highest if high_bad else (v > highest or v < lowest)
        if z >= Z_ANOMALY and new_level and _material(series.name, med, v):
            hits += 1
            onset = t if onset is None else onset
            if z > peak_z:
                peak_z, peak_v = z, v
    # A single stray sample is not an anomaly.
    if onset is None or (hits < 2 and len(scored) > 2):
        return None
    return min(peak_z, 50.0), med, peak_v, onset


def _floor(name: str) -> float:
    """The smallest spread worth taking seriously, in the signal's own unit."""
    if "latency" in name:
        return 0.01
    if name == "error_ratio":
        return 0.002
    if name in ("cpu_utilization", "memory_utilization", "saturation"):
        return 0.02
    return 1e-9


def _material(name: str, base: float, value: float) -> bool:
    if "latency" in name:
        return value >= base * 1.5 and value - base >= 0.05
    if name == "error_ratio":
        return value - base >= 0.01
    if name in ("cpu_utilization", "memory_utilization", "saturation"):
        return value - base >= 0.15
    return abs(value - base) >= 0.5 * max(abs(base), 1e-9)


def _median(values: list[float]) -> float:
    ordered = sorted(values)
    mid = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[mid]
    return (ordered[mid - 1] + ordered[mid]) / 2.0
