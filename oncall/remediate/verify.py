"""Recovery targets: what "back to baseline" means for each service.

The baseline is the median of the service's own series before the incident; where
there is no series, the catalog's SLO stands in. A remediation is verified when every
target holds again within the verification window.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta

from oncall.model import Catalog, MetricSeries

TARGET_SIGNALS = ("latency_p95_seconds", "error_ratio")
BASELINE_WINDOW = timedelta(minutes=30)


def recovery_targets(
    services: list[str],
    metrics: list[MetricSeries] | None,
    catalog: Catalog | None,
    onset: datetime,
) -> dict[str, dict[str, str]]:
    lo, hi = (onset - BASELINE_WINDOW).timestamp(), onset.timestamp()
    values: dict[tuple[str, str], list[float]] = defaultdict(list)
    for series in metrics or ():
        if series.service in services and series.name in TARGET_SIGNALS:
            values[(series.service, series.name)].extend(
                v for t, v in series.samples if lo <= t < hi
            )
    out: dict[str, dict[str, str]] = {}
    for service in services:
        targets: dict[str, str] = {}
        entity = catalog.get(service) if catalog else None
        for signal in TARGET_SIGNALS:
            base = values.get((service, signal))
            if base:
                baseline = sorted(base)[len(base) // 2]
                limit = baseline * 1.2 if signal.startswith("latency") else baseline + 0.005
                targets[signal] = f"<= {_round(limit)}"
                continue
            slo_key = ("oncall/slo-latency-p95-seconds" if signal.startswith("latency")
                       else "oncall/slo-error-ratio")
            slo = entity.number(slo_key) if entity else None
            if slo is not None:
                targets[signal] = f"<= {_round(slo)}"
        out[service] = targets
    return out


def _round(value: float) -> str:
    return f"{value:.3g}" if value < 10 else f"{value:.0f}"
