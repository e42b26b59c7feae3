"""The evaluation as one JSON object: `summary`, `baselines`, `cases` (and `skipped`,
`thresholds` when they apply). Rates are rounded to 4 places; None means there was
nothing to count (for example no alert pairs at all), not zero.

Per true incident, `got` holds the first three distinct suspect services, the change
and kind of the top cause, the first proposed move with its decision, and
`expected_move_decision`: the decision on the proposed move whose action and target
equal the expected ones (None when it was not proposed), which decision accuracy judges.
"""

from __future__ import annotations

from typing import Any

from oncall.evaluate.case import IncidentResult
from oncall.evaluate.runner import BASELINES, CaseResult, Report
from oncall.evaluate.scorecard import METRICS
from oncall.evaluate.thresholds import Failure


def report_to_dict(report: Report, failures: list[Failure] | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {
        "summary": {
            "cases": len(report.cases),
            "incidents": report.incidents,
            "seconds": round(report.seconds, 3),
            "metrics": _rounded(report.summary().values()),
            "timings": {stage: {k: round(v, 4) for k, v in t.items()}
                        for stage, t in report.timings().items()},
        },
        "baselines": {
            name: {"label": BASELINES[name], "metrics": _rounded(card.values())}
            for name, card in report.baseline_summary().items()
        },
        "cases": [_case(c) for c in report.cases],
        "skipped": [str(p) for p in report.skipped],
        "metric_definitions": dict(METRICS),
    }
    if failures is not None:
        out["thresholds"] = {
            "passed": not failures,
            "failures": [{"metric": f.metric, "value": f.value, "bound": f.bound,
                          "limit": f.limit, "message": f.message} for f in failures],
        }
    return out


def _rounded(values: dict[str, float | None]) -> dict[str, float | None]:
    return {k: None if v is None else round(v, 4) for k, v in values.items()}


def _case(case: CaseResult) -> dict[str, Any]:
    card = case.score.card
    return {
        "name": case.name,
        "path": str(case.path),
        "predicted_incidents": case.predicted_incidents,
        "clustering_f1": round(card.clustering.f1, 4) if card.clustering else None,
        "metrics": _rounded(card.values()),
        "incidents": [_incident(r, case.baseline_services[i] if case.baseline_services else {})
                      for i, r in enumerate(case.score.incidents)],
        "problems": list(case.score.problems),
        "policy_violations": list(case.score.violations),
        "baselines": {name: _rounded(b.values()) for name, b in case.baselines.items()},
        "timings": {k: round(v, 4) for k, v in case.timings.items()},
    }


def _incident(r: IncidentResult, baseline_services: dict[str, str | None]) -> dict[str, Any]:
    truth = r.truth
    rc, move = truth.root_cause, truth.remediation
    return {
        "alerts": sorted(truth.alerts),
        "matched": r.matched,
        "overlap": r.overlap,
        "expected": {
            "service": rc.service if rc else None,
            "change": rc.change if rc else None,
            "kind": rc.kind if rc else None,
            "action": move.action if move else None,
            "target": move.target if move else None,
            "decision": move.decision if move else None,
            "runbooks": list(truth.runbooks) if truth.runbooks is not None else None,
        },
        "got": {
            "services": list(r.services),
            "change": r.top.change if r.top else None,
            "kind": r.top.kind if r.top else None,
            "action": r.move.action if r.move else None,
            "target": r.move.target if r.move else None,
            "decision": r.move.decision if r.move else None,
            "expected_move_decision": r.decision,
            "runbooks": list(r.runbooks),
        },
        "checks": dict(r.checks),
        "problems": list(r.problems),
        "baseline_services": dict(baseline_services),
    }
