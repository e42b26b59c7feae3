"""Settings: oncall.yaml < environment < explicit arguments; bad values name the field."""

from __future__ import annotations

from pathlib import Path

import pytest

from oncall.errors import InputError, OncallError
from oncall.llm.settings import LLMSettings, NotConfigured


def test_nothing_configured_means_no_model() -> None:
    settings = LLMSettings.resolve(env={})
    assert not settings.configured
    with pytest.raises(NotConfigured) as err:
        settings.require("--model")
    assert isinstance(err.value, OncallError) and err.value.exit_code == 2
    assert "ONCALL_LLM_MODEL" in str(err.value) and "--model" in str(err.value)
    assert "\n" not in str(err.value)


def test_layers_file_then_environment_then_arguments(tmp_path: Path) -> None:
    section = {"model": "ollama/llama3.1", "api_base": "http://127.0.0.1:11434",
               "timeout_seconds": 12, "retries": 1, "redact": [r"cust-\d+"],
               "log": str(tmp_path / "l")}
    only_file = LLMSettings.resolve(section, env={})
    assert (only_file.model, only_file.timeout, only_file.retries) == ("ollama/llama3.1", 12, 1)
    assert only_file.redact == (r"cust-\d+",) and only_file.log_path == tmp_path / "l"
    env = {"ONCALL_LLM_MODEL": "openai/gpt-4o-mini", "ONCALL_LLM_API_KEY": "sk-env",
           "ONCALL_LLM_TIMEOUT": "7.5"}
    with_env = LLMSettings.resolve(section, env=env)
    assert (with_env.model, with_env.api_key, with_env.timeout) == ("openai/gpt-4o-mini",
                                                                     "sk-env", 7.5)
    assert with_env.api_base == "http://127.0.0.1:11434"  # the file's, env left it unset
    explicit = LLMSettings.resolve(section, env=env, model="openai/other", api_base=None)
    assert explicit.model == "openai/other" and explicit.api_base == "http://127.0.0.1:11434"


def test_the_api_key_never_shows_in_a_repr() -> None:
    settings = LLMSettings(model="m", api_key="sk-top-secret-value")
    assert "sk-top-secret-value" not in repr(settings)


@pytest.mark.parametrize(("section", "field"), [
    ({"modle": "x"}, "llm.modle"),
    ({"timeout_seconds": "soon"}, "llm.timeout_seconds"),
    ({"timeout_seconds": 0}, "llm.timeout_seconds"),
    ({"api_key": "sk-inline"}, "llm.api_key"),
    ({"api_key_env": "UNSET_VARIABLE_FOR_TEST"}, "llm.api_key_env"),
    ({"retries": 9}, "llm.retries"),
    ({"retries": 1.5}, "llm.retries"),
    ({"redact": ["(unclosed"]}, "llm.redact[0]"),
    ({"redact": "not-a-list"}, "llm.redact"),
    ({"api_base": "ftp://x"}, "llm.api_base"),
    ({"model": ["a"]}, "llm.model"),
])
def test_a_bad_file_value_names_the_field(section: dict[str, object], field: str) -> None:
    with pytest.raises(InputError) as err:
        LLMSettings.resolve(section, env={})
    assert err.value.field == field and err.value.path == "oncall.yaml"


def test_a_bad_environment_value_is_one_clear_line() -> None:
    with pytest.raises(InputError) as err:
        LLMSettings.resolve(env={"ONCALL_LLM_MODEL": "m", "ONCALL_LLM_TIMEOUT": "later"})
    assert "ONCALL_LLM_TIMEOUT" in str(err.value) and "later" in str(err.value)


def test_the_key_comes_from_the_variable_the_file_names() -> None:
    settings = LLMSettings.resolve({"model": "m", "api_key_env": "MY_LLM_KEY"},
                                   env={"MY_LLM_KEY": "sk-from-var"})
    assert settings.api_key == "sk-from-var"


def test_an_inline_key_is_refused_with_the_way_to_do_it() -> None:
    with pytest.raises(InputError) as err:
        LLMSettings.from_mapping({"api_key": "sk-inline"})
    assert "api_key_env" in str(err.value) and "sk-inline" not in str(err.value)
