"""A model that is installed but cannot be loaded never blocks a page."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from oncall.cli.main import app
from oncall.knowledge import embed
from tests.helpers import EXAMPLES

runner = CliRunner()


@pytest.fixture
def broken_model(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A model folder whose files are there but truncated (an interrupted copy)."""
    files = tmp_path / "models" / "all-MiniLM-L6-v2" / "onnx"
    files.mkdir(parents=True)
    (files / "model.onnx").write_bytes(b"\x08\x07not a protobuf")
    (files / "tokenizer.json").write_text('{"version": "1.0", "truncated')
    monkeypatch.setenv("ONCALL_MODEL_DIR", str(tmp_path / "models"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))  # no user index
    monkeypatch.setattr(embed, "_CACHE", {})
    monkeypatch.setattr(embed, "_BROKEN", set(), raising=False)
    return files


def test_load_embedder_says_why_and_falls_back(broken_model: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    assert embed.load_embedder() is None
    assert embed.load_embedder() is None  # not retried, not said twice
    err = capsys.readouterr().err
    assert err.count("cannot be loaded") == 1 and "oncall model install --force" in err


def test_triage_ranks_runbooks_by_bm25_with_a_broken_model(broken_model: Path) -> None:
    result = runner.invoke(app, ["triage", str(EXAMPLES / "checkout-latency"), "-f", "json"])
    assert result.exit_code == 0, result.stderr
    doc = json.loads(result.stdout)
    assert any(i["runbooks"] for i in doc["incidents"])
    assert "cannot be loaded" in result.stderr
