"""`oncall triage --llm`: model drafts beside the deterministic triage, never instead of it.

`augment_triage` reads a finished `Triage` and returns `LlmNotes`; it changes nothing
in the triage, so the JSON keys machines rely on and the evaluation stay deterministic.
The notes carry, per incident, the drafted narrative and stakeholder update (or why the
template one stays), the model's cause order and suggested actions with their policy
decisions (or why the deterministic order stays), and the calls' tokens and cost.
When the model is unreachable the first failure stops further calls: a dead endpoint
should cost one timeout, not one per incident.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from oncall.llm.client import Completion, LlmClient, LlmUnavailable
from oncall.llm.context import Context, incident_sources
from oncall.llm.narrative import draft_narrative
from oncall.llm.rerank import Rerank, rerank
from oncall.llm.settings import HOW_TO_CONFIGURE, LLMSettings
from oncall.llm.templates import load_prompt
from oncall.model import Incident, KnowledgeDoc, Policy, Triage


@dataclass(slots=True)
class IncidentNotes:
    incident_id: str
    narrative: str | None = None  # None: the template narrative stands
    stakeholder_update: str | None = None
    citations: list[str] = field(default_factory=list)
    rerank: Rerank | None = None
    notes: list[str] = field(default_factory=list)


@dataclass(slots=True)
class LlmNotes:
    model: str | None
    incidents: list[IncidentNotes] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    calls: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float | None = None
    prompts: list[dict[str, str]] = field(default_factory=list)

    def for_incident(self, incident_id: str) -> IncidentNotes | None:
        return next((n for n in self.incidents if n.incident_id == incident_id), None)

    def add(self, completion: Completion | None) -> None:
        if completion is None:
            return
        self.calls += 1
        self.prompt_tokens += completion.prompt_tokens or 0
        self.completion_tokens += completion.completion_tokens or 0
        if completion.cost_usd is not None:
            self.cost_usd = (self.cost_usd or 0.0) + completion.cost_usd

    def to_dict(self, triage: Triage | None = None) -> dict[str, Any]:
        """The `llm` key of `triage --format json`: advice, beside the stable keys."""
        by_id = {i.id: i for i in triage.incidents} if triage else {}
        return {
            "model": self.model,
            "calls": self.calls,
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
            "cost_usd": round(self.cost_usd, 6) if self.cost_usd is not None else None,
            "prompts": list(self.prompts),
            "notes": list(self.notes),
            "incidents": [_incident_dict(n, by_id.get(n.incident_id)) for n in self.incidents],
        }


def augment_triage(triage: Triage, settings: LLMSettings, *, policy: Policy | None = None,
                   rerank_causes: bool = True, docs: Sequence[KnowledgeDoc] = (),
                   client: LlmClient | None = None) -> LlmNotes:
    """Drafts and a second opinion for the first `settings.max_incidents` incidents.

    `policy` is the scenario's: suggested actions are shown with its decision (without
    it, with the decision triage gave the same planned move, else "approve"). `docs`
    lend runbook text to the context; without them runbooks are cited by id and title.
    No model: no call."""
    notes = LlmNotes(model=settings.model)
    if not settings.configured:
        notes.notes.append(HOW_TO_CONFIGURE + "; deterministic output only")
        return notes
    client = client or LlmClient(settings)
    notes.prompts = [load_prompt(n).record() for n in ("system", "narrative", "rerank")]
    by_id: Mapping[str, KnowledgeDoc] = {d.id: d for d in docs}
    wanted = triage.incidents[: settings.max_incidents]
    if len(triage.incidents) > len(wanted):
        notes.notes.append(f"drafted for the first {len(wanted)} of {len(triage.incidents)} "
                           "incidents (llm.max_incidents)")
    failed = ""
    for incident in wanted:
        inc = IncidentNotes(incident.id)
        notes.incidents.append(inc)
        if failed:
            inc.notes.append(f"not asked: {failed}")
            continue
        try:
            _augment(client, incident, inc, notes, by_id, policy, triage, rerank_causes)
        except LlmUnavailable as exc:
            failed = "the model did not answer for an earlier incident"
            inc.notes.append(f"{exc}; template narrative and deterministic ranking kept")
    return notes


def _augment(client: LlmClient, incident: Incident, inc: IncidentNotes, notes: LlmNotes,
             docs: Mapping[str, KnowledgeDoc], policy: Policy | None, triage: Triage,
             rerank_causes: bool) -> None:
    context = Context(incident_sources(incident, docs=docs))
    draft, completion = draft_narrative(client, incident, context=context)
    notes.add(completion)
    if draft.accepted:
        inc.narrative, inc.stakeholder_update = draft.narrative, draft.stakeholder_update
        inc.citations = draft.citations
    else:
        inc.notes.append(draft.note)
    if rerank_causes:
        result, second = rerank(client, incident, policy, triage.now, context=context)
        notes.add(second)
        inc.rerank = result
        if result.note:
            inc.notes.append(result.note)


def _incident_dict(n: IncidentNotes, incident: Incident | None) -> dict[str, Any]:
    hyps = incident.hypotheses if incident is not None else []
    ranking = None
    if n.rerank is not None and n.rerank.order is not None:
        ranking = [
            {"cause": f"H{i + 1}", "service": hyps[i].service, "kind": hyps[i].kind,
             "change": hyps[i].change, "reason": n.rerank.reasons.get(i, "")}
            for i in n.rerank.order if i < len(hyps)
        ]
    suggestions = n.rerank.suggestions if n.rerank is not None else []
    return {
        "id": n.incident_id,
        "narrative": n.narrative,
        "stakeholder_update": n.stakeholder_update,
        "citations": list(n.citations),
        "ranking": ranking,
        "suggested_actions": [
            {"action": s.action, "target": s.target, "reason": s.reason,
             "decision": s.decision, "policy_reason": s.policy_reason, "planned": s.planned}
            for s in suggestions
        ],
        "notes": list(n.notes),
    }
