"""The index: incremental by content hash, BM25 fallback, chroma persistence and filters."""

from __future__ import annotations

from pathlib import Path

import pytest

from oncall.errors import InputError
from oncall.knowledge.store import KnowledgeIndex
from tests.knowledge.conftest import HashEmbedder


def test_unchanged_files_are_skipped_changed_reindexed_deleted_removed(kb: Path,
                                                                       tmp_path: Path) -> None:
    store = KnowledgeIndex.open(tmp_path / "idx")
    assert store.mode == "lexical"
    first = store.index_paths([kb])
    assert (first.files_seen, first.added, first.unchanged) == (4, 4, 0)
    again = store.index_paths([kb])
    assert (again.added, again.updated, again.unchanged, again.chunks_written) == (0, 0, 4, 0)

    disk = kb / "runbooks" / "disk.md"
    disk.write_text(disk.read_text().replace("crictl rmi --prune", "docker system prune"))
    (kb / "known-errors" / "cert.md").unlink()
    third = store.index_paths([kb])
    assert (third.updated, third.removed, third.unchanged) == (1, 1, 2)
    assert store.search("crictl")[:1] == []
    assert store.search("docker system prune")[0].id == "disk-full"
    assert all(h.id != "KE-7" for h in store.search("certificate expired handshake"))
    stats = store.stats()
    assert (stats["files"], stats["documents"]) == (3, 3)


def test_pruning_is_scoped_to_the_folders_being_indexed(kb: Path, tmp_path: Path) -> None:
    other = tmp_path / "other"
    other.mkdir()
    (other / "x.md").write_text("# Queue backlog\nDrain the consumer lag.")
    store = KnowledgeIndex.open(tmp_path / "idx")
    store.index_paths([kb, other])
    report = store.index_paths([other])  # kb not named: its files stay
    assert report.removed == 0 and store.stats()["files"] == 5


def test_a_bad_file_writes_nothing(kb: Path, tmp_path: Path) -> None:
    store = KnowledgeIndex.open(tmp_path / "idx")
    (kb / "incidents" / "broken.yaml").write_text("title: [unclosed\n")
    with pytest.raises(InputError, match=r"broken\.yaml: is not valid YAML"):
        store.index_paths([kb])
    assert store.stats()["chunks"] == 0


def test_lexical_search_filters_by_service_and_type(kb: Path, tmp_path: Path) -> None:
    store = KnowledgeIndex.open(tmp_path / "idx")
    store.index_paths([kb])
    hits = store.search("connection pool exhausted batch job")
    assert hits[0].id == "INC-1042" and hits[0].doc_type == "incident"
    assert hits[0].score == 1.0 and hits[0].dense_rank is None and hits[0].lexical_rank == 1
    assert "batch job" in hits[0].resolution
    # a runbook for another service is filtered out; one for every service stays
    assert [h.id for h in store.search("rollback release pods", services=["payments"])] == []
    assert store.search("logs du", services=["payments"])[0].id == "disk-full"
    only = store.search("kubectl", doc_types=["known_error"])
    assert [h.id for h in only] == ["KE-7"]
    assert store.search("the of and") == []  # nothing but stop words


def test_persistent_chroma_with_a_stand_in_embedder(kb: Path, tmp_path: Path,
                                                    hash_embedder: HashEmbedder) -> None:
    idx = tmp_path / "idx"
    store = KnowledgeIndex.open(idx, embedder=hash_embedder)
    assert store.mode == "hybrid"
    report = store.index_paths([kb])
    assert report.embedded == report.chunks_written > 0
    store.close()

    reopened = KnowledgeIndex.open(idx, embedder=hash_embedder)  # from disk
    assert reopened.index_paths([kb]).embedded == 0
    hits = reopened.search("rollout undo release pods 5xx", services=["checkout"])
    assert hits[0].id == "bad-deploy"
    assert hits[0].dense_rank is not None and hits[0].lexical_rank is not None
    dense = reopened.dense_ranking("payments pool connections logs", ["payments"], (), 10)
    docs = {reopened._rows([c])[c]["doc_id"] for c, _ in dense}
    assert docs and docs <= {"INC-1042", "disk-full"}  # payments' own, or for every service

    (kb / "runbooks" / "bad-deploy.md").unlink()
    assert reopened.index_paths([kb]).removed == 1
    assert reopened.dense is not None
    left = reopened.dense_ranking("rollout undo release", [], (), 50)
    assert all(reopened._rows([c]).get(c) is not None for c, _ in left)
    stats = reopened.stats()
    assert stats["chunks"] == stats["embedded_chunks"]


def test_chunks_indexed_without_a_model_are_embedded_once_one_appears(
        kb: Path, tmp_path: Path, hash_embedder: HashEmbedder) -> None:
    idx = tmp_path / "idx"
    KnowledgeIndex.open(idx).index_paths([kb])
    later = KnowledgeIndex.open(idx, embedder=hash_embedder)
    report = later.index_paths([kb])
    assert report.unchanged == 4 and report.embedded == later.stats()["chunks"]


def test_a_different_model_invalidates_the_vectors(kb: Path, tmp_path: Path,
                                                   hash_embedder: HashEmbedder) -> None:
    idx = tmp_path / "idx"
    KnowledgeIndex.open(idx, embedder=hash_embedder).index_paths([kb])

    class Other(HashEmbedder):
        fingerprint = "hash-embedder:v2"

    store = KnowledgeIndex.open(idx, embedder=Other())
    assert store.stats()["embedded_chunks"] == 0
    assert store.index_paths([kb]).embedded == store.stats()["chunks"]


def test_index_path_that_is_a_file_is_refused(tmp_path: Path) -> None:
    (tmp_path / "f").write_text("x")
    with pytest.raises(InputError, match="is not a directory"):
        KnowledgeIndex.open(tmp_path / "f")
