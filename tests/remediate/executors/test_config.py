"""The executors config: a full example loads; every mistake names the file and field."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from oncall.errors import InputError
from oncall.remediate.executors import ActionRequest, Refused, Router, load_executor_config

FULL = """
executors:
  kubernetes: {context: prod-eu, namespace: shop, kubectl: kubectl, dry_run: server}
  argocd:
    url: https://argocd.example.test
    token_env: ARGOCD_TOKEN
    apps: {payments: payments-prod}
  flags:
    flagd_file: /etc/flagd/flags.json
    services: {checkout: new-pricing}
  webhooks:
    mesh:
      url: https://mesh.example.test/shift
      headers_env: {X-Api-Key: MESH_KEY}
      actions: [traffic_shift]
      undo: true
    pager: {url: "https://pager.example.test/v2/enqueue", actions: [escalate]}
  commands:
    failover:
      run: [dbctl, failover, --cluster, "{service}"]
      undo: [dbctl, failback, --cluster, "{service}"]
  routes: {config_revert: argocd}
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "executors.yaml"
    path.write_text(text)
    return path


def test_a_full_config_loads_and_routes(tmp_path: Path) -> None:
    config = load_executor_config(write(tmp_path, FULL))
    assert config.kubernetes is not None and config.kubernetes.context == "prod-eu"
    assert config.commands["failover"].run == ("dbctl", "failover", "--cluster", "{service}")
    router = Router(config)
    names = {action: router.route(ActionRequest(action, service, "inc-1")).name
             for action, service in [("rollback", "payments"), ("rollback", "checkout"),
                                     ("restart", "checkout"), ("scale", "checkout"),
                                     ("flag_disable", "checkout"),
                                     ("traffic_shift", "checkout"), ("failover", "orders-db"),
                                     ("escalate", "checkout")]}
    assert names == {"rollback": "kubernetes", "restart": "kubernetes", "scale": "kubernetes",
                     "flag_disable": "flags", "traffic_shift": "webhook:mesh",
                     "failover": "command", "escalate": "webhook:pager"}
    assert router.route(ActionRequest("rollback", "payments", "inc-1")).name == "argocd"
    with pytest.raises(Refused, match="no executor is configured for cache_flush"):
        router.route(ActionRequest("cache_flush", "checkout", "inc-1"))


@pytest.mark.parametrize(("patch", "field", "words"), [
    ({"kubernetes": {"dry_run": "yes"}}, "executors.kubernetes.dry_run", "server or client"),
    ({"kubernetes": {"namespace": "Prod;x"}}, "executors.kubernetes.namespace", "DNS-1123"),
    ({"kubernetes": {"timeout": 5}}, "executors.kubernetes.timeout", "unknown key"),
    ({"argocd": {"url": "ftp://x", "apps": {}}}, "executors.argocd.url",
     "expected an http:// or https:// URL"),
    ({"argocd": {"url": "https://a", "token": "abc"}}, "executors.argocd.token",
     "environment variable"),
    ({"argocd": {"url": "https://a", "token_env": "A B"}}, "executors.argocd.token_env",
     "environment variable"),
    ({"flags": {"services": {}}}, "executors.flags", "exactly one of flagd_file or url"),
    ({"webhooks": {"w": {"url": "https://w", "headers": {"A": "b"}}}},
     "executors.webhooks.w.headers", "environment variable"),
    ({"webhooks": {"w": {"url": "https://w", "actions": ["reboot"]}}},
     "executors.webhooks.w.actions[0]", "unknown action"),
    ({"commands": {"restart": {"run": ["kubectl", "deploy/{service}"]}}},
     "executors.commands.restart.run[1]", "whole argument"),
    ({"commands": {"restart": {"run": ["{service}", "x"]}}},
     "executors.commands.restart.run[0]", "program must be written out"),
    ({"commands": {"restart": {"run": ["sh", "{shell}"]}}},
     "executors.commands.restart.run[1]", "unknown placeholder"),
    ({"commands": {"restart": {"run": "kubectl rollout restart"}}},
     "executors.commands.restart.run", "expected a list"),
    ({"commands": {"nuke": {"run": ["x"]}}}, "executors.commands.nuke", "unknown action"),
    ({"routes": {"restart": "kubernetes"}}, "executors.routes.restart", "not configured"),
    ({"routes": {"restart": "webhook:nope"}}, "executors.routes.restart", "no webhook"),
])
def test_a_mistake_names_the_file_and_field(tmp_path: Path, patch: dict[str, object],
                                            field: str, words: str) -> None:
    path = write(tmp_path, yaml.safe_dump({"executors": patch}))
    with pytest.raises(InputError) as info:
        load_executor_config(path)
    assert info.value.path == str(path) and info.value.field == field
    assert words in str(info.value)


@pytest.mark.parametrize(("text", "words"), [
    ("[", "not valid YAML"), ("other: 1\n", "executors: is required"),
    ("executors: [1]\n", "expected an object"),
])
def test_a_broken_file_is_one_clear_error(tmp_path: Path, text: str, words: str) -> None:
    with pytest.raises(InputError, match=words):
        load_executor_config(write(tmp_path, text))


def test_a_missing_file_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such executor config"):
        load_executor_config(tmp_path / "nope.yaml")


@pytest.mark.parametrize(("url", "words"), [
    ("http://127.0.0.1:abc", "the port must be a number from 1 to 65535"),
    ("http://[::1", "not a valid URL (an IPv6 host needs both [ and ])"),
    ("https://", "the URL has no host"),
    ("https://u:p@argo", "credentials do not belong in the URL"),
])
def test_an_executor_url_httpx_cannot_use_is_refused_when_read(tmp_path: Path, url: str,
                                                               words: str) -> None:
    path = write(tmp_path, yaml.safe_dump({"executors": {
        "argocd": {"url": url, "token_env": "X", "apps": {"checkout": "c"}},
        "webhooks": {"w": {"url": "https://w.example.test"}}}}))
    with pytest.raises(InputError) as info:
        load_executor_config(path)
    assert (info.value.path, info.value.field) == (str(path), "executors.argocd.url")
    assert str(info.value).startswith(f"{path}: executors.argocd.url: {words}")


def test_settings_built_in_code_with_a_bad_url_are_a_refusal_not_a_crash() -> None:
    from oncall.remediate.executors.config import HttpSettings
    from oncall.remediate.executors.http import make_client

    with pytest.raises(Refused, match="executor URL: the port must be a number"):
        make_client(HttpSettings(url="http://127.0.0.1:abc"))
    with make_client(HttpSettings(url="https://argo.example.test/")) as client:
        assert str(client.base_url) == "https://argo.example.test"


def test_act_with_a_bad_executor_url_is_exit_2_before_any_audit_record(
        tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from oncall.cli.main import app

    scenario = Path(__file__).resolve().parents[3] / "examples" / "checkout-latency"
    path = write(tmp_path, yaml.safe_dump({"executors": {
        "argocd": {"url": "http://127.0.0.1:abc", "token_env": "X", "apps": {"checkout": "c"}},
        "routes": {"config_revert": "argocd"}}}))
    audit = tmp_path / "audit.jsonl"
    result = CliRunner().invoke(app, ["act", str(scenario), "--pick", "1", "--dry-run",
                                      "--executor-config", str(path), "--audit", str(audit)],
                                env={"X": "1"})
    assert result.exit_code == 2
    assert result.stderr == (f"oncall: {path}: executors.argocd.url: the port must be a "
                             "number from 1 to 65535, got 'http://127.0.0.1:abc'\n")
    assert not audit.exists()  # no proposal or decision left without an outcome
