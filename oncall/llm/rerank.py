"""A model's second opinion on the order of likely causes, inside hard limits.

The model may only re-order the causes the deterministic analysis found *and* backed
with evidence; it cannot add one. It may suggest actions, but only from the action
vocabulary and only on services of this incident, and each suggestion is shown with
the decision the team's policy gives it: a suggestion is advice for a person, it never
runs. Output that breaks any of this is refused as a whole and the deterministic
ranking stays, with a note saying so.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from oncall.llm.client import Completion, LlmClient
from oncall.llm.context import Context, check_citations, incident_sources
from oncall.llm.schemas import RerankOut, parse, schema_text
from oncall.llm.templates import load_prompt, messages
from oncall.model import ACTIONS, Hypothesis, Incident, KnowledgeDoc, Policy


@dataclass(slots=True)
class Suggestion:
    action: str
    target: str
    reason: str
    decision: str  # what policy.yaml says: auto | approve | deny
    policy_reason: str
    planned: bool  # oncall's own planner proposes the same move


@dataclass(slots=True)
class Rerank:
    order: list[int] | None = None  # indices into incident.hypotheses; None: unchanged
    reasons: dict[int, str] = field(default_factory=dict)
    suggestions: list[Suggestion] = field(default_factory=list)
    note: str = ""


def candidates(incident: Incident, context: Context) -> dict[str, int]:
    """Citation id -> hypothesis index, for the causes with evidence in the context."""
    out: dict[str, int] = {}
    shown = context.ids()
    for index, hyp in enumerate(incident.hypotheses):
        source_id = f"H{index + 1}"
        if hyp.evidence and source_id in shown:
            out[source_id] = index
    return out


def targets(incident: Incident) -> list[str]:
    services = [*incident.services, *(h.service for h in incident.hypotheses)]
    if incident.impact is not None:
        services.extend(incident.impact.blast_radius)
    return list(dict.fromkeys(s for s in services if s))


def rerank(client: LlmClient, incident: Incident, policy: Policy | None, now: datetime,
           docs: Mapping[str, KnowledgeDoc] | None = None,
           context: Context | None = None) -> tuple[Rerank, Completion | None]:
    """No call when fewer than two causes have evidence: there is nothing to re-order."""
    context = context or Context(incident_sources(incident, docs=docs))
    ids = candidates(incident, context)
    if len(ids) < 2:
        return Rerank(note="fewer than two evidence-backed causes; nothing to re-rank"), None
    prompt = load_prompt("rerank")
    msgs = messages(prompt, context.nonce, ", ".join(ACTIONS), candidates=", ".join(ids),
                    targets=", ".join(targets(incident)), schema=schema_text(RerankOut),
                    data=context.render())
    completion = client.complete("rerank", [load_prompt("system"), prompt], msgs,
                                 json_mode=True)
    return check_rerank(completion.text, incident, context, policy, now), completion


def check_rerank(text: str, incident: Incident, context: Context, policy: Policy | None,
                 now: datetime) -> Rerank:
    out, why = parse(text, RerankOut)
    if out is None:
        return _refused(f"model output invalid ({why})")
    ids = candidates(incident, context)
    order: list[int] = []
    reasons: dict[int, str] = {}
    for item in out.ranking:
        if item.id not in ids:
            return _refused(f"model ranked {item.id[:40]!r}, which is not an evidence-backed "
                            "candidate")
        if ids[item.id] in order:
            return _refused(f"model ranked {item.id!r} twice")
        _, unknown = check_citations(item.reason, context.ids(), context.quoted())
        if unknown:
            return _refused(f"model cited sources that do not exist ({', '.join(unknown[:5])})")
        order.append(ids[item.id])
        reasons[ids[item.id]] = item.reason
    order.extend(i for i in ids.values() if i not in order)
    allowed = targets(incident)
    suggestions: list[Suggestion] = []
    for act in out.actions:
        if act.target not in allowed:
            return _refused(f"model suggested {act.action} on {act.target[:60]!r}, which is not "
                            "a service of this incident")
        suggestions.append(_suggestion(act.action, act.target, act.reason, incident, policy,
                                       now))
    return Rerank(order=order, reasons=reasons, suggestions=suggestions)


def apply_order(hypotheses: list[Hypothesis], order: list[int] | None) -> list[Hypothesis]:
    """The hypotheses in the model's order; the ones it could not rank follow, unchanged."""
    if not order:
        return list(hypotheses)
    ranked = [hypotheses[i] for i in order if 0 <= i < len(hypotheses)]
    return ranked + [h for i, h in enumerate(hypotheses) if i not in set(order)]


def _refused(why: str) -> Rerank:
    return Rerank(note=f"{why}; deterministic ranking kept")


def _suggestion(action: str, target: str, reason: str, incident: Incident,
                policy: Policy | None, now: datetime) -> Suggestion:
    """The policy's decision on the suggestion. Without the policy at hand, a move the
    planner also proposed takes the decision triage already gave it (decisions depend on
    the action, not the target); anything else needs a person. Never `auto` by default."""
    planned = any(r.action == action and r.target == target for r in incident.remediations)
    if policy is not None:
        from oncall.remediate.policy import decide

        verdict = decide(action, policy, now)
        return Suggestion(action, target, reason, verdict.decision, verdict.reason, planned)
    same = next((r for r in incident.remediations if r.action == action), None)
    if same is not None:
        return Suggestion(action, target, reason, same.decision, same.reason, planned)
    return Suggestion(action, target, reason, "approve", "no policy at hand and not planned "
                      "by oncall: a person decides", planned)
