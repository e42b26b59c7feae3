"""Which model to call, where, and how patiently: `LLMSettings`.

The settings come from three layers, later ones winning: the `llm:` section of
`oncall.yaml` (parsed by the config module, which hands the mapping to
`LLMSettings.resolve(file_section=...)`), the `ONCALL_LLM_*` environment variables, and
explicit arguments (command-line options, tests). Keeping the layering here means the
config module only has to find the section; it never has to know what is in it.

Like every other part of oncall.yaml, the file never holds a secret: the key is named
by an environment variable (`api_key_env`), and an inline `api_key` is refused.

With no model at the end, `configured` is False and no call may be made: every LLM
feature is an addition to deterministic output, never a requirement.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from oncall.errors import InputError, OncallError

ENV_MODEL = "ONCALL_LLM_MODEL"
ENV_API_BASE = "ONCALL_LLM_API_BASE"
ENV_API_KEY = "ONCALL_LLM_API_KEY"
ENV_TIMEOUT = "ONCALL_LLM_TIMEOUT"
ENV_LOG = "ONCALL_LLM_LOG"

HOW_TO_CONFIGURE = (
    f"no LLM model configured: set {ENV_MODEL} (e.g. ollama/llama3.1, with "
    f"{ENV_API_BASE}=http://127.0.0.1:11434 for a local server) or llm.model in oncall.yaml"
)
MAX_TIMEOUT = 600.0
MAX_RETRIES = 5


class NotConfigured(OncallError):
    """A command that needs a model ran without one; the message says how to set one."""

    def __init__(self, hint: str = "") -> None:
        super().__init__(HOW_TO_CONFIGURE + (f", or pass {hint}" if hint else ""))


@dataclass(frozen=True, slots=True)
class LLMSettings:
    """Everything a call needs. `api_key` never appears in a repr, a log or a prompt."""

    model: str | None = None
    api_base: str | None = None
    api_key: str | None = field(default=None, repr=False)
    timeout: float = 30.0  # seconds per attempt
    retries: int = 2  # extra attempts after a timeout, a connection error or a 5xx
    temperature: float = 0.0
    max_tokens: int = 1024
    redact: tuple[str, ...] = ()  # extra regular expressions to redact before a request
    log_path: Path | None = None  # per-call JSONL record; default under the XDG state dir
    max_incidents: int = 3  # `triage --llm` drafts for at most this many incidents

    @property
    def configured(self) -> bool:
        return bool(self.model)

    def require(self, hint: str = "") -> LLMSettings:
        """These settings, or `NotConfigured` (one line, exit 2) when there is no model."""
        if not self.configured:
            raise NotConfigured(hint)
        return self

    @classmethod
    def resolve(
        cls,
        file_section: Mapping[str, Any] | None = None,
        env: Mapping[str, str] | None = None,
        **explicit: Any,
    ) -> LLMSettings:
        """oncall.yaml `llm:` < environment < explicit keyword arguments (None = unset)."""
        env = os.environ if env is None else env
        settings = cls.from_mapping(file_section or {}, origin="oncall.yaml", env=env)
        settings = settings.with_env(env)
        given = {k: v for k, v in explicit.items() if v is not None}
        unknown = sorted(set(given) - set(cls.__dataclass_fields__))
        if unknown:
            raise TypeError(f"unknown LLM setting(s): {', '.join(unknown)}")
        if "redact" in given:
            given["redact"] = tuple(given["redact"])
        if "log_path" in given:
            given["log_path"] = Path(given["log_path"])
        if given.get("api_base"):
            _check_api_base(str(given["api_base"]), "arguments", "--api-base")
        return _checked(replace(settings, **given), "arguments")

    @classmethod
    def from_mapping(cls, section: Mapping[str, Any], origin: str = "oncall.yaml",
                     env: Mapping[str, str] | None = None) -> LLMSettings:
        """The `llm:` section of a config file; a wrong key or type names `llm.<key>`.
        `api_key_env` is looked up in `env` (default: the process environment)."""
        if not isinstance(section, Mapping):
            raise InputError(origin, "expected a mapping", field="llm")
        known = {"model", "api_base", "api_key_env", "timeout_seconds", "retries",
                 "temperature", "max_tokens", "redact", "log", "max_incidents"}
        for key in section:
            if str(key).lower() in ("api_key", "apikey", "token", "key"):
                raise InputError(origin, "secrets are never written inline: name an "
                                 "environment variable with llm.api_key_env",
                                 field=f"llm.{key}")
            if key not in known:
                expected = ", ".join(sorted(known))
                raise InputError(origin, f"unknown key (expected one of {expected})",
                                 field=f"llm.{key}")
        values: dict[str, Any] = {}
        for key in ("model", "api_base"):
            if section.get(key) is not None:
                values[key] = _text(section[key], origin, key)
        if section.get("api_key_env") is not None:
            name = _text(section["api_key_env"], origin, "api_key_env")
            key_value = (os.environ if env is None else env).get(name)
            if not key_value:
                raise InputError(origin, f"names {name}, which is not set",
                                 field="llm.api_key_env")
            values["api_key"] = key_value
        if section.get("timeout_seconds") is not None:
            values["timeout"] = _number(section["timeout_seconds"], origin, "timeout_seconds")
        if section.get("temperature") is not None:
            values["temperature"] = _number(section["temperature"], origin, "temperature")
        for key in ("retries", "max_tokens", "max_incidents"):
            if section.get(key) is not None:
                values[key] = int(_number(section[key], origin, key, integer=True))
        if section.get("redact") is not None:
            raw = section["redact"]
            if not isinstance(raw, list) or not all(isinstance(p, str) for p in raw):
                raise InputError(origin, "expected a list of regular expressions",
                                 field="llm.redact")
            values["redact"] = tuple(raw)
        if section.get("log") is not None:
            values["log_path"] = Path(_text(section["log"], origin, "log")).expanduser()
        return _checked(cls(**values), origin)

    def with_env(self, env: Mapping[str, str]) -> LLMSettings:
        """These settings overlaid with the `ONCALL_LLM_*` variables that are set."""
        values: dict[str, Any] = {}
        if env.get(ENV_MODEL, "").strip():
            values["model"] = env[ENV_MODEL].strip()
        if env.get(ENV_API_BASE, "").strip():
            values["api_base"] = env[ENV_API_BASE].strip()
            _check_api_base(values["api_base"], "environment", ENV_API_BASE)
        if env.get(ENV_API_KEY):
            values["api_key"] = env[ENV_API_KEY]
        if env.get(ENV_TIMEOUT, "").strip():
            values["timeout"] = _number(env[ENV_TIMEOUT].strip(), ENV_TIMEOUT, None)
        if env.get(ENV_LOG, "").strip():
            values["log_path"] = Path(env[ENV_LOG].strip()).expanduser()
        return _checked(replace(self, **values), "environment") if values else self


def _checked(settings: LLMSettings, origin: str) -> LLMSettings:
    if not 0 < settings.timeout <= MAX_TIMEOUT:
        raise InputError(origin, f"must be in (0, {MAX_TIMEOUT:.0f}] seconds, "
                         f"got {settings.timeout}", field="llm.timeout_seconds")
    if not 0 <= settings.retries <= MAX_RETRIES:
        raise InputError(origin, f"must be between 0 and {MAX_RETRIES}, got {settings.retries}",
                         field="llm.retries")
    if not 0 < settings.max_tokens <= 32768:
        raise InputError(origin, f"must be between 1 and 32768, got {settings.max_tokens}",
                         field="llm.max_tokens")
    if not 0 < settings.max_incidents <= 20:
        raise InputError(origin, f"must be between 1 and 20, got {settings.max_incidents}",
                         field="llm.max_incidents")
    if settings.api_base:
        _check_api_base(settings.api_base, origin, "llm.api_base")
    for i, pattern in enumerate(settings.redact):
        try:
            re.compile(pattern)
        except re.error as exc:
            raise InputError(origin, f"not a regular expression: {exc}",
                             field=f"llm.redact[{i}]") from None
    return settings


def _check_api_base(url: str, origin: str, field: str) -> None:
    """The shared URL check of every configured endpoint (`oncall.config.check_url`);
    the error names the field or the environment variable that set it."""
    from oncall.config import BadURL, check_url

    try:
        check_url(url)
    except BadURL as exc:
        raise InputError(origin, str(exc), field=field) from None


def _text(value: Any, origin: str, key: str) -> str:
    if isinstance(value, bool) or not isinstance(value, str | int | float) or not str(value):
        raise InputError(origin, "expected a non-empty string", field=f"llm.{key}")
    return str(value)


def _number(value: Any, origin: str, key: str | None, integer: bool = False) -> float:
    where = f"llm.{key}" if key else None
    if isinstance(value, bool):
        raise InputError(origin, f"expected a number, got {value!r}", field=where)
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise InputError(origin, f"expected a number, got {str(value)[:40]!r}",
                         field=where) from None
    if integer and number != int(number):
        raise InputError(origin, f"expected a whole number, got {value!r}", field=where)
    return number
