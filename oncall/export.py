"""The machine-readable triage (the contract's stable keys, plus a few more)."""

from __future__ import annotations

from typing import Any

from oncall.model import Incident, Triage


def triage_to_dict(result: Triage) -> dict[str, Any]:
    return {
        "scenario": result.scenario,
        "now": result.now.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "incidents": [_incident(inc) for inc in result.incidents],
        "noise": [n.fingerprint for n in result.noise],
        "noise_reasons": {n.fingerprint: n.reason for n in result.noise},
        "stats": {
            "alerts_received": result.stats.alerts_received,
            "firing": result.stats.firing,
            "distinct": result.stats.distinct,
            "incidents": result.stats.incidents,
            "noise": result.stats.noise,
            "reduction": round(result.stats.reduction, 3),
        },
        "missing": list(result.missing),
        "changes": [
            {"id": c.id, "kind": c.kind, "service": c.service,
             "at": c.at.strftime("%Y-%m-%dT%H:%M:%SZ"), "summary": c.summary,
             "revision": c.revision, "previous_revision": c.previous_revision,
             "pods": list(c.pods), "diff": c.diff}
            for c in result.changes
        ],
        "timings": {k: round(v, 4) for k, v in result.timings.items()},
    }


def _incident(inc: Incident) -> dict[str, Any]:
    impact = inc.impact
    return {
        "id": inc.id,
        "title": inc.title,
        "narrative": inc.narrative,
        "started_at": inc.started_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "alerts": inc.fingerprints,
        "alertnames": sorted({a.name for a in inc.alerts}),
        "services": list(inc.services),
        "owner": inc.owner,
        "escalation": inc.escalation,
        "impact": {
            "tier": impact.tier if impact else None,
            "summary": impact.summary if impact else "",
            "users_affected": impact.users_affected if impact else None,
            "revenue_at_risk": impact.revenue_at_risk if impact else None,
            "minutes": impact.minutes if impact else 0.0,
            "blast_radius": list(impact.blast_radius) if impact else [],
            "slo_burn": dict(impact.slo_burn) if impact else {},
        },
        "hypotheses": [
            {
                "service": h.service,
                "change": h.change,
                "kind": h.kind,
                "pod": h.pod,
                "score": h.score,
                "evidence": list(h.evidence),
            }
            for h in inc.hypotheses
        ],
        "remediations": [
            {
                "action": r.action,
                "target": r.target,
                "decision": r.decision,
                "reason": r.reason,
                "risk": r.risk,
                "reversible": r.reversible,
                "verify": dict(r.verify),
                "verify_within_minutes": r.verify_within_minutes,
                "rationale": r.rationale,
                "undo": r.undo,
                "command": r.command,
            }
            for r in inc.remediations
        ],
        "runbooks": [
            {"id": k.id, "score": k.score, "title": k.title, "type": k.doc_type,
             "section": k.section, "path": k.path}
            for k in inc.runbooks
        ],
    }
