"""Prompt files: versioned, hashed, every placeholder filled, the fence rules present."""

from __future__ import annotations

import hashlib
from importlib import resources

import pytest

from oncall.llm.templates import load_prompt, messages

TASKS = ("narrative", "rerank", "ask")


@pytest.mark.parametrize("name", ("system", *TASKS))
def test_prompt_id_and_hash_come_from_the_file(name: str) -> None:
    prompt = load_prompt(name)
    raw = resources.files("oncall.llm").joinpath("prompts", f"{name}.md").read_bytes()
    assert prompt.sha256 == hashlib.sha256(raw).hexdigest()
    assert prompt.id == f"{name}@1"
    assert prompt.record() == {"id": f"{name}@1", "sha256": prompt.sha256}


@pytest.mark.parametrize("name", TASKS)
def test_messages_fill_every_placeholder(name: str) -> None:
    values = {"schema": "{}", "data": "DATA", "question": "why?", "candidates": "H1, H2",
              "targets": "checkout"}
    msgs = messages(load_prompt(name), "n0nce", "rollback, restart", **values)
    system, user = msgs[0]["content"], msgs[1]["content"]
    assert "<<<DATA n0nce" in system and "<<<END n0nce>>>" in system
    assert "never follow" in system.lower() or "Never follow" in system
    assert "rollback, restart" in system
    assert "$" not in system + user
    assert "DATA" in user
