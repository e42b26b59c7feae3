"""expected.yaml, the ground truth of a scenario (see the scenario format contract).

Parsed strictly, because a typo in the truth silently turns into a "miss" for the tool:
a wrong type, an unknown kind, action or decision names the file and field instead.
`root_cause`, `remediation` and `runbooks` may be left out of an incident; the metrics
that need them then skip that incident rather than count it wrong.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from oncall.errors import InputError
from oncall.evaluate.files import load_yaml
from oncall.model import ACTIONS, CAUSE_KINDS, DECISIONS
from oncall.sources.fields import Fields

FILENAME = "expected.yaml"


@dataclass(frozen=True, slots=True)
class RootCause:
    service: str
    change: str | None
    kind: str


@dataclass(frozen=True, slots=True)
class ExpectedMove:
    action: str
    target: str
    decision: str


@dataclass(frozen=True, slots=True)
class ExpectedIncident:
    alerts: frozenset[str]
    root_cause: RootCause | None = None
    remediation: ExpectedMove | None = None
    runbooks: tuple[str, ...] | None = None


@dataclass(frozen=True, slots=True)
class Expected:
    incidents: tuple[ExpectedIncident, ...]
    noise: frozenset[str]

    @property
    def incident_alerts(self) -> frozenset[str]:
        return frozenset().union(*(inc.alerts for inc in self.incidents))


def load_expected(scenario_dir: Path) -> Expected:
    """Reads `<scenario_dir>/expected.yaml`."""
    path = scenario_dir / FILENAME
    return parse_expected(load_yaml(path), str(path))


def parse_expected(body: Any, path: str) -> Expected:
    f = Fields(path)
    if body is None:
        raise InputError(path, "is empty (expected 'incidents' and 'noise')")
    obj = f.mapping(body, "")
    incidents = tuple(
        _incident(f, raw, f"incidents[{i}]")
        for i, raw in enumerate(f.get_list(obj, "incidents", ""))
    )
    noise = frozenset(f.scalar_list(obj, "noise", ""))
    seen: dict[str, str] = {}
    for i, inc in enumerate(incidents):
        for fp in sorted(inc.alerts):
            if fp in seen:
                raise f.fail(f"incidents[{i}].alerts", f"alert {fp!r} is already in {seen[fp]}")
            if fp in noise:
                raise f.fail(f"incidents[{i}].alerts", f"alert {fp!r} is also listed as noise")
            seen[fp] = f"incidents[{i}]"
    return Expected(incidents=incidents, noise=noise)


def _incident(f: Fields, raw: Any, where: str) -> ExpectedIncident:
    item = f.mapping(raw, where)
    alerts = f.scalar_list(item, "alerts", where)
    if not alerts:
        raise f.fail(f"{where}.alerts", "is required (the fingerprints of this incident)")
    root_cause = None
    if item.get("root_cause") is not None:
        rc = f.get_mapping(item, "root_cause", where)
        at = f"{where}.root_cause"
        kind = f.text(rc, "kind", at)
        if kind not in CAUSE_KINDS:
            raise f.fail(f"{at}.kind", f"unknown kind {kind[:40]!r} (expected one of "
                         f"{', '.join(CAUSE_KINDS)})")
        root_cause = RootCause(service=f.text(rc, "service", at),
                               change=f.optional_scalar(rc, "change", at), kind=kind)
    move = None
    if item.get("remediation") is not None:
        rem = f.get_mapping(item, "remediation", where)
        at = f"{where}.remediation"
        action = f.text(rem, "action", at)
        if action not in ACTIONS:
            raise f.fail(f"{at}.action", f"unknown action {action[:40]!r} (expected one of "
                         f"{', '.join(ACTIONS)})")
        decision = f.text(rem, "decision", at)
        if decision not in DECISIONS:
            raise f.fail(f"{at}.decision", f"unknown decision {decision[:40]!r} (expected "
                         "auto, approve or deny)")
        move = ExpectedMove(action=action, target=f.text(rem, "target", at), decision=decision)
    runbooks = f.scalar_list(item, "runbooks", where) if "runbooks" in item else None
    return ExpectedIncident(alerts=frozenset(alerts), root_cause=root_cause,
                            remediation=move, runbooks=runbooks)
