"""The client against a fake OpenAI-compatible server on loopback, and litellm's mock."""

from __future__ import annotations

import json
import time
from dataclasses import replace
from pathlib import Path

import pytest

from oncall.llm.calllog import AuditCallLog, MemoryCallLog
from oncall.llm.client import LlmClient, LlmUnavailable
from oncall.llm.settings import LLMSettings, NotConfigured
from oncall.llm.templates import load_prompt
from tests.llm.conftest import FakeLLM, Reply

PROMPTS = [load_prompt("system"), load_prompt("ask")]


def _msgs(text: str) -> list[dict[str, str]]:
    return [{"role": "system", "content": "rules"}, {"role": "user", "content": text}]


def test_a_call_is_redacted_sent_and_recorded(fake_llm: FakeLLM,
                                              llm_settings: LLMSettings) -> None:
    fake_llm.reply(Reply("hello [A1]", usage=(42, 7)))
    client = LlmClient(llm_settings)
    out = client.complete("ask", PROMPTS, _msgs("db password=hunter2 at 10.1.2.3"))
    assert out.text == "hello [A1]"
    assert (out.prompt_tokens, out.completion_tokens, out.attempts) == (42, 7, 1)
    assert out.cost_usd is None  # a local model has no price
    (request,) = fake_llm.requests
    assert request["path"] == "/v1/chat/completions"
    assert request["body"]["model"] == "fake-model"
    assert request["headers"]["authorization"] == "Bearer no-key"
    sent = fake_llm.sent_text()
    assert "hunter2" not in sent and "10.1.2.3" not in sent
    assert "[REDACTED:secret]" in sent and "[REDACTED:ip]" in sent
    assert llm_settings.log_path is not None
    (line,) = llm_settings.log_path.read_text().splitlines()
    record = json.loads(line)
    assert record["outcome"] == "ok" and record["purpose"] == "ask"
    assert record["prompts"] == [p.record() for p in PROMPTS]
    assert record["prompt_tokens"] == 42 and record["completion_tokens"] == 7
    assert record["redactions"] == {"ip": 1, "secret": 1}
    assert record["api_base"] == fake_llm.url.rsplit("/", 1)[0]
    assert "hunter2" not in line and "rules" not in line  # content is not logged


def test_the_configured_key_is_sent_as_auth_and_never_as_content(
        fake_llm: FakeLLM, llm_settings: LLMSettings) -> None:
    settings = replace(llm_settings, api_key="sk-local-key-0001")
    LlmClient(settings).complete("ask", PROMPTS, _msgs("echo sk-local-key-0001 please"))
    (request,) = fake_llm.requests
    assert request["headers"]["authorization"] == "Bearer sk-local-key-0001"
    assert "sk-local-key-0001" not in fake_llm.sent_text()


def test_json_mode_asks_for_a_json_object(fake_llm: FakeLLM, llm_settings: LLMSettings) -> None:
    LlmClient(llm_settings).complete("ask", PROMPTS, _msgs("q"), json_mode=True)
    assert fake_llm.bodies()[0]["response_format"] == {"type": "json_object"}
    assert fake_llm.bodies()[0]["temperature"] == 0.0


def test_server_errors_are_retried_a_bounded_number_of_times(
        fake_llm: FakeLLM, llm_settings: LLMSettings) -> None:
    fake_llm.reply(Reply(status=500), Reply(status=503), Reply(status=500), Reply("late"))
    log = MemoryCallLog()
    client = LlmClient(replace(llm_settings, retries=2), log=log, sleep=lambda _s: None)
    with pytest.raises(LlmUnavailable) as err:
        client.complete("ask", PROMPTS, _msgs("q"))
    assert len(fake_llm.requests) == 3
    message = str(err.value)
    assert "\n" not in message and "3 attempt(s)" in message and "fake-model" in message
    assert log.entries[0]["outcome"].startswith("error: ") and log.entries[0]["attempts"] == 3


def test_a_retry_that_succeeds_returns_the_answer(fake_llm: FakeLLM,
                                                  llm_settings: LLMSettings) -> None:
    fake_llm.reply(Reply(status=502), Reply("second time"))
    client = LlmClient(replace(llm_settings, retries=1), log=MemoryCallLog(),
                       sleep=lambda _s: None)
    out = client.complete("ask", PROMPTS, _msgs("q"))
    assert (out.text, out.attempts) == ("second time", 2)


def test_a_client_error_is_not_retried(fake_llm: FakeLLM, llm_settings: LLMSettings) -> None:
    fake_llm.reply(Reply(status=400), Reply("never reached"))
    client = LlmClient(replace(llm_settings, retries=3), log=MemoryCallLog(),
                       sleep=lambda _s: None)
    with pytest.raises(LlmUnavailable):
        client.complete("ask", PROMPTS, _msgs("q"))
    assert len(fake_llm.requests) == 1


def test_a_slow_server_costs_at_most_attempts_times_timeout(
        fake_llm: FakeLLM, llm_settings: LLMSettings) -> None:
    fake_llm.reply(Reply("slow", delay=3.0), Reply("slow", delay=3.0))
    client = LlmClient(replace(llm_settings, timeout=0.4, retries=1), log=MemoryCallLog(),
                       sleep=lambda _s: None)
    started = time.perf_counter()
    with pytest.raises(LlmUnavailable) as err:
        client.complete("ask", PROMPTS, _msgs("q"))
    assert time.perf_counter() - started < 2.5
    assert len(fake_llm.requests) == 2
    assert "Timeout" in str(err.value)


def test_nothing_listening_is_one_clear_error(llm_settings: LLMSettings) -> None:
    settings = replace(llm_settings, api_base="http://127.0.0.1:9/v1", retries=0)
    with pytest.raises(LlmUnavailable) as err:
        LlmClient(settings, log=MemoryCallLog()).complete("ask", PROMPTS, _msgs("q"))
    assert "http://127.0.0.1:9" in str(err.value) and "\n" not in str(err.value)


def test_litellm_mock_response_makes_no_request(fake_llm: FakeLLM, tmp_path: Path) -> None:
    settings = LLMSettings(model="openai/gpt-4o-mini", log_path=tmp_path / "c.jsonl")
    out = LlmClient(settings, mock_response="mocked [A1]").complete("ask", PROMPTS, _msgs("q"))
    assert out.text == "mocked [A1]"
    assert fake_llm.requests == []
    record = json.loads((tmp_path / "c.jsonl").read_text())
    assert record["mock"] is True and record["cost_usd"] is not None  # a priced model


def test_no_model_no_client() -> None:
    with pytest.raises(NotConfigured):
        LlmClient(LLMSettings())


def test_calls_can_go_to_the_tamper_evident_audit_log(tmp_path: Path) -> None:
    from oncall.audit import AuditLog

    audit = AuditLog(tmp_path / "audit.jsonl", key=b"k", actor="test")
    settings = LLMSettings(model="openai/gpt-4o-mini")
    client = LlmClient(settings, log=AuditCallLog(audit, incident="inc-1"), mock_response="ok")
    client.complete("ask", PROMPTS, _msgs("q"))
    (record,) = list(audit.records())
    assert record["event"] == "note" and record["incident"] == "inc-1"
    assert record["data"]["llm_call"]["prompts"][1]["id"] == "ask@1"
    assert audit.verify().ok
