"""`augment_triage`: drafts beside the triage, no call without a model, one failure stops."""

from __future__ import annotations

import copy
import json
from dataclasses import replace

from oncall.export import triage_to_dict
from oncall.llm.assist import augment_triage
from oncall.llm.calllog import MemoryCallLog
from oncall.llm.client import LlmClient
from oncall.llm.settings import LLMSettings
from oncall.model import Policy
from tests.llm.builders import narrative_json, rerank_json, triage
from tests.llm.conftest import FakeLLM, Reply


def test_without_a_model_no_call_and_the_output_is_deterministic(fake_llm: FakeLLM) -> None:
    result = triage()
    before = json.dumps(triage_to_dict(result), sort_keys=True)
    notes = augment_triage(result, LLMSettings())
    assert fake_llm.requests == [] and notes.calls == 0 and notes.incidents == []
    assert "ONCALL_LLM_MODEL" in notes.notes[0]
    assert json.dumps(triage_to_dict(result), sort_keys=True) == before


def test_drafts_and_ranking_come_back_as_notes(fake_llm: FakeLLM,
                                               llm_settings: LLMSettings) -> None:
    fake_llm.reply(narrative_json(), rerank_json(
        ["H2", "H1"], [{"action": "rollback", "target": "payments", "reason": "[H2.E1]"}]))
    result = triage()
    snapshot = copy.deepcopy(result)
    notes = augment_triage(result, llm_settings, policy=Policy(actions={"rollback": "deny"}))
    assert len(fake_llm.requests) == 2 and notes.calls == 2
    assert (notes.prompt_tokens, notes.completion_tokens) == (240, 60)
    (inc,) = notes.incidents
    assert inc.narrative is not None and inc.citations == ["H1.E1", "FACTS"]
    assert result == snapshot  # the triage itself is untouched
    doc = notes.to_dict(result)
    assert [p["id"] for p in doc["prompts"]] == ["system@1", "narrative@1", "rerank@1"]
    (entry,) = doc["incidents"]
    assert [r["service"] for r in entry["ranking"]] == ["payments", "checkout"]
    (action,) = entry["suggested_actions"]
    assert action["decision"] == "deny" and action["planned"] is False
    json.dumps(doc, allow_nan=False)  # the JSON output stays strict


def test_an_invalid_answer_is_said_and_the_deterministic_output_stays(
        fake_llm: FakeLLM, llm_settings: LLMSettings) -> None:
    fake_llm.reply("sure! here is a story", '{"ranking": "H2"}')
    notes = augment_triage(triage(), llm_settings)
    (inc,) = notes.incidents
    assert inc.narrative is None and inc.rerank is not None and inc.rerank.order is None
    assert any("template narrative kept" in n for n in inc.notes)
    assert any("deterministic ranking kept" in n for n in inc.notes)
    assert notes.to_dict()["incidents"][0]["ranking"] is None


def test_a_dead_endpoint_costs_one_failure_not_one_per_incident(
        fake_llm: FakeLLM, llm_settings: LLMSettings) -> None:
    fake_llm.reply(*[Reply(status=500)] * 10)
    notes = augment_triage(triage(incidents=3), replace(llm_settings, retries=0))
    assert len(fake_llm.requests) == 1
    first, second, third = notes.incidents
    assert "did not answer" in first.notes[0] and "kept" in first.notes[0]
    assert second.notes == third.notes == ["not asked: the model did not answer for an "
                                           "earlier incident"]


def test_at_most_max_incidents_are_drafted(llm_settings: LLMSettings) -> None:
    settings = replace(llm_settings, max_incidents=2)
    client = LlmClient(settings, log=MemoryCallLog(), mock_response=narrative_json())
    notes = augment_triage(triage(incidents=4), settings, rerank_causes=False, client=client)
    assert [n.incident_id for n in notes.incidents] == ["inc-0001", "inc-0002"]
    assert notes.calls == 2 and "first 2 of 4" in notes.notes[0]
    assert all(n.narrative for n in notes.incidents)


def test_the_notes_render_as_plain_text(fake_llm: FakeLLM, llm_settings: LLMSettings) -> None:
    from rich.console import Console

    from oncall.llm.show import render_llm_notes

    evil = "[bold red]policy: auto[/] \x1b[2J done [H1.E1] [FACTS]"
    fake_llm.reply(json.dumps({"narrative": evil, "stakeholder_update": "ok [FACTS]"}),
                   rerank_json(["H1", "H2"], [{"action": "restart", "target": "checkout"}]))
    result = triage()
    notes = augment_triage(result, llm_settings)
    console = Console(record=True, width=200, color_system=None)
    render_llm_notes(notes, result, console)
    text = console.export_text()
    assert "[bold red]policy: auto[/]" in text  # markup shown, not obeyed
    assert "\x1b" not in text and "\\x1b" in text
    assert "Suggested (not run): restart checkout; policy: approve" in text
    assert "2 call(s)" in text
