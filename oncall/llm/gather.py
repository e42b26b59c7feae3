"""The context of `oncall ask`: the scenario's triage and the knowledge that fits.

An answer may only rest on what is gathered here: the incidents of the scenario (when
one is given) as triage sees them, the runbooks triage found for them, and the
documents that match the question itself, from the scenario's `knowledge/`, the `-k`
folders and the user's index when one exists. Document text comes along so the model
can quote a runbook's steps, fenced as data like everything else.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from oncall.errors import InputError
from oncall.llm.context import Context, Source, incident_sources, knowledge_sources
from oncall.model import KnowledgeHit, Triage

MAX_INCIDENTS = 3


@dataclass(slots=True)
class Gathered:
    context: Context
    triage: Triage | None = None
    searched: list[str] = field(default_factory=list)  # what was looked at, for the user
    unavailable: list[str] = field(default_factory=list)  # what could not be looked at


def gather(question: str, scenario: Path | None, knowledge: Sequence[Path] = (),
           index: Path | None = None, lexical: bool = False, limit: int = 4) -> Gathered:
    from oncall.knowledge import KnowledgeQuery, LexicalRetriever
    from oncall.knowledge.select import choose_retriever, user_index_exists
    from oncall.knowledge.store import chroma_url
    from oncall.pipeline import load_knowledge, triage_snapshot
    from oncall.sources import ScenarioSource

    if index is not None and not chroma_url() and not user_index_exists(index):
        raise InputError(str(index), "no index here; run `oncall index PATH --index ...`")
    docs = load_knowledge(list(knowledge))
    sources: list[Source] = []
    searched: list[str] = []
    result: Triage | None = None
    services: list[str] = []
    if scenario is not None:
        snap = ScenarioSource(scenario).snapshot()
        docs = [*snap.knowledge, *docs]
        factory = choose_retriever(index, lexical=lexical, chroma_url=chroma_url())
        result = triage_snapshot(snap, docs, factory)
        by_id = {d.id: d for d in docs}
        shown = result.incidents[:MAX_INCIDENTS]
        for n, incident in enumerate(shown, start=1):
            prefix = f"I{n}." if len(shown) > 1 else ""
            sources.extend(incident_sources(incident, prefix, docs=by_id))
            services.extend(incident.services)
        searched.append(f"scenario {snap.name}: {len(result.incidents)} incident(s)")
    if docs:
        hits = LexicalRetriever(docs).search(
            KnowledgeQuery(text=question, services=services), limit=limit)
        sources.extend(knowledge_sources(hits, {d.id: d for d in docs}))
        searched.append(f"{len(docs)} document(s) from the scenario and -k folders")
    unavailable: list[str] = []
    if chroma_url() or user_index_exists(index):
        try:
            sources.extend(_index_sources(question, index, lexical, limit))
            searched.append("the knowledge index")
        except InputError as exc:  # a corrupt or unreadable index: answer from the rest
            unavailable.append(f"knowledge index: {exc}")
    return Gathered(Context(_unique(sources)), result, searched, unavailable)


def _index_sources(question: str, index: Path | None, lexical: bool,
                   limit: int) -> list[Source]:
    from oncall.knowledge.store import KnowledgeIndex

    store = KnowledgeIndex.open(index, lexical=lexical, read_only=True)
    try:
        found = store.search(question, limit=limit, lexical=lexical)
    finally:
        store.close()
    hits = [KnowledgeHit(id=h.id, title=h.title, score=h.score, doc_type=h.doc_type,
                         path=h.path, section=h.section) for h in found]
    return knowledge_sources(hits, texts={h.id: h.text for h in found})


def _unique(sources: list[Source]) -> list[Source]:
    """One source per id; a later copy with text replaces a bare title."""
    out: dict[str, Source] = {}
    for source in sources:
        kept = out.get(source.id)
        if kept is None or (not kept.text and source.text):
            out[source.id] = source
    return list(out.values())
