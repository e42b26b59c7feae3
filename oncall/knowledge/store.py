"""The knowledge index: an SQLite sidecar (file hashes, chunks, FTS5) beside a dense store.

Layout of an index directory (default `~/.local/share/oncall/index`):

    oncall.sqlite3   files and their content hashes, chunks, the FTS5 (BM25) index
    chroma/          the chroma PersistentClient's files (dense vectors)

With `ONCALL_CHROMA_URL` the vectors live on a shared `chroma run` server and chroma is
the source of truth: every chunk carries its file hash and labels as metadata, and the
local sidecar (`remote-<hash>.sqlite3`) is rebuilt from the server whenever the
collection's generation stamp differs from the one the sidecar saw last.

Incremental by content: a file whose SHA-256 is unchanged is not parsed again; files
that vanished from a folder being indexed are removed. Chunks are written to SQLite
first with `dense = 0` and flagged once their vectors are in the dense store, so a
run that stops half-way (or a model installed later) is completed by the next run.

The vectors are also kept in the sidecar (`vectors`, float32 blobs): queries rank
chunks from a numpy snapshot of them (`oncall.knowledge.snapshot`), exact and in about a
millisecond, instead of a chroma HNSW query per search. Chroma stays the store of
record, and the one a shared index is read from.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import sqlite3
import stat
import time
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from oncall.errors import InputError, OncallError
from oncall.knowledge.base import utf8_text
from oncall.knowledge.chunk import (
    Chunk,
    chunk_doc,
    chunk_source,
    discover,
    path_key,
    read_source,
    sha256,
)
from oncall.knowledge.dense import (
    DENSE_FLOOR,
    URL_ENV,
    ChromaStore,
    DenseStore,
    MemoryStore,
    join_labels,
)
from oncall.knowledge.embed import Embedder, load_embedder
from oncall.knowledge.paths import default_index_dir
from oncall.knowledge.postings import SCHEMA_SQL as POSTINGS_SQL
from oncall.knowledge.postings import rebuild as rebuild_postings
from oncall.knowledge.snapshot import Snapshot
from oncall.model import KnowledgeDoc

SCHEMA = "2"  # 2: the vectors table
INDEX_FILE = "oncall.sqlite3"
RRF_K = 60
CANDIDATES = 50
Progress = Callable[[str, int, int], None]  # phase, done, total

_SCHEMA_SQL = """
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS files(
    path TEXT PRIMARY KEY, sha256 TEXT NOT NULL, docs INTEGER NOT NULL,
    chunks INTEGER NOT NULL, indexed_at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS chunks(
    rowid INTEGER PRIMARY KEY, id TEXT UNIQUE NOT NULL, path TEXT NOT NULL,
    ordinal INTEGER NOT NULL, doc_id TEXT NOT NULL, title TEXT NOT NULL,
    doc_type TEXT NOT NULL, section TEXT NOT NULL, headings TEXT NOT NULL,
    services TEXT NOT NULL, alerts TEXT NOT NULL, tags TEXT NOT NULL,
    root_cause TEXT NOT NULL, resolution TEXT NOT NULL, text TEXT NOT NULL,
    dense INTEGER NOT NULL DEFAULT 0);
CREATE INDEX IF NOT EXISTS chunks_path ON chunks(path);
CREATE INDEX IF NOT EXISTS chunks_dense ON chunks(dense);
CREATE TABLE IF NOT EXISTS tombstones(id TEXT PRIMARY KEY);
CREATE TABLE IF NOT EXISTS vectors(rowid INTEGER PRIMARY KEY, vector BLOB NOT NULL);
CREATE VIRTUAL TABLE IF NOT EXISTS fts USING fts5(
    title, section, labels, text, tokenize = 'porter unicode61');
"""


@dataclass(slots=True)
class IndexReport:
    files_seen: int = 0
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    removed: int = 0
    chunks_written: int = 0
    embedded: int = 0
    seconds: float = 0.0
    mode: str = "hybrid"


@dataclass(slots=True)
class SearchHit:
    id: str
    title: str
    doc_type: str
    section: str
    path: str
    score: float
    chunk_id: str = ""
    text: str = ""
    services: list[str] = field(default_factory=list)
    root_cause: str = ""
    resolution: str = ""
    dense_rank: int | None = None
    lexical_rank: int | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id, "title": self.title, "doc_type": self.doc_type,
            "section": self.section, "path": self.path, "score": round(self.score, 4),
            "services": self.services, "root_cause": self.root_cause or None,
            "resolution": self.resolution or None,
            "ranks": {"dense": self.dense_rank, "bm25": self.lexical_rank},
        }


def chroma_url() -> str | None:
    """`$ONCALL_CHROMA_URL` (a shared `chroma run` server), checked as every configured
    URL is; None when unset."""
    value = os.environ.get(URL_ENV) or None
    if value is None:
        return None
    from oncall.config import BadURL, check_url

    try:
        return check_url(value)
    except BadURL as exc:
        raise InputError(URL_ENV, exc.reason) from None


class KnowledgeIndex:
    """Open with `KnowledgeIndex.open(...)` (persistent) or `.in_memory(...)` (throwaway)."""

    def __init__(self, db: sqlite3.Connection, dense: DenseStore | None,
                 embedder: Embedder | None, location: str, remote: bool = False,
                 directory: Path | None = None, read_only: bool = False) -> None:
        self.db = db
        self.dense = dense
        self.embedder = embedder
        self.location = location
        self.remote = remote
        self.directory = directory
        self.read_only = read_only
        self.note: str | None = None  # why a read-only index is ranked without vectors
        self._generation = 0  # bumped by every write through this connection
        self._snap: tuple[tuple[int, int], Snapshot] | None = None
        if read_only:
            self._check_schema()
            if embedder is not None:
                self._check_model_read_only(embedder.fingerprint)
            return
        self._init_schema()
        if remote:
            self._refresh_from_remote()
        elif dense is not None and embedder is not None:
            self._check_model(embedder.fingerprint)

    # -- opening ------------------------------------------------------------------------

    @classmethod
    def open(cls, path: Path | None = None, *, lexical: bool = False,
             model_root: Path | None = None, url: str | None = None,
             embedder: Embedder | None = None, read_only: bool = False) -> KnowledgeIndex:
        """The user's index: `path` (or the data dir), or the server at `url`/env.

        `embedder` overrides the installed model (tests pass a small stand-in).
        `read_only` is for searching: a local index must exist already and is neither
        created, migrated, re-flagged nor touched (SQLite opens it read-only; chroma is
        not opened at all, the sidecar holds the vectors). A shared server's local
        sidecar is a cache and is still refreshed."""
        directory = path or default_index_dir()
        url = url if url is not None else chroma_url()
        if read_only and not url:
            db = _connect_read_only(directory, named=path is not None)
            embedder = None if lexical else (embedder or load_embedder(model_root))
            return cls(db, None, embedder, str(directory), directory=directory, read_only=True)
        if directory.exists() and not directory.is_dir():
            raise InputError(str(directory), "is not a directory (expected an index folder)")
        try:
            directory.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise InputError(str(directory), f"cannot create the index ({exc.strerror})") from None
        if embedder is None and not lexical:
            embedder = load_embedder(model_root)
        elif lexical:
            embedder = None
        if url:
            from oncall.knowledge.dense import open_chroma

            name = hashlib.sha256(url.encode()).hexdigest()[:12]
            db = _connect(directory / f"remote-{name}.sqlite3")
            return cls(db, open_chroma(directory, embedder, url), embedder, url, remote=True,
                       directory=directory)
        db = _connect(directory / INDEX_FILE)
        dense: DenseStore | None = None
        if embedder is not None or (directory / "chroma").is_dir():
            from oncall.knowledge.dense import open_chroma

            dense = open_chroma(directory, embedder)
        return cls(db, dense, embedder, str(directory), directory=directory)

    @classmethod
    def in_memory(cls, embedder: Embedder | None = None) -> KnowledgeIndex:
        dense = MemoryStore(embedder) if embedder is not None else None
        return cls(sqlite3.connect(":memory:"), dense, embedder, ":memory:")

    @property
    def mode(self) -> str:
        has_vectors = self.dense is not None or self.read_only  # read-only: the sidecar's
        return "hybrid" if self.embedder is not None and has_vectors else "lexical"

    def close(self) -> None:
        self.db.close()

    # -- schema and bookkeeping ---------------------------------------------------------

    def _init_schema(self) -> None:
        version = None
        with contextlib.suppress(sqlite3.Error):
            row = self.db.execute("SELECT value FROM meta WHERE key='schema'").fetchone()
            version = row[0] if row else None
        if version not in (None, SCHEMA):
            for table in ("meta", "files", "chunks", "tombstones", "fts_instances", "fts",
                          "vectors", "postings"):
                self.db.execute(f"DROP TABLE IF EXISTS {table}")
            if self.dense is not None and not self.remote:  # its chunks are forgotten too
                self.dense.reset()
        self.db.executescript(_SCHEMA_SQL + POSTINGS_SQL)
        self._set_meta("schema", SCHEMA)
        self.db.commit()

    def _check_schema(self) -> None:
        """A read-only index must be one this oncall writes: nothing can be migrated."""
        path = self.location if self.directory is None else str(self.directory / INDEX_FILE)
        try:
            version = self._meta("schema")
        except sqlite3.DatabaseError as exc:
            reason = "not an oncall index" if "no such table" in str(exc) else str(exc)
            raise InputError(path, f"cannot open the index database ({reason})") from None
        if version != SCHEMA:
            raise InputError(path, f"was written by another oncall version (index schema "
                             f"{version or 'unknown'}, this one reads {SCHEMA}); run "
                             "`oncall index PATH` to rebuild it")

    def _check_model_read_only(self, fingerprint: str) -> None:
        """Vectors of another model (or none) cannot rank: search by words and say so."""
        stored = self._meta("model")
        if stored == fingerprint:
            return
        self.embedder = None
        self.note = (f"the index at {self.location} has no vectors of the installed model "
                     f"({'built without embeddings' if stored is None else stored}); ranking "
                     "it by BM25 only (run `oncall index PATH` to embed it)")

    def _meta(self, key: str) -> str | None:
        row = self.db.execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
        return str(row[0]) if row else None

    def _set_meta(self, key: str, value: str) -> None:
        self.db.execute("INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)", (key, value))

    def _check_model(self, fingerprint: str) -> None:
        """Vectors from another model are useless: drop them and re-embed."""
        stored = self._meta("model")
        if stored == fingerprint:
            return
        if stored is not None and self.dense is not None:
            self.dense.reset()
        self.db.execute("UPDATE chunks SET dense = 0")
        self.db.execute("DELETE FROM vectors")
        self._set_meta("model", fingerprint)
        self.db.commit()
        self._generation += 1

    # -- indexing -----------------------------------------------------------------------

    def index_paths(self, roots: Sequence[Path], progress: Progress | None = None) -> IndexReport:
        """Brings the index up to date with the knowledge files under `roots`."""
        start = time.perf_counter()
        report = IndexReport(mode=self.mode)
        self._writable()
        if self.remote and self.embedder is None:
            raise InputError(URL_ENV, "writing to a shared chroma server needs the embedding "
                             "model; run `oncall model install` first")
        found: dict[Path, str] = {}
        for root in roots:
            for path, default_type in discover(root):
                found.setdefault(path, default_type)
        known = dict(self.db.execute("SELECT path, sha256 FROM files").fetchall())
        report.files_seen = len(found)
        changed: list[tuple[str, str, list[KnowledgeDoc], list[Chunk]]] = []
        for n, (path, default_type) in enumerate(sorted(found.items())):
            src = read_source(path, default_type)
            if known.get(path_key(path)) == src.sha256:
                report.unchanged += 1
            else:
                docs, chunks = chunk_source(src)  # bad input raises before anything is written
                changed.append((path_key(path), src.sha256, docs, chunks))
            if progress:
                progress("reading", n + 1, len(found))
        seen = {path_key(p) for p in found}
        gone = [p for p in known if p not in seen and _under_any(p, roots)]
        for path_str, _sha, _docs, _chunks in changed:
            if path_str in known:
                report.updated += 1
            else:
                report.added += 1
        report.removed = len(gone)
        self._write(changed, gone)
        report.chunks_written = sum(len(c[3]) for c in changed)
        self._refresh_postings()
        report.embedded = self._embed_pending(progress)
        if changed or gone or report.embedded:
            # fold the write-ahead log into the file: a bulk write leaves it as large as
            # the data; busy readers just make this a no-op
            with contextlib.suppress(sqlite3.Error):
                self.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        report.seconds = time.perf_counter() - start
        return report

    def add_docs(self, docs: Iterable[KnowledgeDoc]) -> int:
        """Indexes parsed documents (a scenario's knowledge/), keyed by path or id."""
        self._writable()
        changed: list[tuple[str, str, list[KnowledgeDoc], list[Chunk]]] = []
        for doc in docs:
            key = path_key(doc.path) if doc.path else f"doc:{utf8_text(doc.id)}"
            digest = sha256(json.dumps([doc.id, doc.title, doc.doc_type, doc.body, doc.services,
                                        doc.alerts, doc.tags, doc.root_cause, doc.resolution],
                                       default=str).encode())
            chunks = chunk_doc(doc, sha256(f"{key}\0{doc.id}".encode("utf-8", "surrogatepass"))
                               [:16])
            changed.append((key, digest, [doc], chunks))
        self._write(changed, [])
        self._refresh_postings()
        self._embed_pending(None)
        return sum(len(c[3]) for c in changed)

    def _writable(self) -> None:
        if self.read_only:
            raise OncallError(f"{self.location}: the index was opened for searching only")

    def _write(self, changed: list[tuple[str, str, list[KnowledgeDoc], list[Chunk]]],
               gone: list[str]) -> None:
        now = time.time()
        db = self.db
        with db:
            if changed or gone:
                db.execute("DELETE FROM meta WHERE key='postings'")  # stale from here on
            for path in [*gone, *(c[0] for c in changed)]:
                rows = db.execute("SELECT rowid, id FROM chunks WHERE path=?", (path,)).fetchall()
                db.executemany("DELETE FROM fts WHERE rowid=?", [(r[0],) for r in rows])
                db.executemany("DELETE FROM vectors WHERE rowid=?", [(r[0],) for r in rows])
                db.executemany("INSERT OR IGNORE INTO tombstones(id) VALUES (?)",
                               [(r[1],) for r in rows])
                db.execute("DELETE FROM chunks WHERE path=?", (path,))
                db.execute("DELETE FROM files WHERE path=?", (path,))
            for path, digest, docs, chunks in changed:
                db.execute("INSERT INTO files(path, sha256, docs, chunks, indexed_at) "
                           "VALUES (?, ?, ?, ?, ?)", (path, digest, len(docs), len(chunks), now))
                db.executemany("DELETE FROM tombstones WHERE id=?", [(c.id,) for c in chunks])
                for c in chunks:
                    self._insert_chunk(c, path)
        self._generation += 1
        self._flush_tombstones()

    def _insert_chunk(self, c: Chunk, path: str, dense: int = 0) -> int:
        cur = self.db.execute(
            "INSERT INTO chunks(id, path, ordinal, doc_id, title, doc_type, section, headings, "
            "services, alerts, tags, root_cause, resolution, text, dense) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (c.id, path, c.ordinal, c.doc_id, c.title, c.doc_type, c.section,
             json.dumps(list(c.headings)), join_labels(c.services), join_labels(c.alerts),
             join_labels(c.tags), c.root_cause, c.resolution, c.text, dense))
        labels = " ".join([c.labels(), c.root_cause, c.resolution])
        self.db.execute("INSERT INTO fts(rowid, title, section, labels, text) VALUES (?,?,?,?,?)",
                        (cur.lastrowid, c.title, " ".join(c.headings), labels, c.text))
        return int(cur.lastrowid or 0)

    def _refresh_postings(self) -> None:
        """Recomputes the BM25 postings when a write made them stale (see postings.py)."""
        if self._meta("postings") is not None:
            return
        with self.db:
            rebuild_postings(self.db)
            self._set_meta("postings", "1")
        self._generation += 1

    def _flush_tombstones(self) -> None:
        ids = [r[0] for r in self.db.execute("SELECT id FROM tombstones").fetchall()]
        if not ids:
            return
        if self.dense is not None:
            self.dense.delete(ids)
        with self.db:
            self.db.executemany("DELETE FROM tombstones WHERE id=?", [(i,) for i in ids])
        self._bump_generation()

    def _embed_pending(self, progress: Progress | None) -> int:
        if self.dense is None or self.embedder is None:
            return 0
        rows = self.db.execute("SELECT * FROM chunks WHERE dense = 0 ORDER BY rowid").fetchall()
        if not rows:
            return 0
        chunks = [_row_chunk(r) for r in rows]
        rowids = [int(r[0]) for r in rows]
        shas = dict(self.db.execute("SELECT path, sha256 FROM files").fetchall())
        total = len(chunks)
        step = 256  # the embedder sorts each step by length: padding stays short
        for start in range(0, total, step):
            batch = chunks[start:start + step]
            vectors = self.embedder.embed([c.embed_text() for c in batch])
            self.dense.upsert(batch, shas, None, vectors)
            with self.db:
                self.db.executemany(
                    "INSERT OR REPLACE INTO vectors(rowid, vector) VALUES (?, ?)",
                    [(rowid, v.astype("float32").tobytes())
                     for rowid, v in zip(rowids[start:start + step], vectors, strict=True)])
                self.db.executemany("UPDATE chunks SET dense = 1 WHERE id=?",
                                    [(c.id,) for c in batch])
            self._generation += 1
            if progress:
                progress("embedding", start + len(batch), total)
        self._bump_generation()
        return total

    def _bump_generation(self) -> None:
        if not (self.remote and isinstance(self.dense, ChromaStore)):
            return
        value = uuid.uuid4().hex
        model = self.embedder.fingerprint if self.embedder else self.dense.get_model()
        self.dense.set_generation(value, model)
        with self.db:
            self._set_meta("generation", value)

    def _refresh_from_remote(self) -> None:
        """Rebuilds the sidecar from the server when someone else changed the collection."""
        assert isinstance(self.dense, ChromaStore)
        model = self.dense.get_model()
        if self.embedder is not None and model and model != self.embedder.fingerprint:
            raise InputError(URL_ENV, f"the shared index holds vectors of {model}, this machine "
                             f"has {self.embedder.fingerprint}; install the same model")
        remote_gen = self.dense.get_generation()
        if remote_gen and remote_gen == self._meta("generation"):
            return
        data = self.dense.everything()
        vectors = data.get("embeddings")
        if vectors is None:
            vectors = [None] * len(data["ids"])
        with self.db:
            for table in ("files", "chunks", "fts", "tombstones", "vectors", "postings"):
                self.db.execute(f"DELETE FROM {table}")
            self.db.execute("DELETE FROM meta WHERE key='postings'")
            files: dict[str, tuple[str, set[str], int]] = {}
            for chunk_id, document, meta, vector in zip(
                    data["ids"], data["documents"] or [], data["metadatas"] or [], vectors,
                    strict=False):
                chunk = _meta_chunk(chunk_id, document or "", dict(meta or {}))
                rowid = self._insert_chunk(chunk, chunk.path, dense=1)
                if vector is not None:
                    self.db.execute("INSERT INTO vectors(rowid, vector) VALUES (?, ?)",
                                    (rowid, _float32_bytes(vector)))
                sha, doc_ids, count = files.get(chunk.path, (str(meta.get("file_sha256", "")),
                                                             set(), 0))
                doc_ids.add(chunk.doc_id)
                files[chunk.path] = (sha, doc_ids, count + 1)
            for path, (sha, doc_ids, count) in files.items():
                self.db.execute("INSERT INTO files(path, sha256, docs, chunks, indexed_at) "
                                "VALUES (?, ?, ?, ?, ?)", (path, sha, len(doc_ids), count,
                                                           time.time()))
            self._set_meta("generation", remote_gen)
        self._generation += 1
        self._refresh_postings()

    # -- searching ----------------------------------------------------------------------

    def search(self, text: str, *, services: Sequence[str] = (), doc_types: Sequence[str] = (),
               limit: int = 10, lexical: bool = False) -> list[SearchHit]:
        """Ranked documents (best chunk each): dense, BM25 and the alert and service names
        the query mentions (see `Snapshot.labels`), fused by reciprocal rank."""
        rankings = {"bm25": self.lexical_ranking(text, services, doc_types, CANDIDATES)}
        if not lexical and self.mode == "hybrid":
            rankings["dense"] = self.dense_ranking(text, services, doc_types, CANDIDATES)
        named = self.snapshot().labels(text, CANDIDATES, services, doc_types)
        if named:
            rankings["labels"] = named
        return self.fuse(rankings, limit)

    def dense_ranking(self, text: str, services: Sequence[str], doc_types: Sequence[str],
                      limit: int) -> list[tuple[str, float]]:
        if self.embedder is None or not text.strip():
            return []
        if self.dense is None and not self.read_only:
            return []
        snap = self.snapshot()
        if not snap.embedded:
            return []
        if not snap.covers_dense and self.dense is None:
            return []  # read-only and the sidecar lacks vectors: chroma is not opened
        vector = self.embedder.embed([text])[0]
        if snap.covers_dense:
            return snap.dense(vector, limit, services, doc_types, DENSE_FLOOR)
        # vectors missing from the sidecar (an index written by an older oncall): ask chroma
        assert self.dense is not None
        return self.dense.query(vector, min(limit, snap.embedded), services, doc_types)

    def lexical_ranking(self, text: str, services: Sequence[str], doc_types: Sequence[str],
                        limit: int) -> list[tuple[str, float]]:
        return self.snapshot().bm25(text, limit, services, doc_types)

    def snapshot(self) -> Snapshot:
        """The chunks, vectors and postings in numpy; rebuilt after any write to the index
        (ours: `_generation`; another process's: SQLite's data_version)."""
        version = (self._generation, int(self.db.execute("PRAGMA data_version").fetchone()[0]))
        if self._snap is None or self._snap[0] != version:
            self._snap = (version, Snapshot.load(self.db))
        return self._snap[1]

    def fuse(self, rankings: dict[str, list[tuple[str, float]]], limit: int,
             scale_to: int = 0) -> list[SearchHit]:
        """Reciprocal rank fusion over named chunk rankings, then the best chunk per document.

        Scores are scaled so that first place in every ranking is 1.0; `scale_to` fixes
        the number of rankings that means, so hits from indexes searched with fewer
        rankings (no labels matched) compare fairly when merged. A single ranking keeps
        its own scores, scaled to its best."""
        if not any(rankings.values()):
            return []
        snap = self.snapshot()
        # Each ranking collapses to documents first (a document's best chunk stands for
        # it), so one long runbook cannot fill a ranking with its sections and push the
        # other documents down; then the document ranks are fused.
        scores: dict[str, float] = {}
        ranks: dict[str, dict[str, int]] = {}
        best_chunk: dict[str, tuple[float, str]] = {}
        single = len(rankings) == 1 and not scale_to  # one ranking keeps its own scores
        for name, ranking in rankings.items():
            seen: set[str] = set()
            top = max((s for _, s in ranking), default=1.0) or 1.0
            for chunk_id, raw in ranking:
                position = snap.position.get(chunk_id)
                if position is None or snap.doc_ids[position] in seen:
                    continue
                doc = snap.doc_ids[position]
                seen.add(doc)
                rank = len(seen)
                ranks.setdefault(doc, {})[name] = rank
                contribution = max(raw, 0.0) / top if single else 1.0 / (RRF_K + rank)
                scores[doc] = scores.get(doc, 0.0) + contribution
                if contribution > best_chunk.get(doc, (-1.0, ""))[0]:
                    best_chunk[doc] = (contribution, chunk_id)
        best = 1.0 if single else max(len(rankings), scale_to) / (RRF_K + 1)
        chosen = sorted(scores, key=lambda d: (-scores[d], d))[:limit]
        rows = self._rows([best_chunk[doc][1] for doc in chosen])
        hits: list[SearchHit] = []
        for doc in chosen:
            chunk_id = best_chunk[doc][1]
            row = rows[chunk_id]
            hits.append(SearchHit(
                id=doc, title=row["title"], doc_type=row["doc_type"],
                section=row["section"], path=row["path"], score=scores[doc] / best,
                chunk_id=chunk_id, text=row["text"],
                services=[s for s in row["services"].split("|") if s],
                root_cause=row["root_cause"], resolution=row["resolution"],
                dense_rank=ranks[doc].get("dense"), lexical_rank=ranks[doc].get("bm25"),
            ))
        return hits

    def _rows(self, ids: list[str]) -> dict[str, sqlite3.Row]:
        out: dict[str, sqlite3.Row] = {}
        self.db.row_factory = sqlite3.Row
        try:
            for start in range(0, len(ids), 500):
                part = ids[start:start + 500]
                marks = ",".join("?" for _ in part)
                for row in self.db.execute(f"SELECT * FROM chunks WHERE id IN ({marks})", part):
                    out[row["id"]] = row
        finally:
            self.db.row_factory = None
        return out

    # -- stats --------------------------------------------------------------------------

    def incident_sources(self) -> list[str]:
        """The files the indexed past incidents came from: the distinct paths of chunks of
        doc type `incident`, sorted. Read-only; documents added without a file (`doc:` keys,
        see `add_docs`) are not sources."""
        rows = self.db.execute("SELECT DISTINCT path FROM chunks WHERE doc_type = 'incident' "
                               "AND path NOT LIKE 'doc:%' ORDER BY path").fetchall()
        return [str(row[0]) for row in rows]

    def stats(self) -> dict[str, Any]:
        q = self.db.execute
        by_type = dict(q("SELECT doc_type, count(DISTINCT doc_id) FROM chunks "
                         "GROUP BY doc_type").fetchall())
        size = 0
        if self.directory is not None and not self.remote:
            size = sum(p.stat().st_size for p in self.directory.rglob("*") if p.is_file())
        return {
            "location": self.location,
            "storage": "chroma server" if self.remote else "chroma persistent",
            "mode": self.mode,
            "model": self._meta("model") or (
                self.dense.get_model() if isinstance(self.dense, ChromaStore) else None),
            "files": q("SELECT count(*) FROM files").fetchone()[0],
            "documents": q("SELECT count(DISTINCT doc_id) FROM chunks").fetchone()[0],
            "chunks": q("SELECT count(*) FROM chunks").fetchone()[0],
            "embedded_chunks": q("SELECT count(*) FROM chunks WHERE dense=1").fetchone()[0],
            "by_type": by_type,
            "bytes_on_disk": size,
        }


def _connect(path: Path) -> sqlite3.Connection:
    try:
        db = sqlite3.connect(path)
        db.execute("PRAGMA journal_mode=WAL")
    except sqlite3.Error as exc:
        raise InputError(str(path), f"cannot open the index database ({exc})") from None
    return db


def _connect_read_only(directory: Path, named: bool = True) -> sqlite3.Connection:
    """The index database, opened so that nothing in `directory` is created or changed.

    SQLite's read-only mode still writes the `-wal`/`-shm` files a WAL database is read
    through. They exist while a writer (`oncall index`) has the index open, and then the
    reader shares them; otherwise nobody can change the file under us and it is opened
    as immutable, which creates nothing (and works in a folder this user cannot write)."""
    path = directory / INDEX_FILE
    try:
        info = path.stat()
    except (FileNotFoundError, NotADirectoryError):
        hint = " --index ..." if named else ""
        raise InputError(str(directory), f"no index here; run `oncall index PATH{hint}` "
                         "first") from None
    except OSError as exc:
        raise InputError(str(path), f"cannot open the index database ({exc.strerror})") from None
    if not stat.S_ISREG(info.st_mode):
        raise InputError(str(path), "cannot open the index database (not a regular file)")
    base = path.absolute().as_uri() + "?mode=ro"
    tries = [base, base + "&immutable=1"]
    if not path.with_name(INDEX_FILE + "-wal").exists():
        tries = tries[1:]
    problem = ""
    for uri in tries:
        db = None
        try:
            db = sqlite3.connect(uri, uri=True)
            db.execute("SELECT count(*) FROM sqlite_master").fetchone()
            return db
        except sqlite3.Error as exc:
            problem = problem or str(exc)  # the first reason is the one that explains
            if db is not None:
                db.close()
    raise InputError(str(path), f"cannot open the index database ({problem})")


def _under_any(path: str, roots: Sequence[Path]) -> bool:
    for root in roots:
        resolved = path_key(root.resolve())
        if resolved == path or path.startswith(resolved + os.sep):
            return True
    return False


def _float32_bytes(vector: Any) -> bytes:
    import numpy as np

    return np.asarray(vector, dtype=np.float32).tobytes()


def _split_labels(value: str) -> tuple[str, ...]:
    return tuple(s for s in value.split("|") if s)


def _row_chunk(row: Sequence[Any]) -> Chunk:
    (_rowid, chunk_id, path, ordinal, doc_id, title, doc_type, section, headings, services,
     alerts, tags, root_cause, resolution, text, _dense) = row
    return Chunk(id=chunk_id, doc_id=doc_id, title=title, doc_type=doc_type, section=section,
                 headings=tuple(json.loads(headings)), text=text, path=path, ordinal=ordinal,
                 services=_split_labels(services), alerts=_split_labels(alerts),
                 tags=_split_labels(tags), root_cause=root_cause, resolution=resolution)


def _meta_chunk(chunk_id: str, document: str, meta: dict[str, Any]) -> Chunk:
    text = document.split("\n", 1)[1] if "\n" in document else document
    try:
        headings = tuple(json.loads(str(meta.get("headings", "[]"))))
    except ValueError:
        headings = ()
    return Chunk(
        id=chunk_id, doc_id=str(meta.get("doc_id", chunk_id)), title=str(meta.get("title", "")),
        doc_type=str(meta.get("doc_type", "runbook")), section=str(meta.get("section", "")),
        headings=headings, text=text, path=str(meta.get("path", "")),
        ordinal=int(meta.get("ordinal", 0)), services=_split_labels(str(meta.get("services", ""))),
        alerts=_split_labels(str(meta.get("alerts", ""))),
        tags=_split_labels(str(meta.get("tags", ""))), root_cause=str(meta.get("root_cause", "")),
        resolution=str(meta.get("resolution", "")),
    )
