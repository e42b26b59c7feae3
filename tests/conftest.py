"""Shared fixtures: paths to bundled examples, the shared real datasets, scenario builders."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.helpers import DATASETS, ScenarioFactory


@pytest.fixture(autouse=True)
def no_user_state(tmp_path_factory: pytest.TempPathFactory,
                  monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests never read or write the user's data dir (index, model, vector cache).

    Without this, a machine where `oncall model install` or `oncall index` has run would
    triage with a different retriever than a fresh one. Tests that need the real model
    find it through tests/knowledge/conftest.py, which looks it up before this applies.
    """
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path_factory.mktemp("xdg")))
    monkeypatch.delenv("ONCALL_MODEL_DIR", raising=False)
    monkeypatch.delenv("ONCALL_CHROMA_URL", raising=False)


@pytest.fixture
def datasets() -> Path:
    if not DATASETS.is_dir():
        pytest.skip(f"real datasets not found at {DATASETS}")
    return DATASETS


@pytest.fixture
def make_scenario(tmp_path: Path) -> ScenarioFactory:
    """Writes a minimal scenario directory; keyword arguments override or add files."""

    def build(name: str = "s", now: str = "2026-03-14T02:19:00Z", alerts: Any = None,
              **files: Any) -> Path:
        root = tmp_path / name
        root.mkdir()
        (root / "scenario.yaml").write_text(yaml.safe_dump({"name": name, "now": now}))
        raw_alerts = alerts if isinstance(alerts, str) else json.dumps(alerts or [])
        (root / "alerts.json").write_text(raw_alerts)
        for filename, content in files.items():
            target = root / filename.replace("__", "/").replace("_json", ".json").replace(
                "_yaml", ".yaml")
            target.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, str | bytes):
                mode = "wb" if isinstance(content, bytes) else "w"
                with open(target, mode) as fh:
                    fh.write(content)
            elif target.suffix == ".json":
                target.write_text(json.dumps(content))
            else:
                target.write_text(yaml.safe_dump(content))
        return root

    return build


