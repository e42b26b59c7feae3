"""Verification signals: p95 and error ratio per service against the recovery targets.

"Did it work?" is answered by the same two signals `remediate.verify.recovery_targets`
sets targets for. Across pods the worst value per instant counts (as impact does): a
remediation has not worked while one pod is still burning. The window starts half an
hour before the first alert so the sparkline shows the baseline it must return to.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import timedelta

from oncall.model import Incident, MetricSeries
from oncall.remediate.verify import TARGET_SIGNALS

WINDOW_BEFORE = timedelta(minutes=30)
SIGNAL_LABEL = {"latency_p95_seconds": "p95 s", "error_ratio": "error ratio"}


@dataclass(frozen=True, slots=True)
class SignalView:
    service: str
    signal: str
    values: tuple[float, ...]  # worst across pods, one per sample instant, oldest first
    target: str | None  # "<= 0.134" from a remediation's verify targets, if any

    @property
    def latest(self) -> float | None:
        return self.values[-1] if self.values else None

    @property
    def status(self) -> str:
        """`recovered`, `above target`, or `no target` / `no data`."""
        if self.latest is None:
            return "no data"
        limit = _limit(self.target)
        if limit is None:
            return "no target"
        return "recovered" if self.latest <= limit else "above target"


def verification_signals(
    incident: Incident, metrics: list[MetricSeries] | None
) -> list[SignalView]:
    """One view per (service, signal) that a remediation targets or a top cause names."""
    services = list(dict.fromkeys([*(r.target for r in incident.remediations),
                                   *(h.service for h in incident.hypotheses[:2])]))
    lo = (incident.started_at - WINDOW_BEFORE).timestamp()
    worst: dict[tuple[str, str], dict[float, float]] = defaultdict(dict)
    for series in metrics or ():
        if series.service in services and series.name in TARGET_SIGNALS:
            points = worst[(series.service, series.name)]
            for t, v in series.samples:
                if t >= lo:
                    points[t] = max(v, points.get(t, v))
    views = []
    for service in services:
        for signal in TARGET_SIGNALS:
            found = worst.get((service, signal), {})
            target = _target(incident, service, signal)
            if not found and target is None:
                continue
            values = tuple(found[t] for t in sorted(found))
            views.append(SignalView(service, signal, values, target))
    return views


def _target(incident: Incident, service: str, signal: str) -> str | None:
    for remediation in incident.remediations:
        if remediation.target == service and signal in remediation.verify:
            return remediation.verify[signal]
    return None


def _limit(target: str | None) -> float | None:
    """`"<= 0.134"` -> 0.134; anything else is shown but not judged."""
    if not target:
        return None
    text = target.strip()
    if not text.startswith("<="):
        return None
    try:
        return float(text[2:].strip())
    except ValueError:
        return None
