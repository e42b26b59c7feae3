"""Which retriever triage picks, the vector cache, and triage searching the user's index."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest
from typer.testing import CliRunner

from oncall.cli.main import app
from oncall.knowledge.hybrid import HybridFactory
from oncall.knowledge.lexical import LexicalRetriever
from oncall.knowledge.select import choose_retriever
from oncall.knowledge.vector_cache import CachedEmbedder
from tests.helpers import EXAMPLES
from tests.knowledge.conftest import HashEmbedder

runner = CliRunner()


def test_nothing_installed_nothing_indexed_means_plain_bm25(tmp_path: Path) -> None:
    assert choose_retriever() is LexicalRetriever
    assert choose_retriever(tmp_path / "nowhere", lexical=True) is LexicalRetriever


def test_an_existing_index_is_searched_even_without_scenario_documents(tmp_path: Path) -> None:
    (tmp_path / "oncall.sqlite3").write_bytes(b"")
    factory = choose_retriever(tmp_path, lexical=True)
    assert isinstance(factory, HybridFactory)
    assert factory.searches_user_index and factory.lexical


def test_a_shared_server_means_the_user_index(tmp_path: Path) -> None:
    factory = choose_retriever(tmp_path, chroma_url="http://127.0.0.1:1")
    assert isinstance(factory, HybridFactory) and factory.searches_user_index


def test_an_installed_model_alone_ranks_scenario_documents_densely(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    files = tmp_path / "models" / "all-MiniLM-L6-v2" / "onnx"
    files.mkdir(parents=True)
    (files / "model.onnx").write_bytes(b"")
    monkeypatch.setenv("ONCALL_MODEL_DIR", str(tmp_path / "models"))
    factory = choose_retriever()
    assert isinstance(factory, HybridFactory) and not factory.searches_user_index
    assert choose_retriever(lexical=True) is LexicalRetriever


class CountingEmbedder(HashEmbedder):
    def __init__(self) -> None:
        self.seen: list[str] = []

    def embed(self, texts: list[str]) -> npt.NDArray[np.float32]:
        self.seen.extend(texts)
        return super().embed(texts)


def test_the_cache_embeds_each_text_once_and_returns_the_same_vectors(tmp_path: Path) -> None:
    inner = CountingEmbedder()
    cached = CachedEmbedder(inner, tmp_path / "v.sqlite3")
    first = cached.embed(["roll back the deploy", "disk full"])
    again = CachedEmbedder(inner, tmp_path / "v.sqlite3").embed(
        ["disk full", "new text", "roll back the deploy"])
    assert inner.seen == ["roll back the deploy", "disk full", "new text"]
    assert np.allclose(again[0], first[1]) and np.allclose(again[2], first[0])
    assert np.allclose(again[1], HashEmbedder().embed(["new text"])[0])


def test_the_cache_is_keyed_by_model(tmp_path: Path) -> None:
    inner = CountingEmbedder()
    CachedEmbedder(inner, tmp_path / "v.sqlite3").embed(["same text"])
    inner.fingerprint = "another-model"
    CachedEmbedder(inner, tmp_path / "v.sqlite3").embed(["same text"])
    assert inner.seen == ["same text", "same text"]


def test_an_unusable_cache_location_only_costs_speed(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    inner = CountingEmbedder()
    vectors = CachedEmbedder(inner, blocker / "sub" / "v.sqlite3").embed(["a b", "a b"])
    assert vectors.shape == (2, 384) and inner.seen == ["a b", "a b"]


def test_triage_finds_runbooks_in_the_users_index(kb: Path, tmp_path: Path) -> None:
    scenario = tmp_path / "bare"
    scenario.mkdir()
    source = EXAMPLES / "bad-deploy-5xx"
    for name in ("scenario.yaml", "alerts.json", "catalog.yaml", "changes.yaml"):
        if (source / name).is_file():
            (scenario / name).write_bytes((source / name).read_bytes())
    idx = tmp_path / "idx"
    assert runner.invoke(app, ["index", str(kb), "--index", str(idx), "--lexical"]).exit_code == 0

    without = runner.invoke(app, ["triage", str(scenario), "--format", "json"])
    with_index = runner.invoke(app, ["triage", str(scenario), "--format", "json",
                                     "--index", str(idx), "--lexical"])
    assert without.exit_code == 0 and with_index.exit_code == 0, with_index.stderr
    found = {r["id"] for i in json.loads(with_index.stdout)["incidents"] for r in i["runbooks"]}
    assert not any(i["runbooks"] for i in json.loads(without.stdout)["incidents"])
    assert found & {"bad-deploy", "INC-1042", "KE-7", "disk-full"}


def test_naming_an_index_that_is_not_there_is_a_one_line_error(tmp_path: Path) -> None:
    result = runner.invoke(app, ["triage", str(EXAMPLES / "bad-deploy-5xx"),
                                 "--index", str(tmp_path / "missing")])
    assert result.exit_code == 2
    assert "missing" in result.stderr and "oncall index" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
