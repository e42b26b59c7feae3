"""Running the evaluation: find the cases, triage each, score oncall and the baselines.

The product runs exactly as `oncall triage` would (`pipeline.triage` on a
`ScenarioSource`), so the numbers are the numbers of the shipped tool. The snapshot it
loaded is kept and handed to the baselines, so every system sees the same input and
each scenario is read once. Bad input (a broken expected.yaml or scenario) stops the
run with the file and field, like every other command.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from oncall.errors import InputError
from oncall.evaluate import baselines as bl
from oncall.evaluate.case import CaseScore, root_cause_checks, score_prediction
from oncall.evaluate.discover import find_scenarios
from oncall.evaluate.measures import Tally, pairwise, set_score, tally
from oncall.evaluate.policy_check import load_rules
from oncall.evaluate.prediction import from_triage
from oncall.evaluate.scorecard import Scorecard
from oncall.evaluate.truth import Expected, ExpectedIncident, load_expected
from oncall.model import Snapshot
from oncall.pipeline import triage
from oncall.sources import ScenarioSource

STAGES = ("load", "correlate", "analyze", "retrieve", "plan")
BASELINES: dict[str, str] = {
    "alertmanager": "Alertmanager group_by",
    "recent_change": "most recent change",
    "max_zscore": "max z-score",
}


@dataclass(slots=True)
class CaseResult:
    name: str
    path: Path
    score: CaseScore
    predicted_incidents: int
    timings: dict[str, float]
    baselines: dict[str, Scorecard] = field(default_factory=dict)
    # per true incident, the top service each root-cause baseline named
    baseline_services: list[dict[str, str | None]] = field(default_factory=list)


@dataclass(slots=True)
class Report:
    cases: list[CaseResult]
    skipped: list[Path]
    with_baselines: bool
    seconds: float

    def summary(self) -> Scorecard:
        return sum((c.score.card for c in self.cases), Scorecard())

    def baseline_summary(self) -> dict[str, Scorecard]:
        if not self.with_baselines:
            return {}
        return {name: sum((c.baselines[name] for c in self.cases), Scorecard())
                for name in BASELINES}

    def timings(self) -> dict[str, dict[str, float]]:
        """Per stage: total seconds over all cases and the mean per case."""
        out: dict[str, dict[str, float]] = {}
        stages = list(STAGES) + sorted({k for c in self.cases for k in c.timings} - set(STAGES))
        for stage in stages:
            total = sum(c.timings.get(stage, 0.0) for c in self.cases)
            out[stage] = {"sum": total, "mean": total / len(self.cases) if self.cases else 0.0}
        return out

    @property
    def incidents(self) -> int:
        return sum(len(c.score.incidents) for c in self.cases)


def evaluate(roots: list[Path], with_baselines: bool = True) -> Report:
    started = time.perf_counter()
    found = find_scenarios(roots)
    if not found.scored:
        where = ", ".join(str(r) for r in roots)
        raise InputError(where, f"none of the {len(found.skipped)} scenario(s) found has an "
                         "expected.yaml, so there is nothing to score")
    cases = [evaluate_case(path, with_baselines) for path in found.scored]
    return Report(cases=cases, skipped=found.skipped, with_baselines=with_baselines,
                  seconds=time.perf_counter() - started)


class _KeepingSource:
    """A ScenarioSource that remembers the snapshot it produced."""

    def __init__(self, root: Path) -> None:
        self._inner = ScenarioSource(root)
        self.taken: Snapshot | None = None

    def snapshot(self) -> Snapshot:
        self.taken = self._inner.snapshot()
        return self.taken


def evaluate_case(path: Path, with_baselines: bool = True) -> CaseResult:
    expected = load_expected(path)  # first: a broken truth should not cost a triage
    rules = load_rules(path)
    source = _KeepingSource(path)
    result = triage(source)
    assert source.taken is not None
    score = score_prediction(expected, from_triage(result), rules, result.now)
    case = CaseResult(name=result.scenario, path=path, score=score,
                      predicted_incidents=len(result.incidents), timings=dict(result.timings))
    if with_baselines:
        _score_baselines(case, expected, source.taken)
    return case


def _score_baselines(case: CaseResult, expected: Expected, snap: Snapshot) -> None:
    truth_groups = [inc.alerts for inc in expected.incidents]
    labelled = expected.incident_alerts | expected.noise
    grouping = bl.alertmanager_groups(snap.alerts, snap.now)
    case.baselines["alertmanager"] = Scorecard(
        clustering=pairwise(truth_groups, grouping.groups),
        noise=set_score(grouping.noise & labelled, expected.noise),
        grouped=Tally(len(grouping.groups), grouping.firing),
    )
    recent = bl.most_recent_change(snap.changes or [], snap.now)
    recent_card, zscore_card = Scorecard(), Scorecard()
    for inc in expected.incidents:
        onset = _onset(inc, snap)
        ranked = bl.max_zscore(snap.metrics or [], onset) if onset else []
        case.baseline_services.append({
            "recent_change": recent[0].service if recent else None,
            "max_zscore": ranked[0].service if ranked else None,
        })
        if inc.root_cause is None:
            continue
        _add_checks(recent_card, root_cause_checks(inc.root_cause, recent))
        _add_checks(zscore_card, root_cause_checks(inc.root_cause, ranked, service_only=True))
    case.baselines["recent_change"] = recent_card
    case.baselines["max_zscore"] = zscore_card


def _add_checks(card: Scorecard, checks: dict[str, bool]) -> None:
    for key, ok in checks.items():
        card.rates[key] = card.rates.get(key, Tally()) + tally(ok)


def _onset(inc: ExpectedIncident, snap: Snapshot) -> datetime | None:
    """When the incident's earliest alert that is firing at `now` started."""
    starts = [a.starts_at for a in snap.alerts
              if a.fingerprint in inc.alerts and a.firing_at(snap.now)]
    return min(starts) if starts else None
