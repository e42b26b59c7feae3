"""`oncall index PATH`: only Markdown runbooks and YAML records, errors in one clean line."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from oncall.cli.main import app

runner = CliRunner()


def _index(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, ["index", *args])
    return result.exit_code, result.stdout, result.stderr


def test_a_file_named_directly_must_be_markdown_or_yaml(tmp_path: Path) -> None:
    idx = tmp_path / "idx"
    notes = tmp_path / "passwd"
    notes.write_text("root:x:0:0:root:/root:/bin/bash\n")
    text = tmp_path / "notes.txt"
    text.write_text("# looks like markdown\n")
    for path in (notes, text):
        code, _, err = _index(str(path), "--index", str(idx))
        assert code == 2, err
        assert err == f"oncall: {path}: is not a knowledge file: expected a Markdown runbook " \
                      "(.md, .markdown) or YAML records (.yaml, .yml)\n"
    assert not idx.exists()  # refused before the index was opened or created
    result = runner.invoke(app, ["search", "root bash", "--index", str(idx)])
    assert result.exit_code == 2 and "no index here" in result.stderr


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_a_fifo_named_directly_is_not_a_regular_file(tmp_path: Path) -> None:
    fifo = tmp_path / "runbook.md"
    os.mkfifo(fifo)
    code, _, err = _index(str(fifo), "--index", str(tmp_path / "idx"))
    assert code == 2
    assert err.startswith(f"oncall: {fifo}: is not a regular file") and err.count("\n") == 1


def test_in_a_folder_other_files_are_passed_over(kb: Path, tmp_path: Path) -> None:
    (kb / "runbooks" / "notes.txt").write_text("not a runbook\n")
    (kb / "runbooks" / "extra.markdown").write_text("# Extra\nA markdown runbook.\n")
    code, out, err = _index(str(kb), "--index", str(tmp_path / "idx"), "--lexical")
    assert code == 0, err
    assert "5 file(s): 5 added" in out  # 4 from kb + extra.markdown; notes.txt skipped
    code, out, _ = _index(str(kb / "runbooks" / "extra.markdown"), "--index",
                          str(tmp_path / "idx"), "--lexical")
    assert code == 0 and "1 unchanged" in out


def test_errors_from_inside_a_run_start_on_the_first_line(kb: Path, tmp_path: Path) -> None:
    """The progress bar drew nothing off a terminal, yet left a newline before the error."""
    (kb / "incidents" / "bad.yaml").write_text("- [")
    code, _, err = _index(str(kb), "--index", str(tmp_path / "idx"), "--lexical")
    assert code == 2
    assert err.startswith("oncall: ") and "bad.yaml" in err, repr(err)
    assert err.count("\n") == 1


def test_a_missing_path_is_still_one_line(tmp_path: Path) -> None:
    code, _, err = _index(str(tmp_path / "nope.md"), "--index", str(tmp_path / "idx"))
    assert code == 2 and err == f"oncall: {tmp_path / 'nope.md'}: no such file or directory\n"
