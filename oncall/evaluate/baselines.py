"""Three simple baselines, scored on the same cases as `oncall`, so its numbers mean
something: what would a responder get from the tools they already have?

- Alertmanager `group_by: [alertname, service]`: every firing alert that is not
  silenced or inhibited is grouped by those two labels; only silenced or inhibited
  alerts count as noise. The default way pages are batched today.
- Most recent change: the culprit is the latest change before `now` (its service,
  its id, its kind); older changes follow, newest first. "What changed?" is the first
  question on every bridge call.
- Max z-score: the service owning the single metric series that moved most, by robust
  z-score (median and MAD of the 30 minutes before the incident's earliest firing
  alert against every sample after it). The textbook anomaly-ranking baseline.

Each is written here from the contract, independently of the product's correlator and
analyzers, so a shared mistake cannot flatter both.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from statistics import median

from oncall.evaluate.prediction import Candidate
from oncall.model import Alert, Change, MetricSeries

BASELINE_WINDOW = timedelta(minutes=30)
MIN_BASELINE_SAMPLES = 3
# Scales that turn a median absolute deviation (or a mean absolute deviation, when
# more than half the baseline sits on the median) into a standard deviation.
MAD_TO_SIGMA = 1.4826
MEAN_AD_TO_SIGMA = 1.2533
# Change kinds are the vocabulary of changes.yaml; a scaling change, as a cause, is the
# cause kind `capacity`. The other change kinds are cause kinds too.
CHANGE_TO_CAUSE_KIND = {"scale": "capacity"}


@dataclass(frozen=True, slots=True)
class Grouping:
    groups: tuple[frozenset[str], ...]
    noise: frozenset[str]
    firing: int


def alertmanager_groups(alerts: Iterable[Alert], now: datetime) -> Grouping:
    """Alertmanager-style `group_by: [alertname, service]` over the alerts firing at
    `now`; each fingerprint counts once, with the labels of its latest firing episode."""
    current: dict[str, Alert] = {}
    for alert in alerts:
        if not alert.firing_at(now):
            continue
        held = current.get(alert.fingerprint)
        if held is None or _stamp(alert) >= _stamp(held):
            current[alert.fingerprint] = alert
    groups: dict[tuple[str, str], set[str]] = defaultdict(set)
    noise: set[str] = set()
    for fingerprint, alert in current.items():
        if alert.silenced_by or alert.inhibited_by or alert.state == "suppressed":
            noise.add(fingerprint)
        else:
            groups[(alert.name, alert.service or "")].add(fingerprint)
    return Grouping(
        groups=tuple(frozenset(groups[key]) for key in sorted(groups)),
        noise=frozenset(noise),
        firing=len(current),
    )


def _stamp(alert: Alert) -> tuple[datetime, datetime]:
    return (alert.updated_at or alert.starts_at, alert.starts_at)


def most_recent_change(changes: Iterable[Change], now: datetime) -> list[Candidate]:
    """Every change at or before `now`, newest first, as a root-cause candidate."""
    known = sorted((c for c in changes if c.at <= now), key=lambda c: (c.at, c.id), reverse=True)
    return [Candidate(c.service, c.id, CHANGE_TO_CAUSE_KIND.get(c.kind, c.kind)) for c in known]


def max_zscore(series: Iterable[MetricSeries], onset: datetime) -> list[Candidate]:
    """Services ranked by the largest robust z-score of any one of their series.

    A series whose baseline has no spread at all (constant) has no z-score and is
    skipped, as are series with fewer than three baseline samples or none after;
    non-finite samples (NaN, Inf) are ignored.
    The baseline names a service only: no change, no kind.
    """
    start, end = (onset - BASELINE_WINDOW).timestamp(), onset.timestamp()
    best: dict[str, float] = {}
    for s in series:
        if not s.service:
            continue
        z = robust_z(s.samples, start, end)
        if z is not None and z > best.get(s.service, -1.0):
            best[s.service] = z
    ranked = sorted(best, key=lambda svc: (-best[svc], svc))
    return [Candidate(service, None, None) for service in ranked]


def robust_z(samples: Iterable[tuple[float, float]], start: float, end: float) -> float | None:
    """max |x - median| / sigma over the samples at or after `end`, where median and
    sigma come from the samples in [start, end)."""
    base: list[float] = []
    after: list[float] = []
    for t, v in samples:
        if not math.isfinite(v):
            continue
        if start <= t < end:
            base.append(v)
        elif t >= end:
            after.append(v)
    if len(base) < MIN_BASELINE_SAMPLES or not after:
        return None
    centre = median(base)
    deviations = [abs(v - centre) for v in base]
    sigma = MAD_TO_SIGMA * median(deviations)
    if sigma == 0:
        sigma = MEAN_AD_TO_SIGMA * sum(deviations) / len(deviations)
    if sigma == 0:
        return None
    return max(abs(v - centre) for v in after) / sigma
