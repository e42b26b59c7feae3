"""A shared index on a real `chroma run` server (loopback), as teams would run it."""

from __future__ import annotations

from pathlib import Path

import pytest

from oncall.errors import InputError
from oncall.knowledge.store import KnowledgeIndex
from tests.knowledge.conftest import HashEmbedder


def test_index_and_search_through_the_http_client(kb: Path, tmp_path: Path, chroma_server: str,
                                                  hash_embedder: HashEmbedder) -> None:
    alice = KnowledgeIndex.open(tmp_path / "alice", url=chroma_server, embedder=hash_embedder)
    assert alice.remote and alice.mode == "hybrid"
    report = alice.index_paths([kb])
    assert report.added == 4 and report.embedded == report.chunks_written
    assert alice.index_paths([kb]).unchanged == 4

    # Bob has never indexed: his sidecar is rebuilt from what the server holds.
    bob = KnowledgeIndex.open(tmp_path / "bob", url=chroma_server, embedder=hash_embedder)
    assert bob.stats()["chunks"] == alice.stats()["chunks"]
    hits = bob.search("batch job held pool connections", services=["payments"])
    assert hits[0].id == "INC-1042" and hits[0].dense_rank is not None
    assert bob.index_paths([kb]).unchanged == 4  # file hashes came from the server too

    (kb / "runbooks" / "disk.md").unlink()
    assert alice.index_paths([kb]).removed == 1
    carol = KnowledgeIndex.open(tmp_path / "bob", url=chroma_server, embedder=hash_embedder)
    assert all(h.id != "disk-full" for h in carol.search("disk logs du prune"))


def test_a_shared_index_needs_the_model_to_write(kb: Path, tmp_path: Path,
                                                 chroma_server: str) -> None:
    store = KnowledgeIndex.open(tmp_path / "i", url=chroma_server, lexical=True)
    with pytest.raises(InputError, match="needs the embedding model"):
        store.index_paths([kb])


def test_an_unreachable_server_is_one_clear_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"cannot reach chroma at http://127\.0\.0\.1:9"):
        KnowledgeIndex.open(tmp_path / "i", url="http://127.0.0.1:9")
