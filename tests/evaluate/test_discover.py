"""Finding scenarios under the directories given."""

from __future__ import annotations

from pathlib import Path

import pytest

from oncall.errors import InputError
from oncall.evaluate.discover import find_scenarios
from tests.evaluate.builders import expected_doc, write_scenario


def test_nested_folders_scored_and_skipped(tmp_path: Path) -> None:
    scored = write_scenario(tmp_path / "corpus" / "a" / "one", expected_doc(["a1"], []))
    skipped = write_scenario(tmp_path / "corpus" / "b")
    found = find_scenarios([tmp_path / "corpus", scored])  # the same case twice: once
    assert found.scored == [scored]
    assert found.skipped == [skipped]


def test_bad_roots(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such directory"):
        find_scenarios([tmp_path / "absent"])
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputError, match="holds no scenario"):
        find_scenarios([tmp_path / "empty"])
    (tmp_path / "file").write_text("x")
    with pytest.raises(InputError, match="is not a directory"):
        find_scenarios([tmp_path / "file"])
