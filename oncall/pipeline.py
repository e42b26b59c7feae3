"""Orchestration only: source -> correlate -> analyze -> enrich -> retrieve -> plan.

Each stage is a function of the previous stages' output; timings are kept per stage so
the evaluation can report where time goes. The CLI, the TUI and the tests all enter
here, so what they show is the same triage.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from oncall.analyze import analyze_incident
from oncall.correlate import correlate
from oncall.enrich import enrich
from oncall.knowledge import KnowledgeQuery, LexicalRetriever, Retriever
from oncall.model import Change, Incident, KnowledgeDoc, Policy, Snapshot, Triage
from oncall.remediate import plan_incident
from oncall.remediate.policy import merge_policies
from oncall.sources import Source
from oncall.sources.knowledge import load_knowledge_dir
from oncall.topology import build_topology

RetrieverFactory = Callable[[list[KnowledgeDoc]], Retriever]


class _Timer:
    def __init__(self) -> None:
        self.timings: dict[str, float] = {}

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        start = time.perf_counter()
        try:
            yield
        finally:
            self.timings[name] = self.timings.get(name, 0.0) + time.perf_counter() - start


def load_knowledge(paths: list[Path]) -> list[KnowledgeDoc]:
    docs: list[KnowledgeDoc] = []
    for path in paths:
        docs.extend(load_knowledge_dir(path))
    return docs


def triage(
    source: Source,
    extra_knowledge: list[KnowledgeDoc] | None = None,
    retriever_factory: RetrieverFactory = LexicalRetriever,
) -> Triage:
    return load_and_triage(source, extra_knowledge, retriever_factory)[1]


def load_and_triage(
    source: Source,
    extra_knowledge: list[KnowledgeDoc] | None = None,
    retriever_factory: RetrieverFactory = LexicalRetriever,
    user_policy: Policy | None = None,
) -> tuple[Snapshot, Triage]:
    """The snapshot too, for callers that act on it (executors need pods, changes).

    `user_policy` (from oncall.yaml) is merged into the snapshot's policy, the stricter
    rule winning, before anything is planned or decided.
    """
    timer = _Timer()
    with timer.stage("load"):
        snap = source.snapshot()
        snap.policy = merge_policies(snap.policy, user_policy)
    return snap, triage_snapshot(snap, extra_knowledge, retriever_factory, timer)


def triage_snapshot(
    snap: Snapshot,
    extra_knowledge: list[KnowledgeDoc] | None = None,
    retriever_factory: RetrieverFactory = LexicalRetriever,
    timer: _Timer | None = None,
) -> Triage:
    timer = timer or _Timer()
    with timer.stage("correlate"):
        topology = build_topology(snap.catalog, snap.spans)
        corr = correlate(snap.alerts, snap.now, topology, snap.spans)
    with timer.stage("analyze"):
        for incident in corr.incidents:
            others = [i for i in corr.incidents if i is not incident]
            incident.hypotheses = analyze_incident(incident, snap, topology, others)
    with timer.stage("retrieve"):
        docs = _unique_docs([*snap.knowledge, *(extra_knowledge or [])])
        wants_index = getattr(retriever_factory, "searches_user_index", False)
        retriever = retriever_factory(docs) if docs or wants_index else None
        for incident in corr.incidents:
            if retriever is not None:
                incident.runbooks = retriever.search(_query(incident), limit=5)
    with timer.stage("plan"):
        policy = snap.policy or Policy()
        for incident in corr.incidents:
            plan_incident(incident, snap, policy)
            enrich(incident, snap.catalog, topology, snap.metrics, snap.now)
    return Triage(
        scenario=snap.name,
        now=snap.now,
        incidents=corr.incidents,
        noise=corr.noise,
        stats=corr.stats,
        missing=[*snap.missing, *_retriever_missing(retriever)],
        timings=dict(timer.timings),
        changes=_named_changes(snap, corr.incidents),
        policy=snap.policy,
    )


def _retriever_missing(retriever: Retriever | None) -> list[str]:
    """What the retriever could not search (the user's index, when it failed to open or
    read): optional knowledge never stops a triage, it is named beside absent sources."""
    return [str(m) for m in getattr(retriever, "missing", None) or ()]


def _query(incident: Incident) -> KnowledgeQuery:
    alerts = sorted({a.name for a in incident.alerts})
    words = [*alerts, *incident.services]
    kinds: list[str] = []
    for hyp in incident.hypotheses[:3]:
        if hyp.kind not in kinds:
            kinds.append(hyp.kind)
        words.append(hyp.kind)
        words.extend(hyp.evidence[:3])
    for alert in incident.alerts[:20]:
        words.extend(alert.annotations.get(k, "") for k in ("summary", "description"))
    services = [h.service for h in incident.hypotheses[:2]] + incident.services
    return KnowledgeQuery(text=" ".join(words), services=services, alerts=alerts, kinds=kinds)


def _named_changes(snap: Snapshot, incidents: list[Incident]) -> list[Change]:
    """The changes a hypothesis names, so a saved triage carries their summary and diff."""
    named = {h.change for inc in incidents for h in inc.hypotheses if h.change}
    return [c for c in snap.changes or () if c.id in named]


def _unique_docs(docs: list[KnowledgeDoc]) -> list[KnowledgeDoc]:
    seen: dict[str, KnowledgeDoc] = {}
    for doc in docs:
        seen.setdefault(doc.id, doc)
    return list(seen.values())
