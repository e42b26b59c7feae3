"""Quality thresholds: the floor (and ceilings) CI holds the tool to.

`thresholds.yaml` has two maps, `minimum` (a metric may not fall below) and `maximum`
(may not rise above, e.g. `policy_violations: 0`), keyed by the metric names of
`oncall.evaluate.scorecard.METRICS`. A metric that could not be measured on the cases
given (nothing to count) fails its threshold: a gate that cannot be checked must not
pass silently. Unknown metric names are refused, so a typo cannot disable a gate, and so
is a limit outside the values the metric can take (`minimum: 1.5` for a rate in [0, 1]
could never be met; `maximum: 1.5` could never fail).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from oncall.evaluate.files import load_yaml
from oncall.evaluate.scorecard import METRICS
from oncall.sources.fields import Fields

SECTIONS = ("minimum", "maximum")
COUNT_METRICS = frozenset({"policy_violations"})  # counts; every other metric is in [0, 1]


@dataclass(frozen=True, slots=True)
class Thresholds:
    minimum: dict[str, float]
    maximum: dict[str, float]


@dataclass(frozen=True, slots=True)
class Failure:
    metric: str
    value: float | None
    bound: str  # minimum | maximum
    limit: float

    @property
    def message(self) -> str:
        if self.value is None:
            return f"{self.metric}: not measured on these cases ({self.bound} {self.limit:g})"
        relation = "below the minimum" if self.bound == "minimum" else "above the maximum"
        return f"{self.metric}: {self.value:.4g} is {relation} {self.limit:g}"


def load_thresholds(path: Path) -> Thresholds:
    return parse_thresholds(load_yaml(path), str(path))


def parse_thresholds(body: Any, path: str) -> Thresholds:
    f = Fields(path)
    if body is None:
        raise f.fail("", "is empty (expected 'minimum' and/or 'maximum' maps of metrics)")
    obj = f.mapping(body, "")
    for key in obj:
        if key not in SECTIONS:
            raise f.fail(str(key), "unknown section (expected 'minimum' or 'maximum')")
    sections: dict[str, dict[str, float]] = {}
    for section in SECTIONS:
        limits: dict[str, float] = {}
        for metric, raw in f.get_mapping(obj, section, "").items():
            where = f"{section}.{metric}"
            if metric not in METRICS:
                raise f.fail(where, f"unknown metric (expected one of {', '.join(METRICS)})")
            value = f.number(raw, where)
            low, high = metric_range(str(metric))
            if not (low <= value <= high and math.isfinite(value)):  # also refuses nan
                span = f"{low:g} or more" if high == math.inf else f"{low:g} to {high:g}"
                raise f.fail(where, f"{value:g} is outside the range of {metric} ({span})")
            limits[str(metric)] = value
        sections[section] = limits
    if not sections["minimum"] and not sections["maximum"]:
        raise f.fail("", "lists no thresholds")
    return Thresholds(minimum=sections["minimum"], maximum=sections["maximum"])


def metric_range(metric: str) -> tuple[float, float]:
    """The values a metric can take: a count of violations is 0 or more; every other
    metric is a rate or a ratio in [0, 1]."""
    return (0.0, math.inf) if metric in COUNT_METRICS else (0.0, 1.0)


def check(values: dict[str, float | None], thresholds: Thresholds) -> list[Failure]:
    failures = []
    for metric, limit in thresholds.minimum.items():
        value = values.get(metric)
        if value is None or value < limit:
            failures.append(Failure(metric, value, "minimum", limit))
    for metric, limit in thresholds.maximum.items():
        value = values.get(metric)
        if value is None or value > limit:
            failures.append(Failure(metric, value, "maximum", limit))
    return failures
