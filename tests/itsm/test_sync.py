"""The orchestrator: every system gets its turn, failures stay local, the audit log knows."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx

from oncall.audit import AuditLog
from oncall.itsm.build import build
from oncall.itsm.config import parse_itsm
from oncall.itsm.sync import Ticketing
from tests.itsm.conftest import Recording, Sleeps

SECTION = {
    "retries": 1,
    "servicenow": {"instance_url": "https://acme.service-now.com"},
    "pagerduty": {},
    "jira": {"url": "https://acme.atlassian.net", "project": "OPS"},
    "slack": {},
}
ENV = {"SERVICENOW_USER": "bot", "SERVICENOW_PASSWORD": "sn-secret-1",
       "PAGERDUTY_ROUTING_KEY": "pd-secret-key-2",
       "SLACK_WEBHOOK_URL": "https://hooks.slack.com/services/T1/B1/slack-secret-3"}


def _world(jira_down: bool = False) -> Recording:
    """ServiceNow, PagerDuty and Slack answering like the real APIs; Jira maybe down."""
    def handler(request: httpx.Request) -> httpx.Response:
        host = request.url.host
        if host == "acme.service-now.com":
            if request.method == "GET":
                return httpx.Response(200, json={"result": []})
            return httpx.Response(201, json={"result": {"sys_id": "a" * 32,
                                                        "number": "INC0010001"}})
        if host == "acme.atlassian.net":
            return httpx.Response(503, text="Service Unavailable") if jira_down else \
                httpx.Response(200, json={"issues": []})
        if host == "events.pagerduty.com":
            body = json.loads(request.content)
            return httpx.Response(202, json={"status": "success", "message": "Event processed",
                                             "dedup_key": body["dedup_key"]})
        if host == "hooks.slack.com":
            return httpx.Response(200, text="ok")
        return httpx.Response(404)

    return Recording(handler)


def _ticketing(rec: Recording, env: dict[str, str], audit: AuditLog | None) -> Ticketing:
    config = parse_itsm(SECTION, "oncall.yaml")
    built = build(config, env, client=rec.client(), sleep=Sleeps())
    return Ticketing(built.integrations, unavailable=built.unavailable,
                     not_configured=built.not_configured, audit=audit)


def test_one_failing_system_does_not_stop_the_others(checkout: dict[str, Any],
                                                      tmp_path: Path) -> None:
    rec = _world(jira_down=True)
    env = {**ENV, "JIRA_EMAIL": "bot@acme.example", "JIRA_API_TOKEN": "jira-secret-4"}
    result = _ticketing(rec, env, AuditLog(tmp_path / "a.jsonl")).sync(checkout)
    assert [(a.system, a.action) for a in result.actions] == [
        ("servicenow", "created"), ("jira", "failed"), ("pagerduty", "triggered"),
        ("slack", "posted")]
    assert result.failed[0].detail == ("jira: GET /rest/api/3/search/jql: HTTP 503: Service "
                                       "Unavailable (2 tries)")
    assert not result.ok
    trigger = next(json.loads(r.content) for r in rec.requests
                   if r.url.host == "events.pagerduty.com")
    assert trigger["payload"]["custom_details"]["tickets"] == ["servicenow INC0010001"]
    slack = next(json.loads(r.content) for r in rec.requests if r.url.host == "hooks.slack.com")
    assert "Tickets: servicenow INC0010001" in slack["text"]
    notes = [r["data"] for r in AuditLog(tmp_path / "a.jsonl").records()]
    assert [(n["system"], n["action"], n["ticket"]) for n in notes] == [
        ("servicenow", "created", "INC0010001"), ("jira", "failed", ""),
        ("pagerduty", "triggered", "oncall-inc-2f1c2bc2c5"), ("slack", "posted", "")]
    text = (tmp_path / "a.jsonl").read_text()
    for secret in ("sn-secret-1", "pd-secret-key-2", "slack-secret-3", "jira-secret-4"):
        assert secret not in text


def test_a_missing_credential_is_named_and_the_rest_still_run(
        checkout: dict[str, Any]) -> None:
    rec = _world()
    result = _ticketing(rec, ENV, None).sync(checkout)  # no JIRA_* variables
    assert result.unavailable == ["jira: environment variable JIRA_EMAIL is not set "
                                  "(oncall.yaml)"]
    assert [a.system for a in result.actions] == ["servicenow", "pagerduty", "slack"]
    assert not result.ok
    assert all(r.url.host != "acme.atlassian.net" for r in rec.requests)


def test_one_ticket_per_incident_never_per_alert(storm: dict[str, Any]) -> None:
    rec = _world()
    result = _ticketing(rec, ENV, None).sync(storm)
    alerts = sum(len(i["alerts"]) for i in storm["incidents"])
    assert alerts > 10 and len(storm["incidents"]) == 2
    posts = [r for r in rec.requests if r.method == "POST" and r.url.host ==
             "acme.service-now.com"]
    assert len(posts) == 2
    assert sorted(json.loads(p.content)["correlation_id"] for p in posts) == sorted(
        f"oncall-{i['id']}" for i in storm["incidents"])
    assert result.count("created") == 2


def test_slack_is_not_posted_twice_for_the_same_facts(checkout: dict[str, Any],
                                                      tmp_path: Path) -> None:
    audit = AuditLog(tmp_path / "a.jsonl")
    env = {"SLACK_WEBHOOK_URL": ENV["SLACK_WEBHOOK_URL"]}
    rec = _world()
    _ticketing(rec, env, audit).sync(checkout)
    again = _ticketing(rec, env, audit).sync(checkout)
    slack = [a for a in again.actions if a.system == "slack"]
    assert [a.action for a in slack] == ["unchanged"]
    checkout["incidents"][0]["alerts"].append("feedfeedfeedfeed")
    changed = _ticketing(rec, env, audit).sync(checkout)
    assert [a.action for a in changed.actions if a.system == "slack"] == ["posted"]
    resolved = _ticketing(rec, env, audit).resolve(checkout, {"inc-2f1c2bc2c5": "fixed"})
    assert [a.action for a in resolved.actions if a.system == "slack"] == ["resolved"]
    after = _ticketing(rec, env, audit).sync(checkout)
    assert [a.action for a in after.actions if a.system == "slack"] == ["skipped"]
    assert "already resolved" in after.actions[0].detail
    assert sum(1 for r in rec.requests if r.url.host == "hooks.slack.com") == 3


def test_a_resolved_incident_is_never_triggered_or_updated_again(
        checkout: dict[str, Any], tmp_path: Path) -> None:
    """sync, resolve, sync: a trigger after the resolve would open a new PagerDuty
    incident and page the on-call again; a second resolve sends nothing either."""
    audit = AuditLog(tmp_path / "a.jsonl")
    env = {"PAGERDUTY_ROUTING_KEY": ENV["PAGERDUTY_ROUTING_KEY"],
           "SLACK_WEBHOOK_URL": ENV["SLACK_WEBHOOK_URL"]}
    rec = _world()
    _ticketing(rec, env, audit).sync(checkout)
    _ticketing(rec, env, audit).resolve(checkout, {"inc-2f1c2bc2c5": "fixed"})
    sent = len(rec.requests)
    assert [json.loads(r.content)["event_action"] for r in rec.requests
            if r.url.host == "events.pagerduty.com"] == ["trigger", "resolve"]
    checkout["incidents"][0]["alerts"].append("feedfeedfeedfeed")  # new facts too
    third = _ticketing(rec, env, audit).sync(checkout, acknowledge=True)
    fourth = _ticketing(rec, env, audit).resolve(checkout, {"inc-2f1c2bc2c5": "fixed"})
    assert len(rec.requests) == sent  # nothing was sent: no trigger, ack, post, resolve
    for result in (third, fourth):
        assert [(a.system, a.action) for a in result.actions] == [
            ("pagerduty", "skipped"), ("slack", "skipped")]
        assert all("already resolved" in a.detail for a in result.actions)
        assert not result.failed
    assert "page again" in third.actions[0].detail
    notes = [r["data"]["action"] for r in audit.records()]
    assert notes == ["triggered", "posted", "resolved", "resolved"]


def test_a_dry_run_reads_the_audit_log_but_writes_nothing(checkout: dict[str, Any],
                                                          tmp_path: Path) -> None:
    audit = AuditLog(tmp_path / "a.jsonl")
    env = {"PAGERDUTY_ROUTING_KEY": ENV["PAGERDUTY_ROUTING_KEY"]}
    rec = _world()
    _ticketing(rec, env, audit).resolve(checkout, {"inc-2f1c2bc2c5": "fixed"})
    before = (tmp_path / "a.jsonl").read_text()
    dry = _ticketing(rec, env, audit)
    dry.record = False
    result = dry.sync(checkout)
    assert [a.action for a in result.actions] == ["skipped"]
    assert len(rec.requests) == 1 and (tmp_path / "a.jsonl").read_text() == before


def test_resolve_skips_incidents_without_close_notes(storm: dict[str, Any]) -> None:
    rec = _world()
    first, second = (i["id"] for i in storm["incidents"])
    result = _ticketing(rec, ENV, None).resolve(storm, {first: "verified"})
    skipped = [a for a in result.actions if a.incident == second]
    assert {a.action for a in skipped} == {"skipped"}
    assert "no verified recovery" in skipped[0].detail
    assert {a.action for a in result.actions if a.incident == first} == {"skipped",
                                                                         "resolved"}


def test_acknowledge_follows_the_trigger(checkout: dict[str, Any]) -> None:
    rec = _world()
    result = _ticketing(rec, {"PAGERDUTY_ROUTING_KEY": "pd-secret-key-2"}, None).sync(
        checkout, acknowledge=True)
    assert [a.action for a in result.actions] == ["triggered", "acknowledged"]
    assert [json.loads(r.content)["event_action"] for r in rec.requests] == [
        "trigger", "acknowledge"]


def test_a_live_triage_object_syncs_like_its_saved_json(checkout: dict[str, Any]) -> None:
    from oncall.pipeline import triage
    from oncall.sources import ScenarioSource
    from tests.helpers import EXAMPLES

    live = triage(ScenarioSource(EXAMPLES / "checkout-latency"))
    rec = _world()
    result = _ticketing(rec, {"PAGERDUTY_ROUTING_KEY": "pd-secret-key-2"}, None).sync(live)
    assert [(a.action, a.ticket) for a in result.actions] == [
        ("triggered", "oncall-inc-2f1c2bc2c5")]
    sent = json.loads(rec.requests[0].content)
    saved = Recording(_world().handler)
    _ticketing(saved, {"PAGERDUTY_ROUTING_KEY": "pd-secret-key-2"}, None).sync(checkout)
    assert sent == json.loads(saved.requests[0].content)
