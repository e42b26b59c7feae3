"""Recovery verification: fresh data only, the worst pod, N polls in a row, bounded time."""

from __future__ import annotations

import json
from pathlib import Path

from oncall.errors import SourceUnavailable
from oncall.model import MetricSeries
from oncall.remediate.verify_loop import (
    ReplayMetrics,
    Target,
    parse_targets,
    verify_recovery,
)

T0 = 1_773_454_740.0
LATENCY = Target("checkout", "latency_p95_seconds", 0.2)


def series(values: list[float], pod: str = "p1", start: float = T0,
           name: str = "latency_p95_seconds") -> MetricSeries:
    return MetricSeries(name, {"service": "checkout", "pod": pod},
                        tuple((start + 30 * i, v) for i, v in enumerate(values)))


def run(data: list[MetricSeries], consecutive: int = 3, timeout: float = 600,
        since: float = T0) -> tuple[str, int, str]:
    replay = ReplayMetrics(data, T0)
    out = verify_recovery([LATENCY], replay, since=since, timeout_seconds=timeout,
                          interval_seconds=30, consecutive=consecutive, clock=replay.clock,
                          sleep=replay.sleep)
    return out.status, len(out.polls), out.reason


def test_parse_targets_reads_the_planners_limits() -> None:
    targets = parse_targets("checkout", {"latency_p95_seconds": "<= 0.134",
                                         "error_ratio": "<= 0.00972", "odd": ">= 1",
                                         "inf": "<= inf"})
    assert [(t.signal, t.limit) for t in targets] == [("latency_p95_seconds", 0.134),
                                                      ("error_ratio", 0.00972)]


def test_recovery_needs_consecutive_holding_polls() -> None:
    assert run([series([0.1] * 10)])[:2] == ("recovered", 3)
    flapping = [0.1, 0.5, 0.1, 0.1, 0.5, 0.1, 0.1, 0.1]
    status, polls, _ = run([series(flapping)])
    assert (status, polls) == ("recovered", 8)
    assert run([series(flapping[:7])], timeout=180)[0] == "not_recovered"


def test_one_bad_pod_is_enough_to_not_be_recovered() -> None:
    status, _, reason = run([series([0.1] * 30), series([0.9] * 30, pod="p2")], timeout=120)
    assert status == "not_recovered" and "0.9 > 0.2" in reason


def test_samples_from_before_the_action_are_not_evidence() -> None:
    before = series([0.1] * 5, start=T0 - 600)  # healthy, but before the action ran
    status, _, reason = run([before], timeout=120)
    assert status == "not_recovered" and "no fresh data" in reason


def test_non_finite_samples_are_gaps() -> None:
    status, _, _ = run([series([float("nan")] * 20)], timeout=120)
    assert status == "not_recovered"


def test_the_loop_is_bounded_even_when_the_clock_stands_still() -> None:
    polls: list[int] = []

    def reader(services: list[str]) -> list[MetricSeries]:
        polls.append(1)
        return []

    out = verify_recovery([LATENCY], reader, since=T0, timeout_seconds=300,
                          interval_seconds=30, clock=lambda: T0, sleep=lambda s: None)
    assert out.status == "not_recovered" and len(polls) == 11


def test_an_unavailable_source_is_a_failed_poll_not_a_crash() -> None:
    def reader(services: list[str]) -> list[MetricSeries]:
        raise SourceUnavailable("prometheus (http://p): connection refused")

    out = verify_recovery([LATENCY], reader, since=T0, timeout_seconds=60,
                          interval_seconds=30, clock=lambda: T0, sleep=lambda s: None)
    assert out.status == "not_recovered" and "connection refused" in out.reason


def test_no_targets_cannot_be_verified() -> None:
    out = verify_recovery([], lambda s: [], since=T0, timeout_seconds=60)
    assert out.status == "no_targets" and out.polls == []


def test_replay_reads_samples_after_now_from_the_scenario(tmp_path: Path) -> None:
    body = {"status": "success", "data": {"resultType": "matrix", "result": [
        {"metric": {"__name__": "error_ratio", "service": "checkout"},
         "values": [[T0 - 30, "0.3"], [T0 + 30, "0.001"], [T0 + 60, "0.001"]]},
        {"metric": {"__name__": "error_ratio", "service": "payments"},
         "values": [[T0 + 30, "0.5"]]}]}}
    (tmp_path / "metrics.json").write_text(json.dumps(body))
    replay = ReplayMetrics.from_scenario(tmp_path, T0)
    assert [s.samples for s in replay(["checkout"])] == [((T0 - 30, 0.3),)]
    replay.sleep(60)
    assert len(replay(["checkout"])[0].samples) == 3
    assert ReplayMetrics.from_scenario(tmp_path / "nowhere", T0)(["checkout"]) == []
