"""The metric vocabulary and the additive scorecard behind every number reported.

One scorecard per system (oncall or a baseline) per case; scorecards add up over
cases, and only then are rates taken, which makes every metric a micro-average. A
system fills in only what it claims to do (a grouping baseline has no root cause), so
"not applicable" stays distinct from "scored zero".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TypeVar

from oncall.evaluate.measures import PRF, Tally

# key -> one-line meaning, in display order. The keys are what thresholds.yaml names.
METRICS: dict[str, str] = {
    "clustering_precision": "alert pairs put together that belong together",
    "clustering_recall": "alert pairs that belong together and were put together",
    "clustering_f1": "harmonic mean of pairwise precision and recall",
    "noise_precision": "alerts called noise that are noise",
    "noise_recall": "noise alerts called noise",
    "noise_reduction": "1 - incidents / firing alerts",
    "service_ac1": "true culprit service ranked first",
    "service_ac3": "true culprit service among the first three services",
    "change_ac1": "top cause names the culprit change (or none when there is none)",
    "kind_ac1": "top cause has the true kind",
    "action_accuracy": "first remediation has the expected action",
    "target_accuracy": "first remediation has the expected target",
    "remediation_top1": "first remediation has the expected action and target",
    "decision_accuracy": "the expected move carries the expected policy decision",
    "runbook_recall3": "expected runbooks among the first three retrieved",
    "policy_violations": "decisions more permissive than policy.yaml allows",
}
RATE_METRICS = tuple(
    k for k in METRICS if k not in ("clustering_precision", "clustering_recall", "clustering_f1",
                                    "noise_precision", "noise_recall", "noise_reduction",
                                    "policy_violations")
)
MAXIMUM_METRICS = frozenset({"policy_violations"})  # lower is better
_Summable = TypeVar("_Summable", PRF, Tally, int)


@dataclass(slots=True)
class Scorecard:
    clustering: PRF | None = None
    noise: PRF | None = None
    grouped: Tally | None = None  # hits = incidents produced, total = firing alerts
    rates: dict[str, Tally] = field(default_factory=dict)
    violations: int | None = None

    def __add__(self, other: Scorecard) -> Scorecard:
        rates = dict(self.rates)
        for key, value in other.rates.items():
            rates[key] = rates.get(key, Tally()) + value
        return Scorecard(
            clustering=_add(self.clustering, other.clustering),
            noise=_add(self.noise, other.noise),
            grouped=_add(self.grouped, other.grouped),
            rates=rates,
            violations=_add(self.violations, other.violations),
        )

    def values(self) -> dict[str, float | None]:
        """The metrics this system provides, in display order; None = nothing to count."""
        out: dict[str, float | None] = {}
        if self.clustering is not None:
            out["clustering_precision"] = self.clustering.precision
            out["clustering_recall"] = self.clustering.recall
            out["clustering_f1"] = self.clustering.f1
        if self.noise is not None:
            out["noise_precision"] = self.noise.precision
            out["noise_recall"] = self.noise.recall
        if self.grouped is not None:
            rate = self.grouped.rate
            out["noise_reduction"] = None if rate is None else 1.0 - rate
        for key in RATE_METRICS:
            if key in self.rates:
                out[key] = self.rates[key].rate
        if self.violations is not None:
            out["policy_violations"] = float(self.violations)
        return {k: out[k] for k in METRICS if k in out}


def _add(a: _Summable | None, b: _Summable | None) -> _Summable | None:
    if a is None:
        return b
    if b is None:
        return a
    return a + b
