"""The live source: every configured connector fetched once, parsed, and kept.

`capture()` asks each connector for its part of the page-time picture and checks the
body with the wire-format parser a scenario file would go through. Only a body that
parses is kept, so `oncall snapshot` never writes a file `oncall triage` would then
refuse. A source that is down, or answers something unparseable, becomes a line in
`missing` with the reason, and triage goes on without it; only alerts are required,
since without them there is nothing to triage and an empty list would read as a quiet
night.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from oncall.errors import InputError, SourceUnavailable
from oncall.model import Snapshot
from oncall.sources.alerts import parse_alerts
from oncall.sources.catalog import parse_catalog
from oncall.sources.changes import parse_changes
from oncall.sources.live.base import PART_FILES, Connector, Window
from oncall.sources.logs import parse_logs
from oncall.sources.metrics import parse_metrics
from oncall.sources.policy import read_policy_file
from oncall.sources.traces import parse_traces

_PARSERS: dict[str, Callable[[Any, str], Any]] = {
    "alerts": parse_alerts,
    "traces": parse_traces,
    "metrics": parse_metrics,
    "logs": parse_logs,
    "changes": parse_changes,
    "catalog": parse_catalog,
}


@dataclass(slots=True)
class Capture:
    """The fetched bodies (scenario wire formats) and the snapshot parsed from them."""

    snapshot: Snapshot
    bodies: dict[str, Any] = field(default_factory=dict)
    policy_text: str | None = None
    answered: list[str] = field(default_factory=list)  # labels of sources that answered


class LiveSource:
    """Implements `Source`: `snapshot()` fetches from the live systems each time."""

    def __init__(
        self,
        connectors: Sequence[Connector],
        name: str = "live",
        window_minutes: float = 60.0,
        changes_hours: float = 24.0,
        step_seconds: float = 15.0,
        policy: Path | None = None,
        clock: Callable[[], datetime] | None = None,
        on_close: Callable[[], None] | None = None,
    ) -> None:
        self.connectors = list(connectors)
        self.name = name
        self.window_minutes = window_minutes
        self.changes_hours = changes_hours
        self.step_seconds = step_seconds
        self.policy = policy
        self.clock = clock or (lambda: datetime.now(UTC))
        self._on_close = on_close

    def snapshot(self) -> Snapshot:
        return self.capture().snapshot

    def alerts_only(self) -> Snapshot:
        """Alerts alone, the cheap poll `oncall watch` makes between full captures."""
        return self.capture(parts=("alerts",)).snapshot

    def capture(self, parts: Sequence[str] = tuple(PART_FILES)) -> Capture:
        now = _whole_second_after(self.clock())
        window = Window(
            start=now - timedelta(minutes=self.window_minutes),
            end=now,
            changes_start=now - timedelta(hours=self.changes_hours),
            step_seconds=self.step_seconds,
        )
        snap = Snapshot(name=self.name, now=now,
                        description=f"captured live at {now:%Y-%m-%dT%H:%M:%SZ}")
        capture = Capture(snapshot=snap)
        for part in parts:
            self._capture_part(capture, part, window)
        if self.policy is not None:
            capture.policy_text, snap.policy = read_policy_file(self.policy)
        elif "policy" not in snap.missing:
            snap.missing.append("policy: none configured")
        return capture

    def close(self) -> None:
        if self._on_close is not None:
            self._on_close()

    def __enter__(self) -> LiveSource:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _capture_part(self, capture: Capture, part: str, window: Window) -> None:
        snap = capture.snapshot
        connectors = [c for c in self.connectors if c.part == part]
        if not connectors:
            if part == "alerts":
                raise SourceUnavailable("alerts: no alert source configured")
            snap.missing.append(f"{part}: no source configured")
            return
        bodies: list[Any] = []
        for connector in connectors:
            try:
                fetched = connector.fetch(window)
                parsed = _PARSERS[part](fetched.body, connector.label)
            except (SourceUnavailable, InputError) as exc:
                if part == "alerts":
                    raise
                snap.missing.append(f"{part}: {exc}")
                continue
            capture.answered.append(connector.label)
            snap.missing.extend(f"{part}: {connector.label}: {p}" for p in fetched.problems)
            bodies.append(fetched.body)
            _set(snap, part, parsed, now=window.end)
        if bodies:
            capture.bodies[part] = _merge(part, bodies)


def _whole_second_after(moment: datetime) -> datetime:
    """`now` in whole seconds, as `scenario.yaml` stores it, rounded *up*: rounded down,
    an alert that started in the same second (Prometheus stamps sub-second times) would
    fall after `now` and vanish from the live triage and from its replay."""
    moment = moment.astimezone(UTC)
    if moment.microsecond:
        moment = moment.replace(microsecond=0) + timedelta(seconds=1)
    return moment


def _set(snap: Snapshot, part: str, parsed: Any, now: datetime) -> None:
    """Stores a parsed part, dropping whatever is stamped after `now`, as the scenario
    loader does, so live triage and the replay of its snapshot agree."""
    limit = now.timestamp()
    if part == "alerts":
        snap.alerts = [a for a in parsed if a.starts_at <= now]
    elif part == "traces":
        cutoff = int(limit * 1_000_000)
        snap.spans = [s for s in parsed if s.start_us <= cutoff]
    elif part == "metrics":
        snap.metrics = [type(m)(m.name, m.labels, tuple(p for p in m.samples if p[0] <= limit))
                        for m in parsed]
    elif part == "logs":
        snap.logs = [ln for ln in parsed if ln.timestamp <= limit]
    elif part == "changes":
        snap.changes = (snap.changes or []) + [c for c in parsed if c.at <= now]
        snap.changes.sort(key=lambda c: c.at)
    elif part == "catalog":
        snap.catalog = parsed


def _merge(part: str, bodies: list[Any]) -> Any:
    """One body per part; only change sources come several to a part."""
    if part == "changes":
        return {"changes": [c for body in bodies for c in body["changes"]]}
    return bodies[0]
