"""What a query needs of the index, held in numpy: vectors, filters, BM25 postings per term.

A search at 10,000 chunks has a budget of a few milliseconds. Asking chroma's HNSW index
(with a `where` filter) and scoring every FTS5 row that shares a word with the query each
cost more than that, and so does a Python loop over the chunks. So the first query of a
process loads, in one SQL statement, each chunk's rowid, id, document, type, services and
vector; after that:

- dense: one matrix-vector product (10,000 x 384 float32 is about 1 ms on one core)
  under a boolean filter mask, then `argpartition` for the top candidates. Exact, not
  approximate;
- BM25: FTS5's `bm25()` is a sum over the query's terms of a per-term, per-chunk weight
  that does not depend on the other terms (idf, the term's weighted frequency and the
  chunk's length). Those weights are precomputed after every write
  (`oncall.knowledge.postings`); a query reads its terms' postings, keeps them as
  (positions, weights) arrays, and sums them with one `bincount`. Same scores as one
  `MATCH 'a OR b OR ...'`, without re-scoring thousands of rows per query. Until the
  postings are rebuilt, a term's weights come from FTS5 itself (`MATCH '"term"'`);
- labels: a page names its alert and its service ("HighErrorRate firing for checkout").
  Words of the query that are an alert or service name some chunk's front matter lists
  rank those chunks, rarer labels counting more (log(1 + chunks / chunks with it)), as
  one more ranking for the fusion. Triage builds the same ranking from the incident;
  this gives `oncall search` it from free text;
- filters (services, doc types) are boolean masks, built once per filter.

The snapshot is dropped whenever the index changes: this connection's own writes bump
`generation`, and SQLite's `PRAGMA data_version` says when another connection wrote.
numpy is imported when a snapshot is built, never at `import oncall...` time.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from oncall.knowledge.postings import lookup, stemmer

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

DIMENSIONS = 384
# FTS5 column weights: title, headings, labels, text.
BM25_WEIGHTS = "4.0, 2.0, 2.0, 1.0"
MAX_TERMS = 64
TERM_CACHE = 4096  # terms whose postings are kept (a few KiB each at 10,000 chunks)
# unicode61 splits on everything that is not a letter or a digit; so do we.
_TERM = re.compile(r"[^\W_]+")
_LABEL = re.compile(r"[^\W_][\w.-]*[^\W_]|[^\W_]")  # payments-db, HighErrorRate, api.v2
_STOP = frozenset((
    "a an and are as at be by for from has have in into is it its of on or that the this "
    "to was were will with when then than not no do does if"
).split())


def query_terms(text: str) -> list[str]:
    """The words of a query as FTS5 will see them, stop words dropped, first seen first."""
    return list(dict.fromkeys(w for w in _TERM.findall(text.lower()) if w not in _STOP))


class Snapshot:
    """One consistent view of the chunks; build with `Snapshot.load(db)`."""

    def __init__(self, db: sqlite3.Connection, rows: list[tuple[Any, ...]],
                 postings: bool = False) -> None:
        import numpy as np

        self._np = np
        self._db = db
        self.postings = postings  # the postings table matches these chunks
        self.rowids = np.array([r[0] for r in rows], dtype=np.int64)
        self.ids: list[str] = [r[1] for r in rows]
        self.doc_ids: list[str] = [r[2] for r in rows]
        self.doc_types: list[str] = [r[3] for r in rows]
        self.services: list[str] = [r[4] for r in rows]
        self.alerts: list[str] = [r[5] for r in rows]
        self.position = {chunk_id: n for n, chunk_id in enumerate(self.ids)}
        self.embedded = sum(1 for r in rows if r[6])  # chunks flagged as in the dense store
        blobs = [r[7] for r in rows]
        self.has_vector = np.array([b is not None for b in blobs], dtype=bool)
        self.matrix = np.zeros((len(rows), DIMENSIONS), dtype=np.float32)
        if self.has_vector.any():
            present = [b for b in blobs if b is not None]
            self.matrix[self.has_vector] = np.frombuffer(
                b"".join(present), dtype=np.float32).reshape(len(present), DIMENSIONS)
        self.vectors = int(self.has_vector.sum())
        # Every chunk the dense store holds has its vector here: rank from the matrix.
        self.covers_dense = self.vectors >= self.embedded
        self._masks: dict[tuple[tuple[str, ...], tuple[str, ...]], npt.NDArray[np.bool_]] = {}
        self._terms: dict[str, tuple[npt.NDArray[np.int64], npt.NDArray[np.float64]]] = {}
        self._labels: dict[str, list[int]] | None = None

    @classmethod
    def load(cls, db: sqlite3.Connection) -> Snapshot:
        rows = db.execute(
            "SELECT c.rowid, c.id, c.doc_id, c.doc_type, c.services, c.alerts, c.dense, "
            "v.vector "
            "FROM chunks c "
            "LEFT JOIN vectors v ON v.rowid = c.rowid ORDER BY c.rowid").fetchall()
        fresh = db.execute("SELECT 1 FROM meta WHERE key='postings'").fetchone() is not None
        return cls(db, rows, postings=fresh)

    def __len__(self) -> int:
        return len(self.ids)

    # -- filters ------------------------------------------------------------------------

    def mask(self, services: Sequence[str], doc_types: Sequence[str]
             ) -> npt.NDArray[np.bool_] | None:
        """Chunks that pass the filters (None: no filter). A chunk without services is
        written for every service and passes any service filter."""
        if not services and not doc_types:
            return None
        key = (tuple(sorted(set(services))), tuple(sorted(set(doc_types))))
        mask = self._masks.get(key)
        if mask is None:
            wanted = [f"|{s}|" for s in key[0]]
            types = set(key[1])
            mask = self._np.array([
                (not wanted or not svc or any(w in svc for w in wanted))
                and (not types or kind in types)
                for svc, kind in zip(self.services, self.doc_types, strict=True)
            ], dtype=bool)
            self._masks[key] = mask
        return mask

    # -- rankings -----------------------------------------------------------------------

    def dense(self, vector: Any, limit: int, services: Sequence[str], doc_types: Sequence[str],
              floor: float) -> list[tuple[str, float]]:
        """Chunks by cosine to `vector` (unit vectors: a dot product), best first."""
        np = self._np
        if not self.vectors or limit <= 0:
            return []
        # einsum, not `@`: BLAS splits a matrix-vector product over its threads, and on
        # a busy two-core machine waiting for the second core costs 3-8 ms instead of
        # einsum's ~1 ms on one.
        scores = np.einsum("ij,j->i", self.matrix, np.asarray(vector, dtype=np.float32))
        keep = self.has_vector
        mask = self.mask(services, doc_types)
        if mask is not None:
            keep = keep & mask
        scores = np.where(keep & (scores >= floor), scores, -np.inf)
        return self._top(scores, limit)

    def bm25(self, text: str, limit: int, services: Sequence[str],
             doc_types: Sequence[str]) -> list[tuple[str, float]]:
        """Chunks by FTS5 BM25 over the query's terms (higher is better), best first."""
        np = self._np
        terms = query_terms(text)[:MAX_TERMS]
        if not terms or not len(self) or limit <= 0:
            return []
        postings = [p for p in self._postings_of(terms) if len(p[0])]
        if not postings:
            return []
        positions = np.concatenate([p[0] for p in postings])
        weights = np.concatenate([p[1] for p in postings])
        scores = np.bincount(positions, weights=weights, minlength=len(self))
        matched = np.zeros(len(self), dtype=bool)
        matched[positions] = True
        mask = self.mask(services, doc_types)
        if mask is not None:
            matched &= mask
        return self._top(np.where(matched, scores, -np.inf), limit)

    def labels(self, text: str, limit: int, services: Sequence[str],
               doc_types: Sequence[str]) -> list[tuple[str, float]]:
        """Chunks whose front matter lists an alert or service the query names."""
        np = self._np
        index = self._label_index()
        named = {w.lower() for w in _LABEL.findall(text)} & index.keys()
        if not named or limit <= 0:
            return []
        scores = np.zeros(len(self), dtype=np.float64)
        for label in named:
            positions = index[label]
            scores[positions] += float(np.log1p(len(self) / len(positions)))
        mask = self.mask(services, doc_types)
        keep = scores > 0 if mask is None else (scores > 0) & mask
        return self._top(np.where(keep, scores, -np.inf), limit)

    def _label_index(self) -> dict[str, list[int]]:
        """Lower-cased alert and service names -> the positions of chunks that list them."""
        if self._labels is None:
            index: dict[str, list[int]] = {}
            for n, (svc, alerts) in enumerate(zip(self.services, self.alerts, strict=True)):
                for label in {v.lower() for v in f"{svc}{alerts}".split("|") if v}:
                    index.setdefault(label, []).append(n)
            self._labels = index
        return self._labels

    def _postings_of(self, terms: list[str]
                     ) -> list[tuple[npt.NDArray[np.int64], npt.NDArray[np.float64]]]:
        """Each term's (positions, weights), from the precomputed postings or from FTS5."""
        np = self._np
        new = [t for t in terms if t not in self._terms]
        stems = stemmer().stems(new) if new and self.postings else []
        for n, term in enumerate(new):
            if self.postings:
                rowids, weights = lookup(self._db, stems[n]) if stems[n] else (
                    np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float64))
            else:
                rowids, weights = self._ask_fts5(term)
            positions = np.searchsorted(self.rowids, rowids)
            valid = positions < len(self.rowids)
            valid[valid] &= self.rowids[positions[valid]] == rowids[valid]
            if len(self._terms) >= TERM_CACHE:
                self._terms.pop(next(iter(self._terms)))
            self._terms[term] = (positions[valid].astype(np.int64), weights[valid])
        return [self._terms[t] for t in terms]

    def _ask_fts5(self, term: str) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float64]]:
        np = self._np
        try:
            rows = self._db.execute(
                f"SELECT rowid, bm25(fts, {BM25_WEIGHTS}) FROM fts WHERE fts MATCH ?",
                (f'"{term}"',)).fetchall()
        except sqlite3.OperationalError:  # an FTS5 syntax corner case: no postings
            rows = []
        return (np.array([r[0] for r in rows], dtype=np.int64),
                -np.array([r[1] for r in rows], dtype=np.float64))

    def _top(self, scores: npt.NDArray[Any], limit: int) -> list[tuple[str, float]]:
        np = self._np
        finite = int(np.isfinite(scores).sum())
        if not finite:
            return []
        k = min(limit, finite)
        top = np.argpartition(-scores, k - 1)[:k] if k < len(scores) else np.arange(len(scores))
        top = top[np.isfinite(scores[top])]
        # best first; ties by position (rowid order), so rankings are deterministic
        order = top[np.lexsort((top, -scores[top]))]
        return [(self.ids[n], float(scores[n])) for n in order]


__all__ = ["Snapshot", "query_terms"]
