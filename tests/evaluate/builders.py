"""Builders for evaluation tests: a tiny scored scenario and the prediction shapes."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml

from oncall.evaluate.prediction import Candidate, Move, PredictedIncident, Prediction
from tests.helpers import alert

NOW = "2026-03-14T02:19:00Z"


def incident(ident: str, alerts: Sequence[str],
             causes: Sequence[tuple[str, str | None, str | None]] = (),
             moves: Sequence[tuple[str, str, str]] = (), runbooks: Sequence[str] = ()
             ) -> PredictedIncident:
    return PredictedIncident(
        id=ident, alerts=frozenset(alerts),
        causes=tuple(Candidate(*c) for c in causes),
        moves=tuple(Move(*m) for m in moves),
        runbooks=tuple(runbooks),
    )


def prediction(*incidents: PredictedIncident, noise: Sequence[str] = (), firing: int = 0
               ) -> Prediction:
    return Prediction(incidents=tuple(incidents), noise=frozenset(noise), firing=firing)


def expected_doc(alerts: list[str], noise: list[str], service: str = "checkout",
                 action: str = "escalate", decision: str = "auto") -> dict[str, Any]:
    return {
        "incidents": [{
            "alerts": alerts,
            "root_cause": {"service": service, "change": None, "kind": "code"},
            "remediation": {"action": action, "target": service, "decision": decision},
            "runbooks": ["checkout-errors"],
        }],
        "noise": noise,
    }


def write_scenario(root: Path, expected: Any = None, policy: Any = None) -> Path:
    """Two error alerts on one service and a silenced one; `expected` as given (a
    string is written verbatim, None leaves expected.yaml out)."""
    root.mkdir(parents=True)
    (root / "scenario.yaml").write_text(yaml.safe_dump({"name": root.name, "now": NOW}))
    alerts = [
        alert("HighErrorRate", "checkout", fingerprint="a1"),
        alert("HighLatency", "checkout", fingerprint="a2"),
        alert("DiskSpaceLow", "batch", fingerprint="n1", silenced=["s-1"]),
    ]
    (root / "alerts.json").write_text(json.dumps(alerts))
    if policy is not None:
        (root / "policy.yaml").write_text(yaml.safe_dump(policy))
    if isinstance(expected, str):
        (root / "expected.yaml").write_text(expected)
    elif expected is not None:
        (root / "expected.yaml").write_text(yaml.safe_dump(expected))
    return root
