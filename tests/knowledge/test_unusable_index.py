"""A user index that cannot be used never stops a triage, and searching never writes.

Triage (and the dashboard and `triage --act`, through the same pipeline) goes on without
a corrupt, unreadable or vanished index and names it in the triage's `missing` list;
`oncall search` and `oncall index` keep a one-line error with exit code 2, since they
are about the index itself. Opening an index to search it creates and changes nothing.
"""

from __future__ import annotations

import gc
import hashlib
import json
import os
import sqlite3
from pathlib import Path

import pytest
from typer.testing import CliRunner

from oncall.cli.main import app
from oncall.errors import InputError
from oncall.knowledge import KnowledgeQuery
from oncall.knowledge.hybrid import HybridFactory, HybridRetriever
from oncall.knowledge.select import choose_retriever
from oncall.knowledge.store import KnowledgeIndex
from oncall.model import KnowledgeDoc
from tests.helpers import EXAMPLES
from tests.knowledge.conftest import HashEmbedder

runner = CliRunner()
SCENARIO = EXAMPLES / "checkout-latency"  # brings its own knowledge/ folder


def _corrupt(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    db = folder / "oncall.sqlite3"
    db.write_text("garbage\n")
    return db


def _tree(folder: Path) -> dict[str, str]:
    """Every file below `folder` with a hash of its bytes: what "unchanged" means."""
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def _triage_json(*args: str) -> tuple[int, dict[str, object], str]:
    result = runner.invoke(app, ["triage", str(SCENARIO), "--format", "json", *args])
    body = json.loads(result.stdout) if result.exit_code == 0 else {}
    return result.exit_code, body, result.stderr


def _index_notes(body: dict[str, object]) -> list[str]:
    missing = body["missing"]
    assert isinstance(missing, list)
    return [m for m in missing if str(m).startswith("knowledge index:")]


def test_a_corrupt_default_index_is_named_in_missing_and_the_triage_goes_on(
        isolated_data: Path) -> None:
    db = _corrupt(isolated_data / "oncall" / "index")
    code, body, err = _triage_json()
    assert code == 0, err
    (note,) = _index_notes(body)
    assert str(db) in note and "file is not a database" in note and "without it" in note
    incidents = body["incidents"]
    assert isinstance(incidents, list) and incidents
    # the scenario's own runbooks are still found
    assert any(inc["runbooks"] for inc in incidents)
    assert db.read_text() == "garbage\n"  # and the broken file is left as it was


def test_the_text_triage_shows_the_missing_index_too(isolated_data: Path) -> None:
    _corrupt(isolated_data / "oncall" / "index")
    result = runner.invoke(app, ["triage", str(SCENARIO)])
    assert result.exit_code == 0, result.stderr
    shown = " ".join(result.stdout.replace("│", " ").split())  # the panel wraps lines
    assert "missing: knowledge index:" in shown and "file is not a database" in shown


def test_a_corrupt_index_named_with_index_is_a_missing_note_not_an_exit(
        tmp_path: Path) -> None:
    db = _corrupt(tmp_path / "idx")
    code, body, err = _triage_json("--index", str(tmp_path / "idx"), "--lexical")
    assert code == 0, err
    (note,) = _index_notes(body)
    assert str(db) in note


def test_an_index_that_cannot_be_opened_is_a_missing_note(
        isolated_data: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """What a folder without permission gives ("unable to open database file"); root is
    not refused by permissions, so the failure is injected where SQLite would raise it."""
    from oncall.knowledge import store

    index = isolated_data / "oncall" / "index"
    KnowledgeIndex.open(index, lexical=True).index_paths([EXAMPLES / "checkout-latency" /
                                                         "knowledge"])

    connect = sqlite3.connect

    def refuse(database: str, *args: object, **kwargs: object) -> sqlite3.Connection:
        if "oncall.sqlite3" in str(database):
            raise sqlite3.OperationalError("unable to open database file")
        return connect(database, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(store.sqlite3, "connect", refuse)
    code, body, err = _triage_json()
    assert code == 0, err
    (note,) = _index_notes(body)
    assert "unable to open database file" in note


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0,
                    reason="root reads a folder without permission anyway")
def test_an_index_folder_without_permission_is_a_missing_note(isolated_data: Path) -> None:
    index = isolated_data / "oncall" / "index"
    KnowledgeIndex.open(index, lexical=True).index_paths([SCENARIO / "knowledge"])
    index.chmod(0)
    try:
        code, body, err = _triage_json()
    finally:
        index.chmod(0o755)
    assert code == 0, err
    assert _index_notes(body)


def test_a_failure_while_searching_drops_the_index_and_says_so(
        tmp_path: Path, kb: Path, hash_embedder: HashEmbedder) -> None:
    idx = tmp_path / "idx"
    KnowledgeIndex.open(idx, embedder=hash_embedder).index_paths([kb])
    user = KnowledgeIndex.open(idx, embedder=hash_embedder)
    user.close()  # every query now fails inside sqlite3
    docs = [KnowledgeDoc(id="mine", title="Disk full", doc_type="runbook",
                         body="# Disk full\nprune images", path="/k/mine.md")]
    retriever = HybridRetriever(docs, user_index=user, embedder=hash_embedder)
    hits = retriever.search(KnowledgeQuery(text="disk full prune"))
    assert [h.id for h in hits] == ["mine"]
    (note,) = retriever.missing
    assert note.startswith("knowledge index: ") and str(idx) in note


def test_the_pipeline_adds_the_retrievers_missing_to_the_triage(tmp_path: Path) -> None:
    from oncall.pipeline import triage
    from oncall.sources import ScenarioSource

    _corrupt(tmp_path / "idx")
    result = triage(ScenarioSource(SCENARIO), retriever_factory=HybridFactory(
        tmp_path / "idx", lexical=True))
    assert [m for m in result.missing if m.startswith("knowledge index:")]
    assert result.incidents and result.incidents[0].runbooks


def test_the_dashboard_data_carries_the_note(isolated_data: Path) -> None:
    from oncall.sources import ScenarioSource
    from oncall.tui.data import SourceLoader

    _corrupt(isolated_data / "oncall" / "index")
    factory = choose_retriever(None, lexical=True)
    data = SourceLoader(ScenarioSource(SCENARIO), None, factory)()
    assert [m for m in data.triage.missing if m.startswith("knowledge index:")]


def test_search_and_index_on_a_corrupt_index_stay_one_line_errors(
        isolated_data: Path, kb: Path) -> None:
    db = _corrupt(isolated_data / "oncall" / "index")
    for args in (["search", "disk full"], ["index", str(kb)], ["index", "--stats"]):
        result = runner.invoke(app, args)
        assert result.exit_code == 2, (args, result.stdout)
        err = result.stderr
        assert err.startswith("oncall: ") and err.count("\n") == 1, err
        assert str(db) in err and "file is not a database" in err
    assert db.read_text() == "garbage\n"


def test_searching_the_default_index_creates_nothing(isolated_data: Path) -> None:
    result = runner.invoke(app, ["search", "disk full"])
    assert result.exit_code == 2 and "no index here" in result.stderr
    result = runner.invoke(app, ["index", "--stats"])
    assert result.exit_code == 2 and "no index here" in result.stderr
    assert not (isolated_data / "oncall").exists()


def test_triage_and_search_leave_the_default_index_untouched(
        isolated_data: Path, kb: Path, hash_embedder: HashEmbedder,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """An index read by another model used to have its vectors dropped and its meta
    rewritten by a mere search; an index read at all had its schema re-applied."""
    from oncall.knowledge import store

    index = isolated_data / "oncall" / "index"
    writer = KnowledgeIndex.open(index, embedder=hash_embedder)
    writer.index_paths([kb])
    writer.close()
    del writer
    gc.collect()  # chroma's client too: nothing of the writer is open any more
    before = _tree(index)

    class OtherModel(HashEmbedder):
        fingerprint = "another-model:v2"

    monkeypatch.setattr(store, "load_embedder", lambda *_a, **_k: OtherModel())
    code, body, err = _triage_json()
    assert code == 0, err
    assert _tree(index) == before
    assert not _index_notes(body)
    assert "no vectors of the installed model" in err  # BM25 for it, said once
    result = runner.invoke(app, ["search", "disk full logs", "--format", "json"])
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["hits"][0]["id"] == "disk-full"
    result = runner.invoke(app, ["index", "--stats", "--format", "json"])
    assert result.exit_code == 0 and json.loads(result.stdout)["stats"]["chunks"]
    assert _tree(index) == before

    reader = KnowledgeIndex.open(None, embedder=OtherModel(), read_only=True)
    assert reader.mode == "lexical" and reader.search("disk full")[0].id == "disk-full"
    reader.close()
    same = KnowledgeIndex.open(None, embedder=hash_embedder, read_only=True)
    assert same.mode == "hybrid" and same.dense is None  # vectors from the sidecar
    assert same.search("rotate logs prune images")[0].id == "disk-full"
    same.close()
    assert _tree(index) == before


def test_a_read_only_index_shares_the_log_of_a_writer_that_has_it_open(
        tmp_path: Path, kb: Path) -> None:
    idx = tmp_path / "idx"
    writer = KnowledgeIndex.open(idx, lexical=True)
    writer.index_paths([kb / "runbooks"])
    reader = KnowledgeIndex.open(idx, lexical=True, read_only=True)
    assert {h.id for h in reader.search("disk")} == {"disk-full"}
    writer.index_paths([kb / "known-errors"])  # seen by the open reader
    assert reader.search("certificate expired handshake")[0].id == "KE-7"
    reader.close()
    writer.close()


def test_a_read_only_index_refuses_writes(tmp_path: Path, kb: Path) -> None:
    KnowledgeIndex.open(tmp_path / "idx", lexical=True).index_paths([kb])
    reader = KnowledgeIndex.open(tmp_path / "idx", lexical=True, read_only=True)
    with pytest.raises(Exception, match="opened for searching only"):
        reader.index_paths([kb])
    with pytest.raises(InputError, match="no index here"):
        KnowledgeIndex.open(tmp_path / "elsewhere", read_only=True)
    assert not (tmp_path / "elsewhere").exists()
