"""BM25 over knowledge documents, with front-matter boosts.

Front matter is the team's own labelling (which services, which alerts, which kind
of failure a runbook is for), so it weighs in beside the words: a runbook tagged for
the likeliest cause kind and the firing alert names outranks one that merely shares
vocabulary.
"""

from __future__ import annotations

import math
import re
from collections import Counter

from oncall.knowledge.base import KnowledgeQuery
from oncall.model import KnowledgeDoc, KnowledgeHit

_WORD = re.compile(r"[a-z0-9][a-z0-9_\-]*[a-z0-9]|[a-z0-9]")
_STOP = frozenset(
    (
        "a an and are as at be by for from has have in into is it its of on or that the this "
        "to was were will with when then than not no do does if"
    ).split()
)
K1, B = 1.2, 0.75


def tokens(text: str) -> list[str]:
    out: list[str] = []
    for word in _WORD.findall(text.lower()):
        if word in _STOP:
            continue
        out.append(word)
        if "-" in word or "_" in word:
            out.extend(p for p in re.split(r"[-_]", word) if p and p not in _STOP)
    return out


class LexicalRetriever:
    def __init__(self, docs: list[KnowledgeDoc]) -> None:
        self.docs = docs
        self._tf: list[Counter[str]] = []
        for doc in docs:
            fields = " ".join(
                [doc.title, doc.title, " ".join(doc.tags), " ".join(doc.alerts),
                 " ".join(doc.services), doc.root_cause or "", doc.resolution or "", doc.body]
            )
            self._tf.append(Counter(tokens(fields)))
        self._len = [sum(tf.values()) for tf in self._tf]
        self._avg = (sum(self._len) / len(self._len)) if self._len else 1.0
        df: Counter[str] = Counter()
        for tf in self._tf:
            df.update(tf.keys())
        n = len(docs)
        self._idf = {t: math.log(1 + (n - d + 0.5) / (d + 0.5)) for t, d in df.items()}

    def search(self, query: KnowledgeQuery, limit: int = 5) -> list[KnowledgeHit]:
        if not self.docs:
            return []
        q = Counter(tokens(query.text))
        raw = [self._bm25(i, q) for i in range(len(self.docs))]
        top = max(raw) or 1.0
        scored: list[tuple[float, int]] = []
        for i, doc in enumerate(self.docs):
            score = 0.45 * (raw[i] / top) + self._boost(doc, query)
            if score > 0:
                scored.append((score, i))
        scored.sort(key=lambda x: (-x[0], self.docs[x[1]].id))
        return [
            KnowledgeHit(
                id=self.docs[i].id,
                title=self.docs[i].title,
                score=round(min(score, 1.0), 3),
                doc_type=self.docs[i].doc_type,
                path=self.docs[i].path,
                section=_best_section(self.docs[i].body, q),
            )
            for score, i in scored[:limit]
        ]

    def _bm25(self, i: int, q: Counter[str]) -> float:
        tf = self._tf[i]
        norm = K1 * (1 - B + B * self._len[i] / self._avg)
        score = 0.0
        for term in q:
            f = tf.get(term, 0)
            if f:
                score += self._idf.get(term, 0.0) * f * (K1 + 1) / (f + norm)
        return score

    @staticmethod
    def _boost(doc: KnowledgeDoc, query: KnowledgeQuery) -> float:
        boost = 0.0
        tags = {t.lower() for t in doc.tags}
        for rank, kind in enumerate(query.kinds[:3]):
            if kind in tags:
                boost += 0.35 / (rank + 1)
        if doc.services and set(doc.services) & set(query.services):
            boost += 0.15
        elif doc.services:
            boost -= 0.1  # written for another service
        if set(doc.alerts) & set(query.alerts):
            boost += 0.1
        return boost


def _best_section(body: str, q: Counter[str]) -> str:
    best, best_score = "", 0
    heading = ""
    counts: Counter[str] = Counter()
    for line in [*body.splitlines(), "## "]:
        if line.startswith("#"):
            score = sum(counts[t] for t in q)
            if heading and score > best_score:
                best, best_score = heading, score
            heading = line.lstrip("#").strip()
            counts = Counter()
        else:
            counts.update(tokens(line))
    return best
