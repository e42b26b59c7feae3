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
        raise f.fail("status", f"Prometheus answered {status!r}: {obj.get('error', '')}")
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
            value = f.number(point[1], f"{pw}[1]")
            if math.isnan(value):
                continue
            samples.append((f.number(point[0], f"{pw}[0]"), value))
        samples.sort()
        out.append(MetricSeries(name=name, labels=labels, samples=tuple(samples)))
    return out
