"""BM25 postings computed once per index change, so a query never scores rows in SQLite.

FTS5's `bm25()` is a sum over the query's terms of a weight that depends only on the
term and the row (Robertson/Sparck Jones idf, the term's column-weighted frequency, the
row's length against the average). Asking FTS5 per query re-scores every row that shares
a word with the query: at 10,000 chunks that is 3-8 ms per term the first time it is
seen. So after every write the index reads all term occurrences once (the `fts5vocab`
instance table: ~0.7 s at 10,000 chunks), computes each (term, row) weight with FTS5's
own formula in numpy, and stores one row per term: `postings(term, rowids, weights)`.
A query stems its words with the same tokenizer (a private in-memory FTS5 table) and
reads a handful of rows by primary key.

`meta.postings` holds the index generation the postings were built for; a write clears
it, and until the next build queries fall back to asking FTS5 per term.
"""

from __future__ import annotations

import sqlite3
import threading
from typing import Any

TOKENIZE = "porter unicode61"  # must be the fts table's tokenizer
MAX_KNOWN = 100_000  # stems remembered per process
COLUMNS = ("title", "section", "labels", "text")
WEIGHTS = (4.0, 2.0, 2.0, 1.0)  # title, headings, labels, text
K1, B = 1.2, 0.75  # FTS5's bm25() constants

SCHEMA_SQL = """
CREATE TABLE IF NOT EXISTS postings(term TEXT PRIMARY KEY, rowids BLOB NOT NULL,
                                    weights BLOB NOT NULL) WITHOUT ROWID;
CREATE VIRTUAL TABLE IF NOT EXISTS fts_instances USING fts5vocab(fts, 'instance');
"""


def rebuild(db: sqlite3.Connection) -> int:
    """Recomputes every term's postings from the FTS5 index; returns the term count.

    Runs inside the caller's transaction (no commit here)."""
    import numpy as np

    db.execute("DELETE FROM postings")
    rows = db.execute("SELECT term, doc, col FROM fts_instances").fetchall()
    n_rows = int(db.execute("SELECT count(*) FROM fts").fetchone()[0])
    if not rows or not n_rows:
        return 0
    term_ids: dict[str, int] = {}
    t = np.fromiter((term_ids.setdefault(r[0], len(term_ids)) for r in rows), dtype=np.int64,
                    count=len(rows))
    docs = np.fromiter((r[1] for r in rows), dtype=np.int64, count=len(rows))
    column_weight = {name: w for name, w in zip(COLUMNS, WEIGHTS, strict=True)}
    w = np.fromiter((column_weight[r[2]] for r in rows), dtype=np.float64, count=len(rows))
    uniq_docs, doc_pos = np.unique(docs, return_inverse=True)
    length = np.bincount(doc_pos).astype(np.float64)  # tokens in the row, every column
    avgdl = float(length.sum()) / n_rows
    pairs, pair_pos = np.unique(t * len(uniq_docs) + doc_pos, return_inverse=True)
    freq = np.bincount(pair_pos, weights=w)  # column-weighted term frequency per row
    pair_term, pair_doc = pairs // len(uniq_docs), pairs % len(uniq_docs)
    hits = np.bincount(pair_term, minlength=len(term_ids)).astype(np.float64)
    idf = np.log((n_rows - hits + 0.5) / (hits + 0.5))
    idf[idf <= 0.0] = 1e-6  # as FTS5 does for terms in more than half the rows
    norm = K1 * (1.0 - B + B * length[pair_doc] / avgdl)
    score = idf[pair_term] * freq * (K1 + 1.0) / (freq + norm)
    bounds = np.concatenate([[0], np.cumsum(hits.astype(np.int64))])  # pairs are term-major
    rowids = uniq_docs[pair_doc]
    names = list(term_ids)
    db.executemany("INSERT INTO postings(term, rowids, weights) VALUES (?, ?, ?)", (
        (names[i], rowids[bounds[i]:bounds[i + 1]].tobytes(),
         score[bounds[i]:bounds[i + 1]].tobytes()) for i in range(len(names))))
    return len(names)


def lookup(db: sqlite3.Connection, stem: str) -> tuple[Any, Any]:
    """(rowids int64, weights float64) for one stemmed term; empty arrays when absent."""
    import numpy as np

    row = db.execute("SELECT rowids, weights FROM postings WHERE term=?", (stem,)).fetchone()
    if row is None:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float64)
    return np.frombuffer(row[0], dtype=np.int64), np.frombuffer(row[1], dtype=np.float64)


class Stemmer:
    """Words -> the terms the fts table stores (its own tokenizer, on a private table)."""

    def __init__(self) -> None:
        self._db = sqlite3.connect(":memory:", check_same_thread=False)
        self._db.execute(f"CREATE VIRTUAL TABLE q USING fts5(x, tokenize='{TOKENIZE}')")
        self._db.execute("CREATE VIRTUAL TABLE qv USING fts5vocab(q, 'instance')")
        self._known: dict[str, str] = {}
        self._lock = threading.Lock()

    def stems(self, words: list[str]) -> list[str]:
        """One stem per word ("" when the tokenizer keeps nothing of it)."""
        with self._lock:
            new = [w for w in dict.fromkeys(words) if w not in self._known]
            if new and len(self._known) > MAX_KNOWN:
                self._known.clear()
            if new:
                with self._db:
                    self._db.executemany("INSERT INTO q(rowid, x) VALUES (?, ?)",
                                         list(enumerate(new, start=1)))
                    found: dict[int, str] = {}
                    for stem, doc in self._db.execute(
                            "SELECT term, doc FROM qv ORDER BY doc, offset"):
                        found.setdefault(int(doc), str(stem))
                    self._db.execute("DELETE FROM q")
                for n, word in enumerate(new, start=1):
                    self._known[word] = found.get(n, "")
            return [self._known[w] for w in words]


_STEMMER: list[Stemmer] = []


def stemmer() -> Stemmer:
    if not _STEMMER:
        _STEMMER.append(Stemmer())
    return _STEMMER[0]


__all__ = ["SCHEMA_SQL", "Stemmer", "lookup", "rebuild", "stemmer"]
