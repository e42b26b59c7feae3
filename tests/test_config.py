"""oncall.yaml: discovery, environment overrides, secrets, and one-line errors."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from oncall.cli.main import app
from oncall.config import config_path, load_config
from oncall.errors import InputError
from oncall.sources.live.build import build_client

FULL = """\
name: prod
window_minutes: 30
policy: policy.yaml
sources:
  alertmanager: {url: "http://am:9093", filter: ['env="prod"']}
  prometheus:
    url: http://prom:9090/
    timeout_seconds: 3
    queries:
      - {signal: error_ratio, query: 'sum by (job) (rate(x[5m]))', service_label: job}
  loki: {url: "http://loki:3100", queries: '{env="prod"}'}
  tempo: {url: "http://tempo:3200"}
  kubernetes: {url: "https://k8s:6443", namespace: prod, token_file: sa-token}
  github: {repos: [acme/checkout, {name: acme/pay, service: payments}], token_env: GH_T}
  argocd: {url: "https://argo", applications: [checkout], token_env: ARGO_T}
  backstage: {url: "https://backstage"}
"""


def _write(tmp_path: Path, text: str, name: str = "oncall.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def _error(tmp_path: Path, text: str, env: dict[str, str] | None = None) -> str:
    path = _write(tmp_path, text)
    with pytest.raises(InputError) as caught:
        load_config(path, env or {})
    return str(caught.value).replace(str(path), "F")


def test_a_full_configuration_is_read_with_defaults_and_relative_paths(tmp_path: Path) -> None:
    (tmp_path / "policy.yaml").write_text("autonomy: assist\n")
    cfg = load_config(_write(tmp_path, FULL), {})
    assert cfg.name == "prod" and cfg.window_minutes == 30 and cfg.changes_hours == 24
    assert cfg.policy == tmp_path / "policy.yaml"
    prom = cfg.source("prometheus")
    assert prom is not None and prom.url == "http://prom:9090" and prom.timeout_seconds == 3
    assert prom.queries[0].service_label == "job" and prom.retries == 2
    loki = cfg.source("loki")
    assert loki is not None and loki.log_queries == ('{env="prod"}',) and loki.limit == 5000
    github = cfg.source("github")
    assert github is not None and github.url == "https://api.github.com"
    assert [(t.name, t.service) for t in github.targets] == [("acme/checkout", "checkout"),
                                                             ("acme/pay", "payments")]
    k8s = cfg.source("kubernetes")
    assert k8s is not None and k8s.auth.token_file == tmp_path / "sa-token"
    assert [s.part for s in cfg.sources] == ["alerts", "metrics", "logs", "traces", "changes",
                                             "changes", "changes", "catalog"]


def test_discovery_order_is_flag_then_env_then_xdg(tmp_path: Path) -> None:
    flag, named = tmp_path / "a.yaml", tmp_path / "b.yaml"
    env = {"ONCALL_CONFIG": str(named), "XDG_CONFIG_HOME": str(tmp_path / "xdg")}
    assert config_path(flag, env) == flag
    assert config_path(None, env) == named
    assert config_path(None, {"XDG_CONFIG_HOME": str(tmp_path / "xdg")}) == \
        tmp_path / "xdg" / "oncall" / "oncall.yaml"
    xdg = tmp_path / "xdg" / "oncall"
    xdg.mkdir(parents=True)
    _write(xdg, "sources: {alertmanager: {url: 'http://am'}}\n")
    assert load_config(None, {"XDG_CONFIG_HOME": str(tmp_path / "xdg")}).path == \
        xdg / "oncall.yaml"


def test_no_configuration_anywhere_says_what_to_do(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no configuration here; write one"):
        load_config(None, {"XDG_CONFIG_HOME": str(tmp_path)})
    with pytest.raises(InputError, match="no such configuration file"):
        load_config(tmp_path / "absent.yaml", {})


def test_environment_overrides_and_file_less_use(tmp_path: Path) -> None:
    cfg = load_config(None, {"XDG_CONFIG_HOME": str(tmp_path),
                             "ONCALL_ALERTMANAGER_URL": "http://am.env:9093",
                             "ONCALL_RETRIES": "0"})
    assert cfg.path is None
    (am,) = cfg.sources
    assert (am.url, am.retries, am.origin) == ("http://am.env:9093", 0, "environment")
    path = _write(tmp_path, FULL.replace("policy: policy.yaml\n", ""))
    cfg = load_config(path, {"ONCALL_PROMETHEUS_URL": "http://other:9090",
                             "ONCALL_TIMEOUT_SECONDS": "2.5"})
    prom, am2 = cfg.source("prometheus"), cfg.source("alertmanager")
    assert prom is not None and prom.url == "http://other:9090"
    assert prom.timeout_seconds == 3  # the source's own value beats the global one
    assert am2 is not None and am2.timeout_seconds == 2.5


def test_a_bad_environment_value_names_the_variable(tmp_path: Path) -> None:
    with pytest.raises(InputError) as caught:
        load_config(None, {"ONCALL_ALERTMANAGER_URL": "http://am", "ONCALL_RETRIES": "many",
                           "XDG_CONFIG_HOME": str(tmp_path)})
    assert str(caught.value) == "environment: ONCALL_RETRIES: expected an integer, got 'many'"


@pytest.mark.parametrize(("text", "message"), [
    ("sources: {alertmanager: {url: 'http://am', token: abc}}\n",
     "F: sources.alertmanager.token: secrets are never written inline: name an environment "
     "variable (token_env, password_env) or a file (token_file, password_file)"),
    ("sources: {alertmanager: {url: 'http://am', timeout: 3}}\n",
     "F: sources.alertmanager.timeout: unknown key (expected one of ca_file, filter, "
     "password_env, password_file, receiver, retries, timeout_seconds, token_env, token_file, "
     "url, username)"),
    ("sources: {alertmanager: {url: 'http://am'}, prometheus: {url: 'http://p', queries: "
     "[{signal: x, query: [a]}]}}\n",
     "F: sources.prometheus.queries[0].query: expected a string, got a list"),
    ("sources: {alertmanager: {url: 'http://am'}, prometheus: {url: 'http://p'}}\n",
     "F: sources.prometheus.queries: is required: a list of {signal, query} "
     "(see docs/live.md)"),
    ("sources: {prometheus: {url: 'http://p', queries: [{signal: a, query: b}]}}\n",
     "F: sources.alertmanager: is required (alerts are what triage starts from; or set "
     "ONCALL_ALERTMANAGER_URL)"),
    ("sources: {alertmanager: {url: 'http://am'}, jaeger: {url: 'http://j', services: [a]}, "
     "tempo: {url: 'http://t'}}\n",
     "F: sources.tempo: configure one trace source, jaeger or tempo, not both"),
    ("sources: {alertmanager: {url: 'am:9093'}}\n",
     "F: sources.alertmanager.url: expected an http:// or https:// URL, got 'am:9093'"),
    ("sources: {alertmanager: {url: 'http://am'}, github: {repos: [checkout]}}\n",
     "F: sources.github.repos[0]: expected owner/name"),
    ("sources: {alertmanager: {url: 'http://am'}, datadog: {url: 'http://d'}}\n",
     "F: sources.datadog: unknown source 'datadog' (expected one of alertmanager, prometheus, "
     "loki, jaeger, tempo, kubernetes, github, argocd, backstage)"),
    ("step_seconds: 0.1\nsources: {alertmanager: {url: 'http://am'}}\n",
     "F: step_seconds: too small for a 60-minute window (Prometheus allows 11,000 points "
     "per series)"),
    ("retries: 50\nsources: {alertmanager: {url: 'http://am'}}\n",
     "F: retries: expected 0 to 10, got 50"),
    ("sources:\n  alertmanager: {url: 'http://am'\n",
     "F: invalid YAML at line 3 column 1: expected ',' or '}', but got '<stream end>'"),
    ("- a\n", "F: expected an object, got a list"),
    ("policy: nope.yaml\nsources: {alertmanager: {url: 'http://am'}}\n",
     "F: policy: no such file {dir}/nope.yaml"),
])
def test_bad_configuration_is_one_line_naming_file_and_field(tmp_path: Path, text: str,
                                                             message: str) -> None:
    assert _error(tmp_path, text) == message.replace("{dir}", str(tmp_path))


def test_secrets_come_from_the_environment_or_a_file(tmp_path: Path) -> None:
    (tmp_path / "sa-token").write_text("k8s-token\n")
    cfg = load_config(_write(tmp_path, FULL.replace("policy: policy.yaml\n", "")), {})
    k8s, github = cfg.source("kubernetes"), cfg.source("github")
    assert k8s is not None and github is not None
    with build_client(k8s) as client:
        assert client.headers["Authorization"] == "Bearer k8s-token"
    with pytest.raises(InputError) as caught:
        build_client(github)
    assert str(caught.value) == f"{tmp_path / 'oncall.yaml'}: sources.github.token_env: " \
        "environment variable GH_T is not set"
    (tmp_path / "sa-token").unlink()
    with pytest.raises(InputError, match=r"sources.kubernetes.token_file: cannot read .*"
                       r"sa-token \(No such file or directory\)"):
        build_client(k8s)


def test_config_check_with_a_bad_file_is_exit_2_and_one_line(tmp_path: Path) -> None:
    path = _write(tmp_path, "sources: {alertmanager: {url: 'http://am', password: x}}\n")
    result = CliRunner().invoke(app, ["config", "check", "--config", str(path)])
    assert result.exit_code == 2
    assert result.stderr.startswith(f"oncall: {path}: sources.alertmanager.password: secrets "
                                    "are never written inline")
    assert len(result.stderr.splitlines()) == 1 and "Traceback" not in result.output


# ---- the policy section ----------------------------------------------------------


@pytest.mark.parametrize(("text", "message"), [
    # a misspelt `policy:` would silently drop the organisation's policy
    ("polcy: org.yaml\n", "F: polcy: unknown key (expected one of"),
    ("policy: {autonomy: assist}\n",
     "F: policy: expected the path of a policy file (the policy.yaml format), not the "
     "policy itself"),
])
def test_the_policy_section_is_checked(tmp_path: Path, text: str, message: str) -> None:
    from oncall.config import user_policy

    (tmp_path / "org.yaml").write_text("autonomy: assist\n")
    path = _write(tmp_path, text)
    with pytest.raises(InputError) as caught:
        user_policy(path, {})
    assert str(caught.value).replace(str(path), "F").startswith(message)


def test_the_named_policy_file_has_its_keys_checked(tmp_path: Path) -> None:
    from oncall.config import user_policy

    org = tmp_path / "org.yaml"
    org.write_text("autonomy: execute\nfreeze: [{from: 2026-03-13T18:00:00Z, "
                   "to: 2026-03-16T06:00:00Z}]\n")
    path = _write(tmp_path, "policy: org.yaml\n")
    with pytest.raises(InputError) as caught:
        user_policy(path, {})
    assert str(caught.value).startswith(f"{org}: freeze: unknown key; did you mean 'freezes'?")
    org.write_text("autonomy: execute\nfreezes: [{from: 2026-03-13T18:00:00Z, "
                   "to: 2026-03-16T06:00:00Z}]\n")
    policy = user_policy(path, {})
    assert policy is not None and len(policy.freezes) == 1
