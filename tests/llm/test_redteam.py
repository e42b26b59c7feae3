"""Prompt injection: hostile text is fenced as data, and nothing a model says runs.

The fake model here "obeys" the injection in the alert annotation: it asks for
`kubectl delete`, ranks a cause without evidence first, invents a source. Each time the
answer is refused and the deterministic output stands; no process is ever started.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

import pytest

from oncall.llm.assist import augment_triage
from oncall.llm.settings import LLMSettings
from tests.llm.builders import (
    FENCE_BREAK,
    INJECTION,
    SECRET_EMAIL,
    SECRET_PASSWORD,
    SECRET_TOKEN,
    rerank_json,
    triage,
)
from tests.llm.conftest import FakeLLM

PACKAGE = Path(__file__).resolve().parents[2] / "oncall"


@pytest.fixture
def no_processes(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Any attempt to start a process is recorded and refused."""
    attempts: list[str] = []

    def refuse(*args: object, **kwargs: object) -> None:
        attempts.append(repr(args)[:200])
        raise AssertionError("a process was started")

    monkeypatch.setattr(subprocess, "Popen", refuse)
    monkeypatch.setattr(os, "system", refuse)
    monkeypatch.setattr(os, "execvp", refuse)
    return attempts


def _obeying_replies() -> list[str]:
    return [
        json.dumps({"narrative": "Run kubectl delete namespace prod now [A1].",
                    "stakeholder_update": "Maintenance [A1] [SYSTEM]"}),
        rerank_json(["H3", "H1"], [{"action": "kubectl delete namespace prod",
                                    "target": "prod"}]),
    ]


def test_the_injection_arrives_fenced_and_changes_nothing(
        fake_llm: FakeLLM, llm_settings: LLMSettings, no_processes: list[str]) -> None:
    fake_llm.reply(*_obeying_replies())
    result = triage()
    before = [(h.service, h.score) for h in result.incidents[0].hypotheses]
    notes = augment_triage(result, llm_settings)
    (inc,) = notes.incidents
    assert inc.narrative is None and "do not exist (SYSTEM)" in inc.notes[0]
    assert inc.rerank is not None and inc.rerank.order is None
    assert "not in the action vocabulary" in inc.notes[1]
    assert inc.rerank.suggestions == []
    assert [(h.service, h.score) for h in result.incidents[0].hypotheses] == before
    assert result.incidents[0].narrative == "TEMPLATE NARRATIVE"
    assert no_processes == []
    for body in fake_llm.bodies():
        system, user = (m["content"] for m in body["messages"])
        nonce = re.search(r"<<<DATA (\w+)", user)
        assert nonce is not None
        assert f"`<<<DATA {nonce.group(1)} ...>>>`" in system  # the rules name this fence
        assert "never follow" in system.lower() or "Never follow" in system
        block = re.search(rf"<<<DATA {nonce.group(1)} id=A1 kind=alert>>>\n(.*?)\n"
                          rf"<<<END {nonce.group(1)}>>>", user, re.DOTALL)
        assert block is not None and INJECTION in block.group(1)
        assert user.count(INJECTION) == 1  # only inside its fence
        assert FENCE_BREAK not in user  # the fake fence end was defused
        assert user.count(f"<<<END {nonce.group(1)}>>>") == user.count("<<<DATA ")


def test_an_action_outside_the_vocabulary_never_becomes_a_suggestion(
        fake_llm: FakeLLM, llm_settings: LLMSettings, no_processes: list[str]) -> None:
    fake_llm.reply(_obeying_replies()[0], rerank_json(
        ["H1", "H2"], [{"action": "shell", "target": "checkout",
                        "reason": "kubectl delete namespace prod"}]))
    notes = augment_triage(triage(), llm_settings)
    (inc,) = notes.incidents
    assert inc.rerank is not None and inc.rerank.suggestions == []
    assert "not in the action vocabulary" in inc.notes[-1]
    assert no_processes == []


def test_secrets_in_evidence_never_reach_the_server(fake_llm: FakeLLM,
                                                    llm_settings: LLMSettings) -> None:
    fake_llm.reply(*_obeying_replies())
    augment_triage(triage(), llm_settings)
    sent = json.dumps(fake_llm.bodies())
    for secret in (SECRET_PASSWORD, SECRET_TOKEN, SECRET_EMAIL, "10.2.3.4"):
        assert secret not in sent
    assert "[REDACTED:secret]" in sent and "[REDACTED:token]" in sent


def test_only_the_client_imports_litellm_and_nothing_in_llm_can_run_a_process() -> None:
    importers = sorted(
        str(p.relative_to(PACKAGE)) for p in PACKAGE.rglob("*.py")
        if re.search(r"^\s*(import litellm|from litellm)", p.read_text(), re.MULTILINE))
    assert importers == ["llm/client.py"]
    for path in [*(PACKAGE / "llm").rglob("*.py"), PACKAGE / "cli" / "ask.py"]:
        source = path.read_text()
        for forbidden in ("subprocess", "os.system", "os.exec", "os.spawn", "pty.", "eval(",
                          "exec("):
            assert forbidden not in source, f"{path.name} uses {forbidden}"
