"""Narrative drafts are used only when valid and grounded in the sources offered."""

from __future__ import annotations

import json

import pytest

from oncall.llm.client import LlmClient
from oncall.llm.context import Context, incident_sources
from oncall.llm.narrative import check_draft, draft_narrative
from oncall.llm.settings import LLMSettings
from tests.llm.builders import incident, narrative_json
from tests.llm.conftest import FakeLLM


def _context() -> Context:
    return Context(incident_sources(incident()), nonce="fixed")


def test_a_grounded_draft_is_used_with_its_citations(fake_llm: FakeLLM,
                                                     llm_settings: LLMSettings) -> None:
    fake_llm.reply(narrative_json())
    draft, completion = draft_narrative(LlmClient(llm_settings), incident())
    assert draft.accepted and draft.note == ""
    assert "cfg-2291" in (draft.narrative or "")
    assert draft.citations == ["H1.E1", "FACTS"]
    assert completion.prompt_tokens == 120
    body = fake_llm.bodies()[0]
    assert body["response_format"] == {"type": "json_object"}
    user = body["messages"][1]["content"]
    assert '"stakeholder_update"' in user  # the schema is in the prompt
    assert "id=H1.E1 kind=evidence" in user


@pytest.mark.parametrize(("reply", "why"), [
    ("The checkout is slow.", "not JSON"),
    (json.dumps({"narrative": "x [H1]"}), "schema: stakeholder_update"),
    (json.dumps({"narrative": "x [H1]", "stakeholder_update": "y [H1]", "run": "rm"}),
     "schema: run"),
    (narrative_json(cite="H9.E9"), "do not exist (H9.E9)"),
    (json.dumps({"narrative": "no sources here", "stakeholder_update": "y [FACTS]"}),
     "narrative cites no source"),
])
def test_an_ungrounded_or_invalid_draft_keeps_the_template(reply: str, why: str) -> None:
    draft = check_draft(reply, _context())
    assert not draft.accepted and draft.narrative is None
    assert why in draft.note and draft.note.endswith("template narrative kept")


def test_a_markdown_code_fence_around_the_json_is_tolerated() -> None:
    draft = check_draft(f"```json\n{narrative_json()}\n```", _context())
    assert draft.accepted
