"""`oncall index`, `oncall search`, `oncall model status` from the command line."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from oncall.cli.main import app

runner = CliRunner()


def _run(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_index_then_search_json_with_the_lexical_fallback_noted_once(kb: Path,
                                                                     tmp_path: Path) -> None:
    idx = str(tmp_path / "idx")
    code, out, err = _run("index", str(kb), "--index", idx)
    assert code == 0, err
    assert "4 file(s): 4 added" in out and "[lexical]" in out
    assert err.count("no embedding model installed") == 1

    code, out, err = _run("search", "connection pool exhausted", "--index", idx,
                          "--format", "json", "--service", "payments")
    assert code == 0, err
    body = json.loads(out)
    assert body["mode"] == "lexical"
    top = body["hits"][0]
    assert (top["id"], top["doc_type"], top["section"]) == ("INC-1042", "incident", "Summary")
    assert top["path"].endswith("incidents/2026-02-pool.yaml") and top["score"] == 1.0

    code, out, err = _run("search", "rollout undo", "--index", idx, "--lexical")
    assert code == 0 and "bad-deploy" in out and "Mitigation" in out
    assert "no embedding model" not in err  # asked for lexical: nothing to say


def test_index_stats_json(kb: Path, tmp_path: Path) -> None:
    idx = str(tmp_path / "idx")
    code, out, _ = _run("index", str(kb), "--index", idx, "--stats", "--format", "json")
    assert code == 0
    body = json.loads(out)
    assert body["report"]["added"] == 4
    assert body["stats"]["by_type"] == {"incident": 1, "known_error": 1, "runbook": 2}
    code, out, _ = _run("index", "--stats", "--index", idx)
    assert code == 0 and "documents" in out


def test_default_index_lives_in_the_xdg_data_dir(kb: Path, isolated_data: Path) -> None:
    assert _run("index", str(kb))[0] == 0
    assert (isolated_data / "oncall" / "index" / "oncall.sqlite3").is_file()
    code, out, _ = _run("search", "disk full logs", "--format", "json")
    assert code == 0 and json.loads(out)["hits"][0]["id"] == "disk-full"


def test_bad_input_is_one_line_and_exit_2(kb: Path, tmp_path: Path) -> None:
    idx = str(tmp_path / "idx")
    cases = [
        (("index",), "give at least one PATH"),
        (("index", str(tmp_path / "nope"), "--index", idx), "no such file or directory"),
        (("search", "x", "--index", str(tmp_path / "empty")), "no index here"),
        (("search", "  ", "--index", idx), "query: is empty"),
        (("search", "x", "--limit", "0", "--index", idx), "--limit: must be between"),
        (("search", "x", "--type", "wiki", "--index", idx), "unknown doc type 'wiki'"),
    ]
    for args, message in cases:
        code, _, err = _run(*args)
        assert code == 2, args
        assert err.startswith("oncall: ") and message in err and err.count("\n") == 1, err
    (kb / "incidents" / "bad.yaml").write_text("- [")
    code, _, err = _run("index", str(kb), "--index", idx)
    assert code == 2 and "bad.yaml: is not valid YAML" in err


def test_empty_index_says_so(tmp_path: Path) -> None:
    empty = tmp_path / "kb"
    empty.mkdir()
    idx = str(tmp_path / "idx")
    assert _run("index", str(empty), "--index", idx)[0] == 0
    code, _, err = _run("search", "anything", "--index", idx)
    assert code == 2 and "the index is empty" in err


def test_model_status_without_the_model(tmp_path: Path) -> None:
    code, out, _ = _run("model", "status", "--dir", str(tmp_path / "m"))
    assert code == 1 and "not installed" in out
    code, out, _ = _run("model", "status", "--dir", str(tmp_path / "m"), "--json")
    assert code == 0 and json.loads(out)["installed"] is False


def test_the_server_url_must_be_a_url(kb: Path, tmp_path: Path,
                                      monkeypatch: object) -> None:
    import pytest

    assert isinstance(monkeypatch, pytest.MonkeyPatch)
    monkeypatch.setenv("ONCALL_CHROMA_URL", "ftp://x")
    code, _, err = _run("search", "x", "--index", str(tmp_path / "i"))
    assert code == 2 and "ONCALL_CHROMA_URL: expected an http:// or https:// URL" in err
    monkeypatch.setenv("ONCALL_CHROMA_URL", "http://127.0.0.1:abc")  # httpx would raise
    code, _, err = _run("search", "x", "--index", str(tmp_path / "i"))
    assert code == 2 and err.strip() == \
        "oncall: ONCALL_CHROMA_URL: the port must be a number from 1 to 65535"
