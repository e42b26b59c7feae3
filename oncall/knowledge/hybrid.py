"""The hybrid retriever triage can use: dense + BM25 + front-matter labels, fused by rank.

`HybridRetriever(docs)` has the signature of `LexicalRetriever(docs)`, so it drops into
`pipeline.triage(retriever_factory=...)`. The documents handed over (a scenario's
`knowledge/` and `-k` folders) go into a throwaway in-memory index; `hybrid_factory`
adds the user's persistent index (`oncall index`) on top, searched the same way.

The team's labels weigh in as a third ranking beside dense and BM25: runbooks tagged
for the likeliest cause kinds, naming the firing alerts, or written for the affected
services. Reciprocal rank fusion needs no score calibration between the three.

Without the model installed the documents are ranked by `LexicalRetriever` (and the
user's index by BM25 plus labels); a note says so once per process.

The user's index is optional: one that cannot be opened or read (a corrupt file, a
folder without permission, a shared server that is down) never stops a triage. The
retriever goes on with the scenario's documents and lists the reason in `missing`,
which the pipeline adds to the triage's own `missing`.
"""

from __future__ import annotations

import sqlite3
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from oncall.errors import OncallError
from oncall.knowledge.base import KnowledgeQuery, Retriever
from oncall.knowledge.embed import Embedder
from oncall.knowledge.lexical import LexicalRetriever
from oncall.knowledge.store import CANDIDATES, KnowledgeIndex, SearchHit
from oncall.model import KnowledgeDoc, KnowledgeHit

_NOTED: set[str] = set()


def note_once(message: str) -> None:
    """Says a thing on stderr once per process (the lexical fallback, mostly)."""
    if message not in _NOTED:
        _NOTED.add(message)
        sys.stderr.write(f"oncall: {message}\n")


LEXICAL_NOTE = ("no embedding model installed, ranking by BM25 only "
                "(run `oncall model install` for hybrid search)")

# What a user index that cannot be used raises: our one-line errors, SQLite's, the OS's.
UNAVAILABLE = (OncallError, sqlite3.Error, OSError)


def unavailable(exc: BaseException, where: str = "") -> str:
    """The `missing` entry for a user index triage had to do without."""
    reason = " ".join(str(exc).split()) or type(exc).__name__
    if isinstance(exc, sqlite3.Error) and where:
        reason = f"{where}: cannot read the index database ({reason})"
    return f"knowledge index: {reason}; triaged without it"


def label_ranking(index: KnowledgeIndex, query: KnowledgeQuery,
                  limit: int = CANDIDATES) -> list[tuple[str, float]]:
    """Chunks ranked by how well their front matter fits: kinds, alerts, services."""
    clauses, params = [], []
    for kind in query.kinds[:3]:
        clauses.append("instr(lower(tags), ?) > 0")
        params.append(f"|{kind.lower()}|")
    for alert in query.alerts:
        clauses.append("instr(alerts, ?) > 0")
        params.append(f"|{alert}|")
    for service in query.services:
        clauses.append("instr(services, ?) > 0")
        params.append(f"|{service}|")
    if not clauses:
        return []
    rows = index.db.execute(
        f"SELECT id, tags, alerts, services, ordinal FROM chunks WHERE {' OR '.join(clauses)}",
        params).fetchall()
    scored: list[tuple[float, int, str]] = []
    services = set(query.services)
    alerts = set(query.alerts)
    for chunk_id, tags, chunk_alerts, chunk_services, ordinal in rows:
        tag_set = {t.lower() for t in tags.split("|") if t}
        score = 0.0
        for rank, kind in enumerate(query.kinds[:3]):
            if kind.lower() in tag_set:
                score += 0.35 / (rank + 1)
        if {a for a in chunk_alerts.split("|") if a} & alerts:
            score += 0.1
        if {s for s in chunk_services.split("|") if s} & services:
            score += 0.15
        if score > 0:
            scored.append((score, ordinal, chunk_id))
    scored.sort(key=lambda x: (-x[0], x[1], x[2]))
    return [(chunk_id, score) for score, _, chunk_id in scored[:limit]]


def query_index(index: KnowledgeIndex, query: KnowledgeQuery, limit: int) -> list[SearchHit]:
    """Dense, BM25 and labels for one index, fused; scores comparable across indexes.

    The affected services filter first (documents for every service stay in); only when
    that leaves nothing are other services' documents ranked, at half the score.
    """
    services = [s for s in dict.fromkeys(query.services) if s]
    for filter_services in ([services, []] if services else [[]]):
        rankings = {"bm25": index.lexical_ranking(query.text, filter_services, (), CANDIDATES),
                    "labels": label_ranking(index, query)}
        if index.mode == "hybrid":
            rankings["dense"] = index.dense_ranking(query.text, filter_services, (), CANDIDATES)
        if not any(rankings.values()):
            continue
        hits = index.fuse(rankings, limit, scale_to=3)
        if hits and services and not filter_services:
            for hit in hits:
                hit.score *= 0.5
        if hits:
            return hits
    return []


class HybridRetriever:
    """Searches `docs` (in memory) and, optionally, a persistent user index."""

    def __init__(self, docs: list[KnowledgeDoc], *, user_index: KnowledgeIndex | None = None,
                 lexical: bool = False, model_root: Path | None = None,
                 embedder: Embedder | None = None) -> None:
        from oncall.knowledge.embed import load_embedder

        self.embedder = None if lexical else (embedder or load_embedder(model_root))
        if self.embedder is None and not lexical:
            note_once(LEXICAL_NOTE)
        self.user_index = user_index
        self.missing: list[str] = []  # what could not be searched, for the triage's missing
        self._lexical: LexicalRetriever | None = None
        self._memory: KnowledgeIndex | None = None
        if docs and self.embedder is None:
            self._lexical = LexicalRetriever(docs)
        elif docs and self.embedder is not None:
            from oncall.knowledge.vector_cache import CachedEmbedder

            self._memory = KnowledgeIndex.in_memory(CachedEmbedder(self.embedder))
            self._memory.add_docs(docs)

    def search(self, query: KnowledgeQuery, limit: int = 5) -> list[KnowledgeHit]:
        merged: list[KnowledgeHit] = []
        if self._lexical is not None:
            merged.extend(self._lexical.search(query, limit))
        if self._memory is not None:
            merged.extend(_to_hit(h) for h in query_index(self._memory, query, limit))
        if self.user_index is not None:
            try:
                merged.extend(_to_hit(h) for h in query_index(self.user_index, query, limit))
            except UNAVAILABLE as exc:  # e.g. a page of the file is corrupt: go on without
                self.missing.append(unavailable(exc, self.user_index.location))
                self.user_index = None
        seen: dict[str, KnowledgeHit] = {}
        for hit in sorted(merged, key=lambda h: -h.score):
            seen.setdefault(hit.id, hit)
        return list(seen.values())[:limit]


class HybridFactory:
    """A `RetrieverFactory`: `factory(docs)` -> a `HybridRetriever` over docs + user index.

    `searches_user_index` tells the pipeline to call it even when a scenario brings no
    documents of its own. The user's index is opened read-only on every call (one per
    triage; a dashboard reload sees what `oncall index` added since, and each thread
    gets its own SQLite connection); when it cannot be opened the retriever goes on
    without it and names it in `missing`.
    """

    def __init__(self, index: Path | None = None, *, use_user_index: bool = True,
                 lexical: bool = False, model_root: Path | None = None) -> None:
        self.index_path = index
        self.use_user_index = use_user_index
        self.lexical = lexical
        self.model_root = model_root
        self.searches_user_index = use_user_index

    def user_index(self) -> KnowledgeIndex | None:
        """The user's index, read-only; raises what `KnowledgeIndex.open` raises."""
        if not self.use_user_index:
            return None
        return KnowledgeIndex.open(self.index_path, lexical=self.lexical,
                                   model_root=self.model_root, read_only=True)

    def __call__(self, docs: list[KnowledgeDoc]) -> Retriever:
        problem = None
        try:
            index = self.user_index()
        except UNAVAILABLE as exc:
            index, problem = None, unavailable(exc)
        if index is not None and index.note:
            note_once(index.note)
        retriever = HybridRetriever(docs, user_index=index, lexical=self.lexical,
                                    model_root=self.model_root)
        if problem:
            retriever.missing.append(problem)
        return retriever


def hybrid_factory(index: Path | None = None, **options: Any) -> HybridFactory:
    return HybridFactory(index, **options)


def _to_hit(hit: SearchHit) -> KnowledgeHit:
    return KnowledgeHit(id=hit.id, title=hit.title, score=round(min(hit.score, 1.0), 3),
                        doc_type=hit.doc_type, path=hit.path, section=hit.section)


__all__: Sequence[str] = ("HybridFactory", "HybridRetriever", "hybrid_factory", "label_ranking")
