"""oncall.yaml and its environment overrides are refused before anything is fetched.

A URL httpx cannot send to, a file that is no CA bundle, a timeout of a billion seconds,
an org policy that triage would refuse: each is one line naming the file (or variable)
and field, exit 2, never a traceback at the first request.
"""

from __future__ import annotations

from pathlib import Path

import certifi
import pytest
from typer.testing import CliRunner

from oncall.cli.main import app
from oncall.config import SourceConfig, load_config
from oncall.errors import InputError
from oncall.sources.live.build import build_client

runner = CliRunner()

BAD_URLS = [
    ("http://127.0.0.1:abc", "the port must be a number from 1 to 65535"),
    ("http://127.0.0.1:99999", "the port must be a number from 1 to 65535"),
    ("http://127.0.0.1:0", "the port must be a number from 1 to 65535"),
    ("http://h:+80", "the port must be a number from 1 to 65535"),
    ("http://[::1", "not a valid URL (an IPv6 host needs both [ and ])"),
    ("http://[zz]:9093", "not a valid URL (the host in [ ] is not an IP address)"),
    ("http://", "the URL has no host"),
    ("http://a b/", "a URL cannot contain spaces or control characters"),
    ("ftp://127.0.0.1:9", "expected an http:// or https:// URL"),
    ("127.0.0.1:9093", "expected an http:// or https:// URL"),
]


def _config(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "oncall.yaml"
    path.write_text(text)
    return path


def _error(path: Path | None, env: dict[str, str] | None = None) -> str:
    with pytest.raises(InputError) as caught:
        load_config(path, env or {})
    return str(caught.value)


@pytest.mark.parametrize(("url", "reason"), BAD_URLS)
def test_a_bad_source_url_is_refused_when_the_file_is_read(tmp_path: Path, url: str,
                                                           reason: str) -> None:
    path = _config(tmp_path, f"sources:\n  alertmanager: {{url: {url!r}}}\n")
    assert _error(path) == f"{path}: sources.alertmanager.url: {reason}, got {url!r}"


@pytest.mark.parametrize(("url", "reason"), BAD_URLS[:3])
def test_a_bad_url_override_names_the_variable(tmp_path: Path, url: str, reason: str) -> None:
    env = {"ONCALL_ALERTMANAGER_URL": url, "XDG_CONFIG_HOME": str(tmp_path)}
    assert _error(None, env) == f"environment: ONCALL_ALERTMANAGER_URL: {reason}, got {url!r}"
    path = _config(tmp_path, "sources:\n  alertmanager: {url: 'http://am:9093'}\n"
                   "  prometheus: {url: 'http://p:9090', queries: [{signal: s, query: q}]}\n")
    message = _error(path, {"ONCALL_PROMETHEUS_URL": url})
    assert message.startswith("environment: ONCALL_PROMETHEUS_URL: ")


def test_credentials_in_a_url_are_refused_without_repeating_them(tmp_path: Path) -> None:
    path = _config(tmp_path, "sources:\n  alertmanager: {url: 'http://u:s3cret@am:9093'}\n")
    message = _error(path)
    assert message.endswith("sources.alertmanager.url: credentials do not belong in the URL; "
                            "use the *_env keys")
    assert "s3cret" not in message


def test_good_urls_pass_and_lose_their_trailing_slash() -> None:
    from oncall.config import BadURL, check_url

    assert check_url(" http://[::1]:9093/ ") == "http://[::1]:9093"
    assert check_url("https://argocd.internal") == "https://argocd.internal"
    assert check_url("HTTP://prometheus:9090/prefix/") == "HTTP://prometheus:9090/prefix"
    with pytest.raises(BadURL) as caught:
        check_url("http://hooks.example:abc/T000/secret")
    assert caught.value.reason == "the port must be a number from 1 to 65535"


@pytest.mark.parametrize("command", [
    ["config", "check"], ["triage", "--live"], ["snapshot", "--out", "{out}"], ["watch"],
])
def test_every_live_command_ends_in_one_line_and_exit_2(tmp_path: Path,
                                                        command: list[str]) -> None:
    path = _config(tmp_path, "sources:\n  alertmanager: {url: 'http://127.0.0.1:abc'}\n")
    argv = [a.replace("{out}", str(tmp_path / "snap")) for a in command]
    result = runner.invoke(app, [*argv, "--config", str(path)])
    assert result.exit_code == 2, result.output
    assert result.stderr == (f"oncall: {path}: sources.alertmanager.url: the port must be a "
                             "number from 1 to 65535, got 'http://127.0.0.1:abc'\n")


def test_the_environment_override_alone_is_exit_2_for_triage(tmp_path: Path) -> None:
    result = runner.invoke(app, ["triage", "--live"], env={
        "ONCALL_ALERTMANAGER_URL": "http://127.0.0.1:abc", "ONCALL_CONFIG": "",
        "XDG_CONFIG_HOME": str(tmp_path)})
    assert result.exit_code == 2
    assert result.stderr.startswith("oncall: environment: ONCALL_ALERTMANAGER_URL: the port")


def test_a_ca_file_that_holds_no_certificate_is_refused(tmp_path: Path) -> None:
    not_pem = tmp_path / "passwd"
    not_pem.write_text("root:x:0:0:root:/root:/bin/bash\n")
    path = _config(tmp_path, f"sources:\n  alertmanager: {{url: 'https://am', "
                   f"ca_file: {not_pem}}}\n")
    assert _error(path) == (f"{path}: sources.alertmanager.ca_file: {not_pem} holds no PEM "
                            "certificate (expected a CA bundle)")
    result = runner.invoke(app, ["config", "check", "--config", str(path)])
    assert result.exit_code == 2 and len(result.stderr.splitlines()) == 1
    assert "Traceback" not in result.output
    (tmp_path / "empty.pem").write_text("")
    path = _config(tmp_path, "sources:\n  alertmanager: {url: 'https://am', "
                   "ca_file: empty.pem}\n")  # relative to the file
    assert "empty.pem holds no PEM certificate" in _error(path)
    path = _config(tmp_path, "sources:\n  alertmanager: {url: 'https://am', "
                   "ca_file: nope.pem}\n")
    assert _error(path).endswith(f"ca_file: no such file {tmp_path / 'nope.pem'}")


def test_a_real_ca_bundle_is_accepted(tmp_path: Path) -> None:
    path = _config(tmp_path, f"sources:\n  alertmanager: {{url: 'https://am', "
                   f"ca_file: {certifi.where()}}}\n")
    source = load_config(path, {}).sources[0]
    assert source.ca_file == Path(certifi.where())
    with build_client(source) as client:
        assert str(client.base_url) == "https://am"


def test_a_source_built_in_code_is_checked_when_its_client_is_made(tmp_path: Path) -> None:
    bad = SourceConfig(kind="alertmanager", url="http://127.0.0.1:abc", origin="code",
                       where="sources.alertmanager")
    with pytest.raises(InputError, match=r"code: sources\.alertmanager\.url: the port"):
        build_client(bad)
    not_pem = tmp_path / "x.pem"
    not_pem.write_text("nothing here")
    bad_ca = SourceConfig(kind="alertmanager", url="https://am", origin="code",
                          where="sources.alertmanager", ca_file=not_pem)
    with pytest.raises(InputError, match=r"ca_file: .* holds no PEM certificate"):
        build_client(bad_ca)


@pytest.mark.parametrize(("line", "message"), [
    ("timeout_seconds: 1e9", "timeout_seconds: expected more than 0 and at most 3600 seconds, "
     "got 1e+09"),
    ("timeout_seconds: 0", "timeout_seconds: expected more than 0 and at most 3600 seconds, "
     "got 0"),
    ("window_minutes: 1e9", "window_minutes: expected more than 0 and at most 10080 minutes, "
     "got 1e+09"),
    ("changes_hours: 100000", "changes_hours: expected more than 0 and at most 720 hours, "
     "got 100000"),
    ("retries: 1000000", "retries: expected 0 to 10, got 1000000"),
])
def test_numbers_out_of_range_give_the_range(tmp_path: Path, line: str, message: str) -> None:
    path = _config(tmp_path, f"{line}\nsources:\n  alertmanager: {{url: 'http://am'}}\n")
    assert _error(path) == f"{path}: {message}"


def test_a_source_timeout_out_of_range_names_the_source(tmp_path: Path) -> None:
    path = _config(tmp_path, "sources:\n  alertmanager: {url: 'http://am', "
                   "timeout_seconds: 7200}\n")
    assert _error(path) == (f"{path}: sources.alertmanager.timeout_seconds: expected more "
                            "than 0 and at most 3600 seconds, got 7200")
    assert load_config(_config(tmp_path, "timeout_seconds: 3600\nsources:\n  alertmanager: "
                               "{url: 'http://am'}\n"), {}).sources[0].timeout_seconds == 3600


@pytest.mark.parametrize(("variable", "value", "message"), [
    ("ONCALL_TIMEOUT_SECONDS", "1e9", "expected more than 0 and at most 3600 seconds, "
     "got 1e+09"),
    ("ONCALL_TIMEOUT_SECONDS", "nan", "expected more than 0 and at most 3600 seconds, got nan"),
    ("ONCALL_RETRIES", "1000000", "expected 0 to 10, got 1000000"),
    ("ONCALL_WINDOW_MINUTES", "0", "expected more than 0 and at most 10080 minutes, got 0"),
])
def test_an_override_out_of_range_names_the_variable(tmp_path: Path, variable: str,
                                                     value: str, message: str) -> None:
    path = _config(tmp_path, "sources:\n  alertmanager: {url: 'http://am'}\n")
    assert _error(path, {variable: value}) == f"environment: {variable}: {message}"


def test_config_check_validates_the_org_policy_the_file_names(tmp_path: Path) -> None:
    policy = tmp_path / "org-policy.yaml"
    policy.write_text("autonomy: yolo\nactions: {restart: maybe}\n")
    path = _config(tmp_path, "policy: org-policy.yaml\nsources:\n"
                   "  alertmanager: {url: 'http://127.0.0.1:9', retries: 0}\n")
    result = runner.invoke(app, ["config", "check", "--config", str(path)])
    assert result.exit_code == 2
    assert result.stderr == (f"oncall: {policy}: autonomy: unknown autonomy 'yolo' (expected "
                             "assist, execute, change)\n")
    assert result.stdout == ""  # refused before any source was tried

    policy.write_text("autonomy: execute\nactions: {restart: auto}\n")
    result = runner.invoke(app, ["config", "check", "--config", str(path)])
    assert result.exit_code == 1  # the policy is fine; the source is down
    assert f"policy: {policy}  autonomy execute, 1 action rule(s)" in result.stdout
    result = runner.invoke(app, ["config", "check", "--config", str(path), "-f", "json"])
    assert '"autonomy": "execute"' in result.stdout


def test_snapshot_out_on_a_file_says_it_is_not_a_directory(tmp_path: Path) -> None:
    path = _config(tmp_path, "sources:\n  alertmanager: {url: 'http://127.0.0.1:9', "
                   "retries: 0}\n")
    a_file = tmp_path / "passwd"
    a_file.write_text("root:x:0:0\n")
    result = runner.invoke(app, ["snapshot", "--out", str(a_file), "--config", str(path)])
    assert result.exit_code == 2
    assert result.stderr == f"oncall: {a_file}: exists and is not a directory; choose a new " \
        "--out\n"
    assert a_file.read_text() == "root:x:0:0\n"


def test_the_llm_api_base_goes_through_the_same_check() -> None:
    from oncall.llm.settings import LLMSettings

    with pytest.raises(InputError) as caught:
        LLMSettings.resolve({"model": "m", "api_base": "http://127.0.0.1:abc"}, env={})
    assert str(caught.value) == ("oncall.yaml: llm.api_base: the port must be a number from "
                                 "1 to 65535, got 'http://127.0.0.1:abc'")
    with pytest.raises(InputError) as caught:
        LLMSettings.resolve(env={"ONCALL_LLM_API_BASE": "http://[::1"})
    assert str(caught.value).startswith("environment: ONCALL_LLM_API_BASE: not a valid URL")
    with pytest.raises(InputError, match="arguments: --api-base: the URL has no host"):
        LLMSettings.resolve(env={}, api_base="http://")
    ok = LLMSettings.resolve(env={"ONCALL_LLM_API_BASE": "http://127.0.0.1:11434"})
    assert ok.api_base == "http://127.0.0.1:11434"


def test_config_check_reads_the_executors_itsm_and_llm_sections(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import json

    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))  # no executors.yaml there
    monkeypatch.delenv("ONCALL_LLM_MODEL", raising=False)
    base = "sources:\n  alertmanager: {url: 'http://127.0.0.1:9', retries: 0}\n"
    good = _config(tmp_path, base + "executors:\n  kubernetes: {dry_run: server}\n"
                   "itsm:\n  servicenow:\n    instance_url: https://acme.service-now.com\n"
                   "    token_env: SN_TOKEN\n"
                   "llm:\n  model: ollama/llama3.1\n  api_base: http://127.0.0.1:11434\n")
    result = runner.invoke(app, ["config", "check", "--config", str(good), "-f", "json"])
    assert result.exit_code == 1, result.output  # the alertmanager is down; the rest read
    doc = json.loads(result.stdout)
    assert doc["executors"] == ["kubernetes"] and doc["itsm"] == ["servicenow"]
    assert doc["llm"] == ["ollama/llama3.1"]
    for section, field in (("executors:\n  kubernetes: {dry_run: maybe}\n",
                            "executors.kubernetes.dry_run"),
                           ("itsm:\n  servicenow: {instance_url: 'http://x:abc'}\n",
                            "itsm.servicenow.instance_url"),
                           ("llm:\n  model: x\n  api_base: 'ftp://nowhere'\n", "api_base")):
        bad = _config(tmp_path, base + section)
        result = runner.invoke(app, ["config", "check", "--config", str(bad)])
        assert result.exit_code == 2, (section, result.output)
        assert field in result.stderr and len(result.stderr.strip().splitlines()) == 1
