"""BM25F over knowledge documents, with front-matter boosts, on an inverted index.

Words: BM25F (BM25 over weighted fields). A word in a title or in the front matter
(tags, alerts, services) says more about what a document is for than the same word
somewhere in the body, so each field counts with its own weight and its own length
normalisation before the usual BM25 saturation. The per-document, per-term weight does
not depend on the query, so it is computed once, at indexing, into postings
(term -> [(document, weight)]); a query touches only the postings of its own terms, never
the whole corpus, which keeps a search over 10,000 chunks in the milliseconds.

Labels: front matter is the team's own labelling (which services, which alerts, which
kind of failure a document is for), so it weighs in beside the words:
- cause kinds: the likeliest cause kinds of the incident, best first, are matched against
  the tags. A document tagged with one cause kind is written for it; one tagged with four
  is a catch-all that fits each of them less, so a document's kind boost is shared among
  the cause kinds it names (and a catch-all does not collect a boost from every kind the
  query lists);
- alerts: the firing alert names a document lists, weighted by how rare each name is among
  the documents (SLOBurnRateHigh is in nearly every runbook and tells little;
  TLSHandshakeErrors or KubeHpaMaxedOut tell a lot);
- services: a document written for an affected service is preferred; one written only
  for other services is held back.
"""

from __future__ import annotations

import heapq
import math
import re
from collections import Counter, defaultdict
from collections.abc import Iterable

from oncall.knowledge.base import KnowledgeQuery
from oncall.model import CAUSE_KINDS, KnowledgeDoc, KnowledgeHit

_WORD = re.compile(r"[a-z0-9][a-z0-9_\-]*[a-z0-9]|[a-z0-9]")
_STOP = frozenset(
    (
        "a an and are as at be by for from has have in into is it its of on or that the this "
        "to was were will with when then than not no do does if"
    ).split()
)
K1, B = 1.2, 0.75

# BM25F field weights and length normalisation. Short fields (title, labels) are barely
# length-normalised: a three-word title is not "diluted" by being long.
FIELDS: dict[str, tuple[float, float]] = {  # name -> (weight, b)
    "title": (3.0, 0.3),
    "tags": (2.0, 0.3),
    "alerts": (1.5, 0.3),
    "services": (1.5, 0.3),
    "summary": (1.5, 0.5),  # an incident record's root cause and resolution
    "body": (1.0, B),
}
# How much each part contributes to a hit's score (the words are scaled to 0..1 first).
WORDS_WEIGHT = 0.45
KIND_WEIGHT = 0.35  # for the likeliest kind; the second counts half, the third a third
SERVICE_MATCH, SERVICE_OTHER = 0.15, -0.1
ALERT_WEIGHT = 0.2  # observed facts: a rare firing alert a runbook names says a lot
MAX_KINDS = 3
# A query built from an incident carries hundreds of words; only the most specific ones
# (highest idf) are scored, which bounds the postings a query touches.
MAX_QUERY_TERMS = 64


def tokens(text: str) -> list[str]:
    out: list[str] = []
    for word in _WORD.findall(text.lower()):
        if word in _STOP:
            continue
        out.append(word)
        if "-" in word or "_" in word:
            out.extend(p for p in re.split(r"[-_]", word) if p and p not in _STOP)
    return out


def _fields(doc: KnowledgeDoc) -> dict[str, list[str]]:
    return {
        "title": tokens(doc.title),
        "tags": tokens(" ".join(doc.tags)),
        "alerts": tokens(" ".join(doc.alerts)),
        "services": tokens(" ".join(doc.services)),
        "summary": tokens(" ".join(x for x in (doc.root_cause, doc.resolution) if x)),
        "body": tokens(doc.body),
    }


class LexicalRetriever:
    """In-memory BM25F + label retriever; `search` is a `Retriever`."""

    def __init__(self, docs: list[KnowledgeDoc]) -> None:
        self.docs = docs
        # term -> (document indexes, idf x saturated BM25F term weight), in index order
        self._postings: dict[str, tuple[list[int], list[float]]] = {}
        self._idf: dict[str, float] = {}
        self._by_kind: dict[str, list[int]] = defaultdict(list)
        self._by_service: dict[str, list[int]] = defaultdict(list)
        self._by_alert: dict[str, list[int]] = defaultdict(list)
        self._kind_share: list[float] = []  # 1 / number of cause kinds a doc is tagged with
        self._alert_idf: dict[str, float] = {}
        self._with_services = {i for i, doc in enumerate(docs) if doc.services}
        # Rank of each document's id: ties in score go to the alphabetically first id.
        self._order = [0] * len(docs)
        for rank, i in enumerate(sorted(range(len(docs)), key=lambda i: docs[i].id)):
            self._order[i] = rank
        self._index(docs)

    def _index(self, docs: list[KnowledgeDoc]) -> None:
        per_doc = [_fields(doc) for doc in docs]
        n = len(docs)
        avg = {f: (sum(len(d[f]) for d in per_doc) / n if n else 0.0) or 1.0 for f in FIELDS}
        df: Counter[str] = Counter()
        postings: dict[str, list[tuple[int, float]]] = defaultdict(list)
        for i, fields in enumerate(per_doc):
            weighted: dict[str, float] = defaultdict(float)
            for name, (weight, b) in FIELDS.items():
                words = fields[name]
                if not words:
                    continue
                norm = 1 - b + b * len(words) / avg[name]
                for term, count in Counter(words).items():
                    weighted[term] += weight * count / norm
            for term, tf in weighted.items():
                postings[term].append((i, tf * (K1 + 1) / (tf + K1)))
            df.update(weighted.keys())
        self._idf = {t: math.log(1 + (n - d + 0.5) / (d + 0.5)) for t, d in df.items()}
        self._postings = {
            term: ([i for i, _ in entries], [self._idf[term] * w for _, w in entries])
            for term, entries in postings.items()
        }
        alert_df: Counter[str] = Counter()
        for i, doc in enumerate(docs):
            kinds = {t.lower() for t in doc.tags} & set(CAUSE_KINDS)
            for kind in kinds:
                self._by_kind[kind].append(i)
            self._kind_share.append(1.0 / len(kinds) if kinds else 0.0)
            for service in set(doc.services):
                self._by_service[service].append(i)
            for alert in set(doc.alerts):
                self._by_alert[alert].append(i)
            alert_df.update(set(doc.alerts))
        self._alert_idf = {a: math.log(1 + (n - d + 0.5) / (d + 0.5)) for a, d in alert_df.items()}

    def search(self, query: KnowledgeQuery, limit: int = 5) -> list[KnowledgeHit]:
        if not self.docs:
            return []
        q = Counter(tokens(query.text))
        words = self._words(q)
        labels, for_them = self._labels(query)
        scale = WORDS_WEIGHT / (max(words.values(), default=0.0) or 1.0)
        scores = {i: w * scale for i, w in words.items()}
        for i, boost in labels.items():
            scores[i] = scores.get(i, 0.0) + boost
        for i in self._with_services.intersection(scores).difference(for_them):
            scores[i] += SERVICE_OTHER  # written for other services only
        order = self._order
        best = heapq.nlargest(limit, (i for i, v in scores.items() if v > 0),
                              key=lambda i: (scores[i], -order[i]))
        return [self._hit(i, scores[i], q) for i in best]

    def _words(self, q: Counter[str]) -> dict[int, float]:
        """BM25F of each document that shares a word with the query (postings only)."""
        terms = sorted((t for t in q if t in self._postings), key=lambda t: (-self._idf[t], t))
        scores: dict[int, float] = {}
        get = scores.get
        for term in terms[:MAX_QUERY_TERMS]:
            ids, weights = self._postings[term]
            for i, weight in zip(ids, weights, strict=True):
                scores[i] = get(i, 0.0) + weight
        return scores

    def _labels(self, query: KnowledgeQuery) -> tuple[dict[int, float], set[int]]:
        """Front-matter boosts for the documents whose labels the query touches, and the
        documents written for one of the query's services."""
        boost: dict[int, float] = defaultdict(float)
        for rank, kind in enumerate(_unique(k.lower() for k in query.kinds)[:MAX_KINDS]):
            for i in self._by_kind.get(kind, ()):
                boost[i] += KIND_WEIGHT / (rank + 1) * self._kind_share[i]
        services = set(query.services)
        matched = {i for s in services for i in self._by_service.get(s, ())}
        for i in matched:
            boost[i] += SERVICE_MATCH
        alerts = [a for a in _unique(query.alerts) if a in self._alert_idf]
        total = sum(self._alert_idf[a] for a in alerts)
        for alert in alerts:
            for i in self._by_alert[alert]:
                boost[i] += ALERT_WEIGHT * self._alert_idf[alert] / total
        return boost, matched

    def _hit(self, i: int, score: float, q: Counter[str]) -> KnowledgeHit:
        doc = self.docs[i]
        return KnowledgeHit(id=doc.id, title=doc.title, score=round(min(score, 1.0), 3),
                            doc_type=doc.doc_type, path=doc.path,
                            section=_best_section(doc.body, q))


def _unique(items: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(items))


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
