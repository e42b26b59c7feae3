"""The three baselines on inputs small enough to work out by hand."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from oncall.evaluate.baselines import (
    alertmanager_groups,
    max_zscore,
    most_recent_change,
    robust_z,
)
from oncall.model import Alert, Change, MetricSeries

NOW = datetime(2026, 3, 14, 2, 19, tzinfo=UTC)


def _alert(fp: str, name: str, service: str | None, started_min_ago: int = 5,
           ends_in_min: int = 10, silenced: bool = False) -> Alert:
    labels = {"alertname": name, **({"service": service} if service else {})}
    return Alert(fingerprint=fp, labels=labels, annotations={},
                 starts_at=NOW - timedelta(minutes=started_min_ago),
                 ends_at=NOW + timedelta(minutes=ends_in_min), updated_at=None,
                 silenced_by=("s",) if silenced else ())


def test_alertmanager_groups_by_alertname_and_service() -> None:
    grouping = alertmanager_groups([
        _alert("a", "HighErrorRate", "checkout"),
        _alert("b", "HighErrorRate", "checkout"),
        _alert("a", "HighErrorRate", "checkout", started_min_ago=2),  # re-sent, same alert
        _alert("c", "HighErrorRate", "payments"),
        _alert("d", "HighLatency", "checkout"),
        _alert("e", "Watchdog", None),  # a heartbeat is not silenced: it gets a group
        _alert("s", "DiskSpaceLow", "batch", silenced=True),
        _alert("r", "HighLatency", "checkout", started_min_ago=30, ends_in_min=-10),  # resolved
    ], NOW)
    assert sorted(map(sorted, grouping.groups)) == [["a", "b"], ["c"], ["d"], ["e"]]
    assert grouping.noise == {"s"}
    assert grouping.firing == 6


def _change(ident: str, minutes_ago: int, kind: str = "deploy", service: str = "api") -> Change:
    return Change(id=ident, kind=kind, service=service, at=NOW - timedelta(minutes=minutes_ago))


def test_most_recent_change_ranks_newest_first() -> None:
    ranked = most_recent_change([
        _change("old", 120, service="db"),
        _change("new", 5, kind="scale", service="checkout"),
        _change("future", -5),  # after now: never seen
    ], NOW)
    assert [c.change for c in ranked] == ["new", "old"]
    assert ranked[0].service == "checkout"
    assert ranked[0].kind == "capacity"  # a scaling change, as a cause, is capacity
    assert ranked[1].kind == "deploy"
    assert most_recent_change([], NOW) == []


def _series(service: str, baseline: list[float], after: list[float],
            name: str = "latency_p95_seconds") -> MetricSeries:
    onset = NOW.timestamp() - 600
    samples = [(onset - 60 * (len(baseline) - i), v) for i, v in enumerate(baseline)]
    samples += [(onset + 60 * i, v) for i, v in enumerate(after)]
    return MetricSeries(name=name, labels={"service": service}, samples=tuple(samples))


def test_robust_z_by_hand() -> None:
    start, end = 0.0, 100.0
    # baseline 1,2,3,4,5: median 3, MAD 1 -> sigma 1.4826; after 6 -> z = 3 / 1.4826
    samples = [(10.0, 1.0), (20.0, 2.0), (30.0, 3.0), (40.0, 4.0), (50.0, 5.0), (100.0, 6.0)]
    assert abs(robust_z(samples, start, end) - 3 / 1.4826) < 1e-9  # type: ignore[operator]
    # more than half the baseline on the median: MAD 0, mean absolute deviation instead
    flat = [(10.0, 1.0), (20.0, 1.0), (30.0, 1.0), (40.0, 3.0), (100.0, 2.0)]
    assert abs(robust_z(flat, start, end) - 1 / (1.2533 * 0.5)) < 1e-9  # type: ignore[operator]
    assert robust_z([(10.0, 1.0), (20.0, 1.0), (30.0, 1.0), (100.0, 9.0)], start, end) is None
    assert robust_z([(10.0, 1.0), (20.0, 2.0), (100.0, 9.0)], start, end) is None  # too few
    assert robust_z([(10.0, 1.0), (20.0, 2.0), (30.0, 4.0)], start, end) is None  # no after


def test_max_zscore_ranks_services_by_their_strongest_series() -> None:
    onset = datetime.fromtimestamp(NOW.timestamp() - 600, UTC)
    wiggle = [0.10, 0.11, 0.09, 0.10, 0.12, 0.10]
    ranked = max_zscore([
        _series("api", wiggle, [0.13, 0.14]),
        _series("db", wiggle, [0.10, 0.90]),  # the big jump
        _series("db", wiggle, [0.10, 0.11], name="cpu_utilization"),
        _series("cache", [0.5] * 6, [5.0]),  # constant baseline: no z-score, not ranked
    ], onset)
    assert [c.service for c in ranked] == ["db", "api"]
    assert ranked[0].change is None and ranked[0].kind is None
