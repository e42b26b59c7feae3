"""The one door to a model: redaction, timeout, bounded retries, and a record per call.

This is the only module of `oncall` that imports litellm, and it does so inside
`_litellm()`, on the first call: importing litellm costs seconds, so commands that make
no call never pay for it. `LITELLM_LOCAL_MODEL_COST_MAP` is set first because without
it litellm fetches its price list from the network at import time.

Every message passes the redactor here, so no caller can send a secret by forgetting
to redact. A timeout, a connection error, a rate limit or a 5xx is retried at most
`settings.retries` times with a short backoff; anything else (a bad model name, bad
credentials) fails at once. Either way the user gets one line, never a traceback.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from types import ModuleType
from typing import Any
from urllib.parse import urlsplit

from oncall.errors import OncallError
from oncall.llm.calllog import CallLog, JsonlCallLog
from oncall.llm.redact import Redactor
from oncall.llm.settings import LLMSettings
from oncall.llm.templates import Prompt

# A local OpenAI-compatible server (Ollama, vLLM, llama.cpp) needs no key, but the
# OpenAI client refuses to start without one.
PLACEHOLDER_KEY = "no-key"
MAX_BACKOFF = 4.0


class LlmUnavailable(OncallError):
    """The model did not answer usefully after the bounded attempts."""


@dataclass(slots=True)
class Completion:
    text: str
    model: str
    prompt_tokens: int | None
    completion_tokens: int | None
    cost_usd: float | None  # None when litellm has no price for the model (local ones)
    seconds: float
    attempts: int
    redactions: dict[str, int]


def _litellm() -> ModuleType:
    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    import litellm

    litellm.suppress_debug_info = True
    litellm.telemetry = False
    return litellm


class LlmClient:
    """Makes chat completions for one `LLMSettings`; `mock_response` answers without any
    request (litellm's own mock), for tests and dry runs."""

    def __init__(self, settings: LLMSettings, *, log: CallLog | None = None,
                 mock_response: str | None = None,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.settings = settings.require()
        self.log = log if log is not None else JsonlCallLog(settings.log_path)
        self.mock_response = mock_response
        self.redactor = Redactor(settings.redact, literals=[settings.api_key or ""])
        self._sleep = sleep

    def complete(self, purpose: str, prompts: Sequence[Prompt],
                 messages: list[dict[str, str]], *, json_mode: bool = False) -> Completion:
        """One answer to `messages` (redacted here), recorded in the call log."""
        redacted, counts = self._redact(messages)
        kwargs = self._kwargs(redacted, json_mode)
        litellm = _litellm()
        started = time.perf_counter()
        attempts = 0
        error = ""
        response: Any = None
        while attempts <= self.settings.retries:
            attempts += 1
            try:
                response = litellm.completion(**kwargs)
                error = ""
                break
            except Exception as exc:  # litellm maps every provider error to its own types
                error = _reason(exc, self.redactor)
                if not _retryable(exc):
                    break
            if attempts <= self.settings.retries:
                self._sleep(min(MAX_BACKOFF, 0.5 * 2 ** (attempts - 1)))
        seconds = time.perf_counter() - started
        entry = self._entry(purpose, prompts, redacted, counts, attempts, seconds)
        if response is None:
            self.log.record({**entry, "outcome": f"error: {error}"})
            where = f" at {_host(self.settings.api_base)}" if self.settings.api_base else ""
            raise LlmUnavailable(f"LLM {self.settings.model}{where} did not answer after "
                                 f"{attempts} attempt(s): {error}")
        completion = _completion(response, self.settings.model or "", seconds, attempts, counts)
        self.log.record({**entry, "outcome": "ok", "model_reported": completion.model,
                         "prompt_tokens": completion.prompt_tokens,
                         "completion_tokens": completion.completion_tokens,
                         "cost_usd": completion.cost_usd})
        return completion

    def _redact(self, messages: list[dict[str, str]]) -> tuple[list[dict[str, str]],
                                                               dict[str, int]]:
        counts: dict[str, int] = {}
        out = []
        for message in messages:
            cleaned = self.redactor(message["content"])
            for kind, n in cleaned.counts.items():
                counts[kind] = counts.get(kind, 0) + n
            out.append({"role": message["role"], "content": cleaned.text})
        return out, counts

    def _kwargs(self, messages: list[dict[str, str]], json_mode: bool) -> dict[str, Any]:
        s = self.settings
        kwargs: dict[str, Any] = {
            "model": s.model, "messages": messages, "timeout": s.timeout,
            "temperature": s.temperature, "max_tokens": s.max_tokens,
            "num_retries": 0,  # retries are ours: bounded and logged
            "drop_params": True,  # a server without JSON mode still answers
        }
        if s.api_base:
            kwargs["api_base"] = s.api_base
        if s.api_key or s.api_base:
            kwargs["api_key"] = s.api_key or PLACEHOLDER_KEY
        if json_mode:
            kwargs["response_format"] = {"type": "json_object"}
        if self.mock_response is not None:
            kwargs["mock_response"] = self.mock_response
        return kwargs

    def _entry(self, purpose: str, prompts: Sequence[Prompt], messages: list[dict[str, str]],
               counts: dict[str, int], attempts: int, seconds: float) -> dict[str, Any]:
        body = json.dumps(messages, sort_keys=True).encode()
        return {
            "at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
            "purpose": purpose,
            "model": self.settings.model,
            "api_base": _host(self.settings.api_base) if self.settings.api_base else None,
            "prompts": [p.record() for p in prompts],
            "request_sha256": hashlib.sha256(body).hexdigest(),
            "redactions": dict(sorted(counts.items())),
            "attempts": attempts,
            "seconds": round(seconds, 3),
            "mock": self.mock_response is not None,
        }


def _retryable(exc: Exception) -> bool:
    """Worth another attempt: a timeout, no connection, a rate limit or a 5xx. litellm's
    exceptions carry the HTTP status; connection errors and timeouts have none."""
    status = getattr(exc, "status_code", None)
    if isinstance(status, int):
        return status in (408, 409, 429) or status >= 500
    names = {cls.__name__ for cls in type(exc).__mro__}
    return bool(names & {"APIConnectionError", "APITimeoutError", "Timeout", "TimeoutError",
                         "ConnectionError"})


def _reason(exc: BaseException, redactor: Redactor) -> str:
    """The first line of a provider error, redacted and short (it may echo the request)."""
    first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
    return redactor(f"{type(exc).__name__}: {first}"[:240]).text


def _host(url: str | None) -> str:
    """scheme://host[:port] of an endpoint: never its path, query or credentials."""
    parts = urlsplit(url or "")
    host = parts.hostname or ""
    try:
        port = f":{parts.port}" if parts.port else ""
    except ValueError:  # a port that is not a number: show none rather than fail
        port = ""
    return f"{parts.scheme}://{host}{port}" if parts.scheme else host


def _completion(response: Any, model: str, seconds: float, attempts: int,
                counts: dict[str, int]) -> Completion:
    try:
        text = response.choices[0].message.content or ""
    except (AttributeError, IndexError, TypeError):
        text = ""
    usage = getattr(response, "usage", None)
    hidden = getattr(response, "_hidden_params", None) or {}
    cost = hidden.get("response_cost") if isinstance(hidden, dict) else None
    return Completion(
        text=text,
        model=str(getattr(response, "model", None) or model),
        prompt_tokens=_int(getattr(usage, "prompt_tokens", None)),
        completion_tokens=_int(getattr(usage, "completion_tokens", None)),
        cost_usd=float(cost) if isinstance(cost, int | float) else None,
        seconds=seconds,
        attempts=attempts,
        redactions=dict(counts),
    )


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None
