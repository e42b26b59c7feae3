"""Change evidence: how well each deploy, push or flip explains the anomaly.

A change explains a symptom when it landed shortly before the onset, on the service
that misbehaves (or one hop from it), and, for partial rollouts, on the pods that
misbehave. A change after the onset cannot be its cause, however recent it looks.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime

from oncall.model import Change
from oncall.topology import Topology

KIND_PRIOR = {"deploy": 1.0, "config": 1.0, "flag": 1.0, "cert": 1.0, "infra": 0.8, "scale": 0.7}
HALF_LIFE_MINUTES = 30.0
# The onset is the first sample, span or alert that already shows the anomaly, so a
# change stamped after it came too late to cause it, however close.
GRACE_SECONDS = 0


@dataclass(slots=True)
class ChangeScore:
    change: Change
    score: float
    reasons: list[str]


def score_change(
    change: Change,
    service: str,
    onset: datetime,
    topology: Topology,
    anomalous_pods: set[str],
) -> ChangeScore:
    reasons: list[str] = []
    gap_s = (onset - change.at).total_seconds()
    if gap_s < -GRACE_SECONDS:
        return ChangeScore(change, 0.0, [f"landed {_minutes(-gap_s)} after the onset"])
    timing = math.exp(-max(gap_s, 0.0) / 60.0 / HALF_LIFE_MINUTES * math.log(2))
    reasons.append(f"landed {_minutes(max(gap_s, 0))} before the onset")
    if change.service == service:
        place = 1.0
    else:
        hops = topology.distance(change.service, service)
        if hops is None or hops > 2:
            return ChangeScore(change, 0.0, [f"on {change.service}, unrelated to {service}"])
        place = 0.35 / hops
        reasons.append(f"on {change.service}, {hops} hop(s) from {service}")
    pods = 1.0
    if change.pods and anomalous_pods:
        hit = anomalous_pods & set(change.pods)
        if hit:
            pods = 1.2
            reasons.append(f"reached exactly the misbehaving pods ({', '.join(sorted(hit))})")
        else:
            pods = 0.4
            reasons.append("reached pods other than the misbehaving ones")
    score = min(1.0, timing * place * pods * KIND_PRIOR.get(change.kind, 0.7))
    return ChangeScore(change, score, reasons)


def _minutes(seconds: float) -> str:
    minutes = seconds / 60.0
    if minutes < 1.5:
        return f"{int(seconds)} s"
    if minutes < 120:
        return f"{minutes:.0f} min"
    return f"{minutes / 60:.1f} h"
