"""The incident narrative and stakeholder update, drafted by a model and held to sources.

A draft is used only if it is valid JSON of the expected shape, cites at least one
source in each text, and cites nothing that was not offered: a model that invents an
evidence id or a runbook has invented the claim too. Otherwise the template narrative
from `enrich` stays and the note says why.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from oncall.llm.client import Completion, LlmClient
from oncall.llm.context import Context, check_citations, incident_sources
from oncall.llm.schemas import NarrativeOut, parse, schema_text
from oncall.llm.templates import load_prompt, messages
from oncall.model import ACTIONS, Incident, KnowledgeDoc


@dataclass(slots=True)
class Draft:
    narrative: str | None = None  # None: the template narrative is kept
    stakeholder_update: str | None = None
    citations: list[str] = field(default_factory=list)
    note: str = ""  # why the draft was refused; empty when it was used

    @property
    def accepted(self) -> bool:
        return self.narrative is not None


def draft_narrative(client: LlmClient, incident: Incident,
                    docs: Mapping[str, KnowledgeDoc] | None = None,
                    context: Context | None = None) -> tuple[Draft, Completion]:
    """Asks once; the completion is returned too, for its tokens and cost."""
    context = context or Context(incident_sources(incident, docs=docs))
    prompt = load_prompt("narrative")
    msgs = messages(prompt, context.nonce, ", ".join(ACTIONS),
                    schema=schema_text(NarrativeOut), data=context.render())
    completion = client.complete("narrative", [load_prompt("system"), prompt], msgs,
                                 json_mode=True)
    return check_draft(completion.text, context), completion


def check_draft(text: str, context: Context) -> Draft:
    out, why = parse(text, NarrativeOut)
    if out is None:
        return Draft(note=f"model output invalid ({why}); template narrative kept")
    ids, quoted = context.ids(), context.quoted()
    valid: dict[str, None] = {}
    texts = (("narrative", out.narrative), ("stakeholder_update", out.stakeholder_update))
    for name, body in texts:
        good, unknown = check_citations(body, ids, quoted)
        if unknown:
            return Draft(note=f"model cited sources that do not exist ({', '.join(unknown[:5])}) "
                              "; template narrative kept")
        if not good:
            return Draft(note=f"model {name} cites no source; template narrative kept")
        valid.update(dict.fromkeys(good))
    return Draft(out.narrative, out.stakeholder_update, list(valid))
