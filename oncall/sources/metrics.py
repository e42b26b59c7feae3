"""Metrics: Prometheus `GET /api/v1/query_range` bodies (matrix)."""

from __future__ import annotations

import math
from typing import Any

from oncall.model import MetricSeries
from oncall.sources.fields import Fields


def parse_metrics(body: Any, path: str) -> list[MetricSeries]:
    f = Fields(path)
    obj = f.mapping(body, "")
    status = obj.get("status", "success")
    if status != "success":
        error = obj.get("error", "") if isinstance(obj.get("error"), str) else ""
        raise f.fail("status", f"Prometheus answered {str(status)[:40]!r}: {error[:200]}")
    data = f.get_mapping(obj, "data", "")
    result_type = data.get("resultType", "matrix")
    if result_type != "matrix":
        raise f.fail("data.resultType", f"expected 'matrix', got {result_type!r}")
    out: list[MetricSeries] = []
    for i, raw in enumerate(f.get_list(data, "result", "data")):
        where = f"data.result[{i}]"
        series = f.mapping(raw, where)
        labels = f.string_map(series, "metric", where)
        name = labels.pop("__name__", "") or "value"
        samples: list[tuple[float, float]] = []
        for j, pair in enumerate(f.get_list(series, "values", where)):
            pw = f"{where}.values[{j}]"
            point = f.sequence(pair, pw)
            if len(point) != 2:
                raise f.fail(pw, "expected [unix_seconds, \"value\"]")
            stamp = f.number(point[0], f"{pw}[0]")
            if not math.isfinite(stamp):
                raise f.fail(f"{pw}[0]", "expected a finite unix time")
            value = f.number(point[1], f"{pw}[1]")
            # Prometheus writes "NaN" and "+Inf"/"-Inf" (a quantile of an empty bucket,
            # a division by zero): they are gaps in the signal, not values, and a single
            # infinity would swallow every median and z-score computed from the series.
            if not math.isfinite(value):
                continue
            samples.append((stamp, value))
        samples.sort()
        out.append(MetricSeries(name=name, labels=labels, samples=tuple(samples)))
    return out
