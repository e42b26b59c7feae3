"""Scoring one case: the prediction of a system against the truth, plus the reasons.

Each true incident is matched to the predicted incident sharing most of its alerts
(unmatched counts as a miss for every per-incident metric); root cause, remediation
and runbooks are judged on that incident. Alongside the counts, each miss gets a short
reason ("split over 2 incidents", "kind network, want code") so the per-case table
shows what went wrong, not just that something did.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from oncall.evaluate.measures import (
    Tally,
    best_match,
    distinct,
    hit_at_k,
    pairwise,
    recall_at_k,
    set_score,
    tally,
)
from oncall.evaluate.policy_check import Rules, allowed_decision, more_permissive
from oncall.evaluate.prediction import Candidate, Move, PredictedIncident, Prediction
from oncall.evaluate.scorecard import Scorecard
from oncall.evaluate.truth import Expected, ExpectedIncident, ExpectedMove, RootCause

TOP_K = 3


@dataclass(slots=True)
class IncidentResult:
    """One true incident as the system saw it."""

    truth: ExpectedIncident
    matched: str | None = None  # id of the predicted incident it was matched to
    overlap: int = 0
    services: tuple[str, ...] = ()  # first three distinct services, best first
    top: Candidate | None = None
    move: Move | None = None  # the first proposed remediation
    decision: str | None = None  # decision on the move with the expected action+target
    runbooks: tuple[str, ...] = ()  # first three retrieved ids
    checks: dict[str, bool] = field(default_factory=dict)  # metric -> right?
    problems: list[str] = field(default_factory=list)


@dataclass(slots=True)
class CaseScore:
    card: Scorecard
    incidents: list[IncidentResult]
    problems: list[str]  # case-level: stray incidents, missed noise, policy violations
    violations: list[str]


def score_prediction(expected: Expected, got: Prediction, rules: Rules, now: datetime
                     ) -> CaseScore:
    truth_groups = [inc.alerts for inc in expected.incidents]
    labelled = expected.incident_alerts | expected.noise
    card = Scorecard(
        clustering=pairwise(truth_groups, [inc.alerts for inc in got.incidents]),
        # Only alerts the truth labels are judged (a resolved or late alert is neither).
        noise=set_score(got.noise & labelled, expected.noise),
        grouped=Tally(len(got.incidents), got.firing),
    )
    results = [_incident(truth, got, expected) for truth in expected.incidents]
    for result in results:
        for key, ok in result.checks.items():
            card.rates[key] = card.rates.get(key, Tally()) + tally(ok)
        if result.truth.runbooks is not None:
            found = recall_at_k(list(result.runbooks), result.truth.runbooks, TOP_K)
            card.rates["runbook_recall3"] = card.rates.get("runbook_recall3", Tally()) + found
    violations = policy_violations(got, rules, now)
    card.violations = len(violations)
    return CaseScore(card=card, incidents=results,
                     problems=_case_problems(expected, got) + violations,
                     violations=violations)


def root_cause_checks(truth: RootCause, causes: Sequence[Candidate],
                      service_only: bool = False) -> dict[str, bool]:
    """AC@1/AC@3 of the service; AC@1 of change and kind. A null change is right when
    the truth's change is null and the top cause names none; no cause at all is wrong."""
    services = [c.service for c in causes]
    checks = {
        "service_ac1": hit_at_k(services, truth.service, 1),
        "service_ac3": hit_at_k(services, truth.service, TOP_K),
    }
    if not service_only:
        checks["change_ac1"] = bool(causes) and causes[0].change == truth.change
        checks["kind_ac1"] = bool(causes) and causes[0].kind == truth.kind
    return checks


def remediation_checks(want: ExpectedMove, moves: Sequence[Move]) -> dict[str, bool]:
    first = moves[0] if moves else None
    same = _same_move(want, moves)
    return {
        "action_accuracy": first is not None and first.action == want.action,
        "target_accuracy": first is not None and first.target == want.target,
        "remediation_top1": first is not None and (first.action, first.target)
        == (want.action, want.target),
        "decision_accuracy": same is not None and same.decision == want.decision,
    }


def policy_violations(got: Prediction, rules: Rules, now: datetime) -> list[str]:
    out = []
    for inc in got.incidents:
        for move in inc.moves:
            allowed = allowed_decision(move.action, rules, now)
            if more_permissive(move.decision, allowed):
                out.append(f"policy violation in {inc.id}: {move.action} {move.target} is "
                           f"{move.decision!r}, policy.yaml allows {allowed!r}")
    return out


def _same_move(want: ExpectedMove, moves: Sequence[Move]) -> Move | None:
    return next((m for m in moves if (m.action, m.target) == (want.action, want.target)), None)


def _incident(truth: ExpectedIncident, got: Prediction, expected: Expected) -> IncidentResult:
    index = best_match(truth.alerts, [inc.alerts for inc in got.incidents])
    match = got.incidents[index] if index is not None else None
    result = IncidentResult(truth=truth)
    causes: tuple[Candidate, ...] = ()
    moves: tuple[Move, ...] = ()
    if match is not None:
        causes, moves = match.causes, match.moves
        result.matched, result.overlap = match.id, len(truth.alerts & match.alerts)
        result.services = tuple(distinct(c.service for c in causes)[:TOP_K])
        result.top = causes[0] if causes else None
        result.move = moves[0] if moves else None
        result.runbooks = match.runbooks[:TOP_K]
    result.problems.extend(_grouping_problems(truth, got, match, expected))
    if truth.root_cause is not None:
        result.checks.update(root_cause_checks(truth.root_cause, causes))
        if match is not None:
            result.problems.extend(_cause_problems(truth.root_cause, causes))
    if truth.remediation is not None:
        result.checks.update(remediation_checks(truth.remediation, moves))
        same = _same_move(truth.remediation, moves)
        result.decision = same.decision if same else None
        if match is not None:
            result.problems.extend(_move_problems(truth.remediation, moves, result.decision))
    if truth.runbooks and match is not None:
        missing = [rb for rb in truth.runbooks if rb not in result.runbooks]
        if missing:
            result.problems.append(f"runbook {', '.join(missing)} not in top {TOP_K}")
    return result


def _grouping_problems(truth: ExpectedIncident, got: Prediction,
                       match: PredictedIncident | None, expected: Expected) -> list[str]:
    out = []
    homes = {inc.id for inc in got.incidents if inc.alerts & truth.alerts}
    as_noise = truth.alerts & got.noise
    lost = truth.alerts - got.noise - frozenset().union(*(i.alerts for i in got.incidents))
    if match is None:
        out.append("no incident found" + (" (its alerts were called noise)" if as_noise else ""))
    elif len(homes) > 1:
        out.append(f"split over {len(homes)} incidents")
    if as_noise and match is not None:
        out.append(f"{len(as_noise)} of its alerts called noise")
    if lost:
        out.append(f"{len(lost)} of its alerts in no incident and not noise")
    if match is not None:
        others = sum(1 for inc in expected.incidents
                     if inc is not truth and inc.alerts & match.alerts)
        if others:
            out.append(f"merged with {others} other incident(s)")
        strays = len(match.alerts & expected.noise)
        if strays:
            out.append(f"{strays} noise alert(s) pulled in")
    return out


def _cause_problems(want: RootCause, causes: Sequence[Candidate]) -> list[str]:
    """What the table's expected/got cells cannot show: where the truth was ranked."""
    if not causes:
        return ["no cause proposed"]
    if causes[0].service == want.service:
        return []
    services = distinct(c.service for c in causes)
    if want.service in services:
        return [f"{want.service} ranked #{services.index(want.service) + 1}"]
    return [f"{want.service} not among {len(services)} suspects"]


def _move_problems(want: ExpectedMove, moves: Sequence[Move], decision: str | None
                   ) -> list[str]:
    if not moves:
        return ["no remediation proposed"]
    if decision is None:
        return [f"{want.action} {want.target} not proposed"]
    if decision != want.decision:
        return [f"{want.action} {want.target} is {decision}, want {want.decision}"]
    return []


def _case_problems(expected: Expected, got: Prediction) -> list[str]:
    out = []
    truth_alerts = expected.incident_alerts
    strays = [inc.id for inc in got.incidents if not inc.alerts & truth_alerts]
    if strays:
        out.append(f"{len(strays)} extra incident(s) made of noise alerts")
    missed = expected.noise - got.noise
    if missed:
        out.append(f"{len(missed)} noise alert(s) not called noise")
    return out
