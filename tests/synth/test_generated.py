"""The committed examples/ and evals/ obey the scenario contract and their own truth."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from tests.synth.contract import (
    check_not_after_now,
    check_structure,
    check_truth,
    firing,
    load,
    ts,
)

REPO = Path(__file__).resolve().parents[2]
CASE = re.compile(r"^\d{3}-[a-z]+-[a-z-]+$")


def _dirs() -> list[Path]:
    out = sorted(p for p in (REPO / "examples").glob("*") if (p / "expected.yaml").exists())
    out += sorted(p for p in (REPO / "evals").glob("*") if CASE.match(p.name))
    return out


@cache
def _load(path: Path) -> dict[str, Any]:
    return load(path)


SCENARIOS = _dirs()
IDS = [f"{p.parent.name}/{p.name}" for p in SCENARIOS]


@pytest.mark.skipif(not SCENARIOS, reason="examples/ and evals/ not generated yet")
@pytest.mark.parametrize("path", SCENARIOS, ids=IDS)
def test_structure(path: Path) -> None:
    check_structure(_load(path))


@pytest.mark.skipif(not SCENARIOS, reason="examples/ and evals/ not generated yet")
@pytest.mark.parametrize("path", SCENARIOS, ids=IDS)
def test_truth_matches_alerts(path: Path) -> None:
    check_truth(_load(path))


@pytest.mark.skipif(not SCENARIOS, reason="examples/ and evals/ not generated yet")
@pytest.mark.parametrize("path", SCENARIOS, ids=IDS)
def test_nothing_after_now(path: Path) -> None:
    check_not_after_now(_load(path))


def test_checkout_latency_tells_the_contract_story() -> None:
    root = REPO / "examples" / "checkout-latency"
    if not root.exists():
        pytest.skip("examples not generated")
    s = _load(root)
    assert s["scenario.yaml"]["now"] in ("2026-03-14T02:19:00Z",)
    (inc,) = s["expected.yaml"]["incidents"]
    assert inc["root_cause"] == {"service": "checkout", "change": "cfg-2291", "kind": "config"}
    assert inc["remediation"]["action"] == "config_revert"
    assert inc["runbooks"] == ["checkout-timeouts", "config-push-revert"]
    changes = s["changes.yaml"]["changes"]
    change = next(c for c in changes if c["id"] == "cfg-2291")
    assert "800" in change["diff"] and "200" in change["diff"] and change["pods"]
    assert ts(change["at"]) == s["now"] - 12 * 60
    # a certificate rotated this hour on another service (the decoy)
    assert any(
        c["kind"] == "cert"
        and c["service"] != "checkout"
        and s["now"] - 3600 <= ts(c["at"]) <= s["now"]
        for c in changes
    )
    assert 30 <= sum(firing(a, s["now"]) for a in s["alerts.json"]) <= 50
    # the pods the push reached are the slow ones: ~120 ms before, ~2.4 s now
    slow, base = set(), []
    for series in s["metrics.json"]["data"]["result"]:
        m = series["metric"]
        if m["__name__"] == "latency_p95_seconds" and m["service"] == "checkout":
            base.append(float(series["values"][5][1]))
            if float(series["values"][-1][1]) > 1.5 and m["pod"]:
                slow.add(m["pod"])
    assert slow == set(change["pods"])
    assert all(0.07 < b < 0.2 for b in base)


def test_alert_storm_example_has_two_incidents_and_a_storm() -> None:
    root = REPO / "examples" / "alert-storm"
    if not root.exists():
        pytest.skip("examples not generated")
    s = _load(root)
    assert len(s["expected.yaml"]["incidents"]) == 2
    assert s["expected.yaml"]["incidents"][0]["root_cause"]["kind"] == "dependency"
    assert sum(firing(a, s["now"]) for a in s["alerts.json"]) >= 60
