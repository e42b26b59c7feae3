"""Plain helpers for tests: paths and builders of contract-shaped data."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
EXAMPLES = REPO / "examples"
DATASETS = REPO.parent / "shared" / "datasets" / "train-ticket"


ScenarioFactory = Callable[..., Path]


def train_ticket_cases() -> list[Path]:
    return sorted(p for p in DATASETS.iterdir() if p.is_dir()) if DATASETS.is_dir() else []


def alert(name: str, service: str | None = "checkout", starts: str = "2026-03-14T02:10:00Z",
          ends: str = "2026-03-14T02:30:00Z", fingerprint: str | None = None,
          severity: str = "critical", state: str = "active", silenced: list[str] | None = None,
          **labels: str) -> dict[str, Any]:
    lab = {"alertname": name, "severity": severity, **labels}
    if service:
        lab["service"] = service
    return {
        "labels": lab,
        "annotations": {"summary": f"{name} on {service}"},
        "startsAt": starts,
        "endsAt": ends,
        "updatedAt": starts,
        "fingerprint": fingerprint or f"{name}-{service}-{labels.get('pod', '')}".lower(),
        "status": {"state": state, "silencedBy": silenced or [], "inhibitedBy": []},
        "receivers": [{"name": "team"}],
    }
