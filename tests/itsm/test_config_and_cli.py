"""The itsm: section (pure parser, file loader) and `oncall ticket sync` at the edges."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from oncall.cli.main import app
from oncall.errors import InputError
from oncall.itsm.config import PAGERDUTY_EVENTS_URL, load_itsm_file, parse_itsm


def test_a_full_section_parses_with_defaults_for_variable_names() -> None:
    config = parse_itsm({
        "servicenow": {"instance_url": "https://acme.service-now.com/",
                       "assignment_group_map": {"group:payments": "Payments SRE"}},
        "pagerduty": {"routing_key_env": "PD_KEY"},
        "jira": {"url": "https://acme.atlassian.net", "project": "OPS",
                 "transition_resolved": "Resolve"},
        "slack": {"webhook_url_env": "STATUS_HOOK"},
        "timeout_seconds": 5, "retries": 2,
    }, "oncall.yaml")
    assert config.configured == ("servicenow", "pagerduty", "jira", "slack")
    sn = config.servicenow
    assert sn is not None and sn.instance_url == "https://acme.service-now.com"
    assert (sn.user_env, sn.password_env, sn.token_env) == ("SERVICENOW_USER",
                                                            "SERVICENOW_PASSWORD", None)
    assert sn.assignment_group_map == {"group:payments": "Payments SRE"}
    assert config.pagerduty is not None and config.pagerduty.url == PAGERDUTY_EVENTS_URL
    assert config.pagerduty.routing_key_env == "PD_KEY"
    assert config.jira is not None and config.jira.email_env == "JIRA_EMAIL"
    assert config.jira.transition_resolved == "Resolve"
    assert config.slack is not None and config.slack.webhook_url_env == "STATUS_HOOK"
    assert (config.timeout_seconds, config.retries) == (5.0, 2)
    token = parse_itsm({"servicenow": {"instance_url": "https://x.example",
                                       "token_env": "SN_TOKEN"}})
    assert token.servicenow is not None and token.servicenow.user_env is None


@pytest.mark.parametrize(("section", "message"), [
    ({"servicenow": {"instance_url": "https://x.example", "password": "hunter2"}},
     "oncall.yaml: itsm.servicenow.password: secrets are not read from files; put it in an "
     "environment variable and name it with password_env"),
    ({"jira": {"url": "https://x.example", "project": "ops"}},
     "oncall.yaml: itsm.jira.project: 'ops' is not a Jira project key (like OPS)"),
    ({"servicenow": {"instance_url": "ftp://x"}},
     "oncall.yaml: itsm.servicenow.instance_url: expected an http:// or https:// URL, got "
     "'ftp://x'"),
    ({"servicenow": {"instance_url": "https://u:p@x.example"}},
     "oncall.yaml: itsm.servicenow.instance_url: credentials do not belong in the URL; use "
     "the *_env keys"),
    ({"servicenow": {"instance_url": "https://x.example:abc"}},
     "oncall.yaml: itsm.servicenow.instance_url: the port must be a number from 1 to 65535, "
     "got 'https://x.example:abc'"),
    ({"jira": {"url": "https://[::1", "project": "OPS"}},
     "oncall.yaml: itsm.jira.url: not a valid URL (an IPv6 host needs both [ and ]), got "
     "'https://[::1'"),
    ({"pagerduty": {"url": "https://events.example:99999/v2/enqueue"}},
     "oncall.yaml: itsm.pagerduty.url: the port must be a number from 1 to 65535, got "
     "'https://events.example:99999/v2/enqueue'"),
    ({"pagerduty": {"routing_key_env": "PD KEY"}},
     "oncall.yaml: itsm.pagerduty.routing_key_env: 'PD KEY' is not an environment variable "
     "name"),
    ({"slack": {"webhook": "x"}},
     "oncall.yaml: itsm.slack.webhook: unknown key (expected one of webhook_url_env)"),
    ({"servicenow": {"instance_url": "https://x.example", "user_env": "U",
                     "token_env": "T"}},
     "oncall.yaml: itsm.servicenow.token_env: give token_env or user_env/password_env, not "
     "both"),
    ({"retries": 50}, "oncall.yaml: itsm.retries: must be between 0 and 10"),
    ({"jira": "yes"}, "oncall.yaml: itsm.jira: expected an object, got a string"),
])
def test_bad_configuration_names_file_and_field(section: dict[str, Any], message: str) -> None:
    with pytest.raises(InputError) as err:
        parse_itsm(section, "oncall.yaml")
    assert str(err.value) == message


def test_the_file_loader_needs_an_itsm_section(tmp_path: Path) -> None:
    path = tmp_path / "oncall.yaml"
    path.write_text("sources: {}\n")
    with pytest.raises(InputError, match=r"oncall.yaml: itsm: has no itsm: section"):
        load_itsm_file(path)
    path.write_text("itsm: [\n")
    with pytest.raises(InputError, match="is not valid YAML"):
        load_itsm_file(path)


def _write(tmp_path: Path, body: dict[str, Any], config: str) -> tuple[Path, Path]:
    triage = tmp_path / "t.json"
    triage.write_text(json.dumps(body))
    cfg = tmp_path / "itsm.yaml"
    cfg.write_text(config)
    return triage, cfg


def test_bad_config_is_one_line_and_exit_2(tmp_path: Path, checkout: dict[str, Any]) -> None:
    triage, cfg = _write(tmp_path, checkout, "itsm:\n  jira: {url: https://x.example}\n")
    result = CliRunner().invoke(app, ["ticket", "sync", str(triage), "--itsm-config",
                                      str(cfg)])
    assert result.exit_code == 2
    assert result.stderr == f"oncall: {cfg}: itsm.jira.project: is required\n"


def test_a_file_that_is_no_triage_is_exit_2(tmp_path: Path) -> None:
    triage, cfg = _write(tmp_path, {"alerts": []}, "itsm: {slack: {}}\n")
    result = CliRunner().invoke(app, ["ticket", "sync", str(triage), "--config", str(cfg)])
    assert result.exit_code == 2
    assert "t.json: incidents: is not an oncall triage" in result.stderr


def test_dry_run_prints_the_requests_sends_nothing_and_hides_secrets(
        tmp_path: Path, checkout: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    triage, cfg = _write(tmp_path, checkout, (
        "itsm:\n  servicenow: {instance_url: 'http://127.0.0.1:9'}\n  pagerduty: {}\n"
        "  slack: {}\n"))
    monkeypatch.setenv("SERVICENOW_USER", "bot")
    monkeypatch.setenv("SERVICENOW_PASSWORD", "dry-run-password")
    monkeypatch.setenv("PAGERDUTY_ROUTING_KEY", "dry-run-routing-key")
    monkeypatch.delenv("SLACK_WEBHOOK_URL", raising=False)
    audit = tmp_path / "audit.jsonl"
    result = CliRunner().invoke(app, ["ticket", "sync", str(triage), "--config", str(cfg),
                                      "--dry-run", "--audit", str(audit), "--format", "json"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert [(a["system"], a["action"]) for a in out["actions"]] == [
        ("servicenow", "created"), ("pagerduty", "triggered"), ("slack", "posted")]
    heads = [r.split("\n", 1)[0] for r in out["requests"]]
    assert heads[0].startswith("GET http://127.0.0.1:9/api/now/table/incident?sysparm_query=")
    assert heads[1:] == ["POST http://127.0.0.1:9/api/now/table/incident",
                         "POST https://events.pagerduty.com/v2/enqueue",
                         "POST https://unset.invalid/SLACK_WEBHOOK_URL"]
    assert '"routing_key": "***"' in out["requests"][2]
    assert out["warnings"] == ["slack: SLACK_WEBHOOK_URL is not set; a real run would skip "
                               "slack"]
    assert "dry-run-password" not in result.output and "dry-run-routing-key" not in \
        result.output
    assert not audit.exists()  # a dry run records nothing
    text = CliRunner().invoke(app, ["ticket", "sync", str(triage), "--config", str(cfg),
                                    "--dry-run", "--audit", str(audit)])
    assert text.exit_code == 0
    assert "dry run: nothing was sent; 4 request(s)" in text.stdout
    assert "Authorization: ***" in text.stdout and "dry-run-password" not in text.stdout


def test_unset_credentials_are_reported_and_exit_1(
        tmp_path: Path, checkout: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    triage, cfg = _write(tmp_path, checkout, "itsm:\n  pagerduty: {routing_key_env: NO_KEY}\n")
    monkeypatch.delenv("NO_KEY", raising=False)
    result = CliRunner().invoke(app, ["ticket", "sync", str(triage), "--config", str(cfg),
                                      "--audit", str(tmp_path / "a.jsonl")])
    assert result.exit_code == 1
    assert "not synced: pagerduty: environment variable NO_KEY is not set" in result.stdout
    assert "not configured: servicenow, jira, slack" in result.stdout
