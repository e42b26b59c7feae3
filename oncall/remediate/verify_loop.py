"""After a remediation runs: poll the metrics until recovery holds, or time runs out.

The targets are the remediation's `verify` map (`recovery_targets`: p95 latency and
error ratio back under each service's own baseline, else its SLO), written `<= X`. A
poll holds when every target has a fresh sample (stamped after the action ran, so the
bad minutes before it cannot count) and the worst series of each signal is within its
limit; a single good poll can be luck, so recovery needs `consecutive` holding polls in
a row. A poll with no data does not hold: silence is not health.

The reader is any callable returning fresh series for the services, so live Prometheus
plugs in as a function; `ReplayMetrics` replays a scenario's recorded samples on a
virtual clock, which also makes tests instant. Clock and sleep are injected for the
same reason.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from oncall.errors import InputError, OncallError
from oncall.model import MetricSeries
from oncall.sources.metrics import parse_metrics

MetricsReader = Callable[[list[str]], list[MetricSeries]]
Status = Literal["recovered", "not_recovered", "no_targets"]
DEFAULT_CONSECUTIVE = 3
DEFAULT_INTERVAL_SECONDS = 30.0


@dataclass(frozen=True, slots=True)
class Target:
    service: str
    signal: str
    limit: float

    @property
    def key(self) -> str:
        return f"{self.service}/{self.signal}"


@dataclass(frozen=True, slots=True)
class Poll:
    at: float  # seconds after verification started
    values: dict[str, float | None]  # target key -> worst fresh value (None: no data)
    holds: bool
    note: str = ""


@dataclass(slots=True)
class VerifyOutcome:
    status: Status
    reason: str
    needed: int
    polls: list[Poll] = field(default_factory=list)
    elapsed_seconds: float = 0.0

    @property
    def recovered(self) -> bool:
        return self.status == "recovered"

    def as_dict(self) -> dict[str, object]:
        last = self.polls[-1].values if self.polls else {}
        return {"status": self.status, "reason": self.reason, "polls": len(self.polls),
                "needed": self.needed, "elapsed_seconds": round(self.elapsed_seconds, 1),
                "last": last}


def parse_targets(service: str, verify: dict[str, str]) -> list[Target]:
    """`{"latency_p95_seconds": "<= 0.134"}` -> targets; other shapes are skipped (the
    planner writes only `<=`), and a non-finite limit is no target."""
    out: list[Target] = []
    for signal, text in verify.items():
        op, _, number = text.strip().partition(" ")
        if op != "<=":
            continue
        try:
            limit = float(number)
        except ValueError:
            continue
        if math.isfinite(limit):
            out.append(Target(service, signal, limit))
    return out


def verify_recovery(
    targets: list[Target],
    reader: MetricsReader,
    *,
    since: float,
    timeout_seconds: float,
    interval_seconds: float = DEFAULT_INTERVAL_SECONDS,
    consecutive: int = DEFAULT_CONSECUTIVE,
    clock: Callable[[], float] = time.time,
    sleep: Callable[[float], None] = time.sleep,
) -> VerifyOutcome:
    """Polls until `consecutive` polls hold or `timeout_seconds` pass. `since` is the unix
    time the action ran: older samples are not evidence of recovery."""
    needed = max(1, consecutive)
    if not targets:
        return VerifyOutcome("no_targets", "no recovery targets (no baseline and no SLO for "
                             "the service): recovery cannot be checked", needed)
    if interval_seconds <= 0:
        raise ValueError("interval_seconds must be positive")
    services = sorted({t.service for t in targets})
    start = clock()
    outcome = VerifyOutcome("not_recovered", "", needed)
    streak = 0
    max_polls = int(timeout_seconds / interval_seconds) + 1  # bounded even if time stalls
    for _ in range(max(1, max_polls)):
        poll = _poll(targets, reader, services, since, clock(), clock() - start)
        outcome.polls.append(poll)
        streak = streak + 1 if poll.holds else 0
        if streak >= needed:
            outcome.status = "recovered"
            outcome.reason = f"every target held for {needed} consecutive poll(s)"
            break
        if clock() - start + interval_seconds > timeout_seconds:
            break
        sleep(interval_seconds)
    outcome.elapsed_seconds = clock() - start
    if outcome.status != "recovered":
        outcome.reason = _failure(targets, outcome, streak)
    return outcome


def _poll(targets: list[Target], reader: MetricsReader, services: list[str], since: float,
          now: float, at: float) -> Poll:
    try:
        series = reader(services)
    except OncallError as exc:
        return Poll(at, {t.key: None for t in targets}, False, f"metrics unavailable: {exc}")
    values = {t.key: _worst(series, t, since, now) for t in targets}
    holds = all(_within(values[t.key], t.limit) for t in targets)
    return Poll(at, values, holds)


def _within(value: float | None, limit: float) -> bool:
    return value is not None and value <= limit


def _worst(series: list[MetricSeries], target: Target, since: float, now: float) -> float | None:
    """The highest latest-fresh value over the service's series of this signal (per pod:
    one bad pod is enough to not be recovered)."""
    latest: list[float] = []
    for s in series:
        if s.name != target.signal or s.service != target.service:
            continue
        fresh = [v for t, v in s.samples if since <= t <= now and math.isfinite(v)]
        if fresh:
            latest.append(fresh[-1])
    return max(latest) if latest else None


def _failure(targets: list[Target], outcome: VerifyOutcome, streak: int) -> str:
    last = outcome.polls[-1] if outcome.polls else None
    if last is None:
        return "no poll was made"
    missing = [t.key for t in targets if last.values.get(t.key) is None]
    over = [f"{t.key} {value:.4g} > {t.limit:.4g}" for t in targets
            if (value := last.values.get(t.key)) is not None and value > t.limit]
    parts = []
    if over:
        parts.append("still over target: " + ", ".join(over))
    if missing:
        parts.append("no fresh data for " + ", ".join(missing))
    if last.note:
        parts.append(last.note)
    if not parts:
        parts.append(f"held for only {streak} of {outcome.needed} consecutive polls")
    return f"not recovered after {outcome.elapsed_seconds:.0f} s: " + "; ".join(parts)


class ReplayMetrics:
    """A scenario's recorded metrics as a reader, revealed on a virtual clock.

    `sleep` advances the clock instead of waiting, so verification over a recording
    (an example, an eval case, a test) replays minutes of samples at once. Only samples
    stamped at or before the virtual time are returned, as a live query would.
    """

    def __init__(self, series: list[MetricSeries], start: float) -> None:
        self.series = series
        self.now = start

    @classmethod
    def from_scenario(cls, root: Path, start: float) -> ReplayMetrics:
        """Every sample of `metrics.json`, including those after the scenario's `now`
        (the triage never reads those; verification is what they are for)."""
        path = root / "metrics.json"
        if not path.exists():
            return cls([], start)
        try:
            body = json.loads(path.read_text(encoding="utf-8-sig"))
        except (OSError, ValueError, RecursionError) as exc:
            raise InputError(str(path), f"cannot be read as JSON ({exc})") from None
        return cls(parse_metrics(body, str(path)), start)

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds

    def __call__(self, services: list[str]) -> list[MetricSeries]:
        wanted = set(services)
        return [MetricSeries(s.name, s.labels, tuple(p for p in s.samples if p[0] <= self.now))
                for s in self.series if s.service in wanted]
