"""What every live connector offers: `fetch` a body in the scenario wire format, `probe`.

A connector returns the *body* (what `alerts.json`, `metrics.json`, ... would hold),
not parsed objects: the live source parses it with the same parsers the scenario
loader uses, and `oncall snapshot` writes it unchanged, so a replay of a captured
incident sees exactly what the live triage saw.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

# The scenario file each part is written to and read from (docs/scenario-format.md).
PART_FILES: dict[str, str] = {
    "alerts": "alerts.json",
    "traces": "traces.json",
    "metrics": "metrics.json",
    "logs": "logs.json",
    "changes": "changes.yaml",
    "catalog": "catalog.yaml",
}


@dataclass(frozen=True, slots=True)
class Window:
    """The time range a snapshot looks at; `end` is the page time (`now`)."""

    start: datetime
    end: datetime
    changes_start: datetime
    step_seconds: float = 15.0


@dataclass(slots=True)
class Fetched:
    """A body plus what could not be fetched of it (one failed query of several)."""

    body: Any
    problems: list[str] = field(default_factory=list)


class Connector(Protocol):
    """One live system. `kind` is its config key, `part` the snapshot part it fills."""

    kind: str
    part: str

    @property
    def label(self) -> str:
        """`prometheus (http://...)`, how failures name it."""
        ...

    def fetch(self, window: Window) -> Fetched:
        """The body for `part`; raises `SourceUnavailable` when the system is down."""
        ...

    def probe(self) -> str:
        """A cheap request that shows the system answers; returns what it said."""
        ...


def rfc3339(moment: datetime) -> str:
    """UTC with a `Z`, as every wire format here writes times."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
