"""Text that is not valid UTF-8 never crashes indexing, search or triage.

Python hands argv bytes that are not UTF-8 over as lone surrogates (`"caf\\udce9"` for
`caf\\xe9`); file names arrive the same way, and a YAML or JSON `\\ud800` escape makes one
too. SQLite, the tokenizer and chroma refuse such strings, so they are made printable
(U+FFFD, or a `\\xNN` escape for file names) before they get there.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from oncall.cli.main import app
from oncall.knowledge import KnowledgeQuery
from oncall.knowledge.hybrid import HybridRetriever
from oncall.knowledge.store import KnowledgeIndex
from oncall.sources.knowledge import load_knowledge_dir
from tests.knowledge.conftest import HashEmbedder

runner = CliRunner()
ARGV_QUERY = os.fsdecode(b"caf\xe9 disk full logs")  # what Python makes of such argv
SURROGATE_RUNBOOK = """---
title: "Caf\\udce9 disk \\ud800 full"
services: ["caf\\udce9"]
tags: [capacity]
---
# Disk full
Rotate logs and prune images.
"""


def test_utf8_text_replaces_only_what_does_not_encode() -> None:
    from oncall.knowledge.base import utf8_text

    text = "ok é"
    assert utf8_text(text) is text
    assert utf8_text(ARGV_QUERY) == "caf\ufffd disk full logs"
    assert utf8_text("a\ud800b") == "a\ufffdb"
    assert utf8_text(os.fsdecode(b"caf\xe9.md"), escape=True) == "caf\\xe9.md"
    assert utf8_text(os.fsdecode(b"caf\xe8.md"), escape=True) == "caf\\xe8.md"


@pytest.mark.model
def test_the_embedder_takes_any_str(model_root: Path) -> None:
    from oncall.knowledge.embed import load_embedder

    embedder = load_embedder(model_root)
    assert embedder is not None
    alone = embedder.embed([ARGV_QUERY])
    assert alone.shape == (1, 384)
    assert np.allclose(alone, embedder.embed(["caf\ufffd disk full logs"]), atol=1e-6)
    batch = embedder.embed(["a\ud800b", "disk full", ARGV_QUERY])
    assert batch.shape == (3, 384) and float(batch[2] @ alone[0]) > 0.99  # padded, int8


@pytest.mark.model
def test_search_and_ask_with_a_query_that_is_not_utf8(kb: Path, tmp_path: Path,
                                                      model_root: Path) -> None:
    from oncall.llm.gather import gather

    idx = tmp_path / "idx"
    assert runner.invoke(app, ["index", str(kb), "--index", str(idx)]).exit_code == 0
    result = runner.invoke(app, ["search", ARGV_QUERY, "--index", str(idx), "--format", "json"])
    assert result.exit_code == 0, result.stderr or result.exception
    body = json.loads(result.stdout)
    assert body["mode"] == "hybrid" and body["hits"][0]["id"] == "disk-full"
    found = gather(ARGV_QUERY, None, index=idx)
    assert any(s.id.endswith("disk-full") for s in found.context.sources)


def _surrogate_kb(root: Path) -> Path:
    (root / "runbooks").mkdir(parents=True)
    (root / "runbooks" / "yaml-escapes.md").write_text(SURROGATE_RUNBOOK)
    odd = os.fsdecode(b"caf\xe9-latency.md")
    (root / "runbooks" / odd).write_text("# Checkout latency\nRaise the upstream timeout.\n")
    return root


def test_index_and_search_knowledge_with_surrogates(tmp_path: Path) -> None:
    kb = _surrogate_kb(tmp_path / "kb")
    idx = str(tmp_path / "idx")
    result = runner.invoke(app, ["index", str(kb), "--index", idx, "--lexical"])
    assert result.exit_code == 0, result.stderr or result.exception
    assert "2 added" in result.stdout
    again = runner.invoke(app, ["index", str(kb), "--index", idx, "--lexical"])
    assert "2 unchanged" in again.stdout, again.stdout  # the escaped name is a stable key
    result = runner.invoke(app, ["search", "upstream timeout", "--index", idx,
                                 "--format", "json"])
    assert result.exit_code == 0, result.stderr
    (hit, *_) = json.loads(result.stdout)["hits"]
    assert hit["path"].endswith("caf\\xe9-latency.md") and hit["id"] == "caf\ufffd-latency"
    result = runner.invoke(app, ["search", "rotate logs", "--index", idx, "--format", "json"])
    hit = json.loads(result.stdout)["hits"][0]
    assert hit["title"] == "Caf\ufffd disk \ufffd full" and hit["services"] == ["caf\ufffd"]


def test_the_triage_retriever_takes_documents_with_surrogates(
        tmp_path: Path, hash_embedder: HashEmbedder) -> None:
    docs = load_knowledge_dir(_surrogate_kb(tmp_path / "kb"))
    retriever = HybridRetriever(docs, embedder=hash_embedder)  # the in-memory index
    hits = retriever.search(KnowledgeQuery(text=ARGV_QUERY + " rotate", kinds=["capacity"]))
    assert hits and hits[0].id == "yaml-escapes"
    memory = KnowledgeIndex.in_memory(hash_embedder)
    assert memory.add_docs(docs) >= 2
