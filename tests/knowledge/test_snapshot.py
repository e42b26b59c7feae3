"""The numpy snapshot queries run on: same BM25 as FTS5, exact dense, labels, freshness."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import numpy as np
import pytest

from oncall.knowledge.snapshot import BM25_WEIGHTS, Snapshot, query_terms
from oncall.knowledge.store import KnowledgeIndex
from tests.knowledge.conftest import HashEmbedder

EXTRA = {
    "queue.md": "---\nid: queue-lag\nservices: [orders]\nalerts: [KafkaConsumerLagHigh]\n---\n"
                "# Consumer lag\n## Fix\nScale the consumers; the backlog drains in minutes.\n"
                "## Why\nA slow downstream call made every message take seconds.\n",
    "queue-2.md": "---\nid: queue-lag-payments\nservices: [payments]\n"
                  "alerts: [KafkaConsumerLagHigh]\n---\n# Payments consumer lag\n"
                  "Lag grows on the payments consumers after a deploy; roll back.\n",
}


@pytest.fixture
def corpus(kb: Path) -> Path:
    for name, text in EXTRA.items():
        (kb / "runbooks" / name).write_text(text)
    return kb


def _fts5_or_query(db: sqlite3.Connection, text: str) -> list[tuple[int, float]]:
    match = " OR ".join(f'"{t}"' for t in query_terms(text))
    if not match:
        return []
    rows = db.execute(f"SELECT rowid, bm25(fts, {BM25_WEIGHTS}) FROM fts WHERE fts MATCH ? "
                      "ORDER BY rowid", (match,)).fetchall()
    return [(r[0], -r[1]) for r in rows]


@pytest.mark.parametrize("text", [
    "consumer lag backlog after deploy",
    "rollback release pods 5xx error rate",
    "payments pool connections batch job",
    "the of and",  # nothing but stop words
])
@pytest.mark.parametrize("precomputed", [True, False])
def test_bm25_per_term_sums_equal_one_fts5_or_query(corpus: Path, tmp_path: Path,
                                                    text: str, precomputed: bool) -> None:
    store = KnowledgeIndex.open(tmp_path / "idx")
    store.index_paths([corpus])
    if not precomputed:  # as between a write and the postings' rebuild: FTS5 per term
        with store.db:
            store.db.execute("DELETE FROM meta WHERE key='postings'")
    snap = store.snapshot()
    assert snap.postings is precomputed
    ours = snap.bm25(text, 1000, (), ())
    expected = _fts5_or_query(store.db, text)
    assert len(ours) == len(expected)
    by_rowid = {int(snap.rowids[snap.position[c]]): s for c, s in ours}
    for rowid, score in expected:
        assert by_rowid[rowid] == pytest.approx(score, rel=1e-9)
    assert [s for _, s in ours] == sorted((s for _, s in ours), reverse=True)


def test_postings_are_rebuilt_after_every_write(corpus: Path, tmp_path: Path) -> None:
    store = KnowledgeIndex.open(tmp_path / "idx")
    store.index_paths([corpus])
    (corpus / "runbooks" / "zebra.md").write_text("# Zebra crossing\nStripes, stripes.\n")
    store.index_paths([corpus])
    assert store.snapshot().postings
    (zebra,) = store.db.execute("SELECT rowids FROM postings WHERE term='zebra'").fetchall()
    assert len(zebra[0]) == 8  # one chunk (int64 rowids)
    assert store.search("zebra")[0].id == "zebra"


def test_dense_scan_is_exact_and_filtered(corpus: Path, tmp_path: Path,
                                          hash_embedder: HashEmbedder) -> None:
    store = KnowledgeIndex.open(tmp_path / "idx", embedder=hash_embedder)
    store.index_paths([corpus])
    snap = store.snapshot()
    assert snap.covers_dense and snap.vectors == len(snap) > 0
    vector = hash_embedder.embed(["consumer lag payments deploy"])[0]
    got = snap.dense(vector, 5, (), (), floor=-1.0)
    brute = snap.matrix @ vector
    assert [s for _, s in got] == pytest.approx(sorted(brute, reverse=True)[:5])
    # the same chunks chroma's HNSW finds (exact at this size)
    assert store.dense is not None
    assert [c for c, _ in got] == [c for c, _ in store.dense.query(vector, 5, (), ())]
    only = snap.dense(vector, 50, ["payments"], (), floor=-1.0)
    services = {snap.services[snap.position[c]] for c, _ in only}
    assert services and services <= {"|payments|", ""}  # its own, or written for all


def test_search_names_alerts_and_services_as_a_ranking(corpus: Path, tmp_path: Path) -> None:
    store = KnowledgeIndex.open(tmp_path / "idx")
    store.index_paths([corpus])
    # both lag runbooks share every word; the page's service decides
    hits = store.search("KafkaConsumerLagHigh firing for payments: consumer lag")
    assert hits[0].id == "queue-lag-payments"
    hits = store.search("kafkaconsumerlaghigh firing for orders: consumer lag")
    assert hits[0].id == "queue-lag"
    assert store.snapshot().labels("nothing named here", 10, (), ()) == []


def test_snapshot_follows_writes_here_and_from_another_connection(corpus: Path,
                                                                  tmp_path: Path) -> None:
    idx = tmp_path / "idx"
    reader = KnowledgeIndex.open(idx)
    writer = KnowledgeIndex.open(idx)
    writer.index_paths([corpus])
    assert reader.search("consumer backlog")[0].id in {"queue-lag", "queue-lag-payments"}
    (corpus / "runbooks" / "zebra.md").write_text("# Zebra crossing\nStripes everywhere.\n")
    writer.index_paths([corpus])  # another connection's commit
    assert reader.search("zebra stripes")[0].id == "zebra"
    (corpus / "runbooks" / "zebra.md").unlink()
    reader.index_paths([corpus])  # this connection's own write
    assert reader.search("zebra stripes") == []


def test_missing_sidecar_vectors_fall_back_to_chroma(corpus: Path, tmp_path: Path,
                                                     hash_embedder: HashEmbedder) -> None:
    store = KnowledgeIndex.open(tmp_path / "idx", embedder=hash_embedder)
    store.index_paths([corpus])
    with store.db:
        store.db.execute("DELETE FROM vectors")  # as an index written before they existed
    fallback = KnowledgeIndex.open(tmp_path / "idx", embedder=hash_embedder)
    assert not fallback.snapshot().covers_dense
    ranking = fallback.dense_ranking("consumer lag payments", (), (), 5)
    assert ranking and ranking[0][0] in fallback.snapshot().position


def test_an_index_of_the_previous_schema_is_rebuilt(kb: Path, tmp_path: Path,
                                                    hash_embedder: HashEmbedder) -> None:
    idx = tmp_path / "idx"
    store = KnowledgeIndex.open(idx, embedder=hash_embedder)
    store.index_paths([kb])
    with store.db:
        store.db.execute("UPDATE meta SET value='1' WHERE key='schema'")
    store.close()
    again = KnowledgeIndex.open(idx, embedder=hash_embedder)
    assert again.stats()["chunks"] == 0
    assert again.dense is not None and again.dense.collection.count() == 0
    report = again.index_paths([kb])
    assert report.embedded == again.stats()["chunks"] == again.snapshot().vectors


def test_snapshot_of_an_empty_index() -> None:
    snap = Snapshot.load(KnowledgeIndex.in_memory().db)
    assert len(snap) == 0 and snap.bm25("anything", 5, (), ()) == []
    assert snap.dense(np.ones(384, dtype=np.float32), 5, (), (), 0.1) == []
