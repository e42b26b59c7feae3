"""PagerDuty Events v2, Jira Cloud REST v3 and Slack webhooks, with real request shapes."""

from __future__ import annotations

import base64
import json
from typing import Any

import httpx
import pytest

from oncall.itsm.base import TicketAction
from oncall.itsm.config import JiraConfig, PagerDutyConfig, SlackConfig
from oncall.itsm.content import views
from oncall.itsm.http import ItsmError, Sender
from oncall.itsm.jira import Jira, adf
from oncall.itsm.jira import auth_header as jira_auth
from oncall.itsm.pagerduty import PagerDuty
from oncall.itsm.slack import Slack, webhook_url
from tests.itsm.conftest import Recording, Sleeps

KEY = "R0UTING0KEY0000000000000000000ab"
PD_OK = {"status": "success", "message": "Event processed", "dedup_key": "oncall-inc-2f1c2bc2c5"}


def _pd(rec: Recording, sleeps: Sleeps | None = None) -> PagerDuty:
    sender = Sender(rec.client(), "pagerduty", secrets=[KEY],
                    sleep=sleeps if sleeps is not None else Sleeps())
    return PagerDuty(sender, PagerDutyConfig(), KEY)


# ---- PagerDuty --------------------------------------------------------------------------


def test_trigger_sends_an_events_v2_body_with_a_stable_dedup_key(
        checkout: dict[str, Any]) -> None:
    view = views(checkout)[0]
    rec = Recording(lambda _r: httpx.Response(202, json=PD_OK))
    ticket = TicketAction("servicenow", view.id, "created", "INC0010001", "",
                          "https://acme.service-now.com/nav_to.do?uri=incident.do?sys_id=1")
    action = _pd(rec).sync(view, [ticket])
    assert (action.action, action.ticket) == ("triggered", "oncall-inc-2f1c2bc2c5")
    (request,) = rec.requests
    assert str(request.url) == "https://events.pagerduty.com/v2/enqueue"
    assert "authorization" not in request.headers
    assert json.loads(request.content) == {
        "routing_key": KEY,
        "event_action": "trigger",
        "dedup_key": "oncall-inc-2f1c2bc2c5",
        "payload": {
            "summary": view.title,
            "source": "oncall",
            "severity": "critical",
            "timestamp": "2026-03-14T02:11:55Z",
            "component": "checkout",
            "group": "mobile-bff",
            "class": "config",
            "custom_details": {
                "incident": "inc-2f1c2bc2c5",
                "impact": view.impact_summary,
                "owner": "group:payments",
                "escalation": "opsgenie:payments",
                "services": ["mobile-bff", "api-gateway", "checkout", "frontend"],
                "alerts": 23,
                "likely_cause": "config on checkout, change cfg-2291 "
                                f"(score {view.causes[0].score:.2f})",
                "tickets": ["servicenow INC0010001"],
            },
        },
        "client": "oncall",
        "links": [{"href": ticket.url, "text": "servicenow INC0010001"}],
    }


def test_acknowledge_and_resolve_carry_only_the_dedup_key(checkout: dict[str, Any]) -> None:
    view = views(checkout)[0]
    rec = Recording(lambda _r: httpx.Response(202, json=PD_OK))
    pd = _pd(rec)
    assert pd.acknowledge(view).action == "acknowledged"
    assert pd.resolve(view, "fixed").action == "resolved"
    assert rec.bodies() == [
        {"routing_key": KEY, "event_action": "acknowledge", "dedup_key": "oncall-inc-2f1c2bc2c5"},
        {"routing_key": KEY, "event_action": "resolve", "dedup_key": "oncall-inc-2f1c2bc2c5"},
    ]


def test_pagerduty_rate_limit_is_retried_and_errors_hide_the_routing_key(
        checkout: dict[str, Any]) -> None:
    view = views(checkout)[0]
    answers = iter([httpx.Response(429, headers={"Retry-After": "1"}),
                    httpx.Response(202, json=PD_OK)])
    sleeps = Sleeps()
    rec = Recording(lambda _r: next(answers))
    assert _pd(rec, sleeps).sync(view).action == "triggered"
    assert sleeps == [1.0] and len(rec.requests) == 2
    bad = {"status": "invalid event", "message": "Event object is invalid",
           "errors": [f"'routing_key' {KEY} is not a valid integration key"]}
    rec = Recording(lambda _r: httpx.Response(400, json=bad))
    with pytest.raises(ItsmError) as err:
        _pd(rec).sync(view)
    assert KEY not in str(err.value)
    assert "HTTP 400: 'routing_key' *** is not a valid integration key" in str(err.value)


# ---- Jira ----------------------------------------------------------------------------------

JIRA = JiraConfig(url="https://acme.atlassian.net", project="OPS", resolution="Done")
JENV = {"JIRA_EMAIL": "bot@acme.example", "JIRA_API_TOKEN": "ATATT3xFfGF0token"}


def _jira(rec: Recording) -> Jira:
    header, secrets = jira_auth(JIRA, JENV)
    return Jira(Sender(rec.client(), "jira", secrets=secrets, sleep=Sleeps()), JIRA, header)


def _issue(facts: dict[str, str] | None, done: bool = False) -> dict[str, Any]:
    category = {"key": "done" if done else "indeterminate"}
    issue: dict[str, Any] = {"id": "10042", "key": "OPS-42",
                             "fields": {"status": {"name": "x", "statusCategory": category}}}
    if facts is not None:
        issue["properties"] = {"oncall": {"correlation_id": "oncall-inc-2f1c2bc2c5",
                                          "facts": facts}}
    return issue


def test_jira_creates_one_labelled_issue_with_an_oncall_property(
        checkout: dict[str, Any]) -> None:
    view = views(checkout)[0]

    def handler(request: httpx.Request) -> httpx.Response:
        if request.method == "GET":
            return httpx.Response(200, json={"issues": [], "isLast": True})
        return httpx.Response(201, json={"id": "10043", "key": "OPS-43",
                                         "self": "https://acme.atlassian.net/rest/api/3/issue/10043"})

    rec = Recording(handler)
    action = _jira(rec).sync(view)
    assert (action.action, action.ticket) == ("created", "OPS-43")
    assert action.url == "https://acme.atlassian.net/browse/OPS-43"
    search, create = rec.requests
    assert search.url.path == "/rest/api/3/search/jql"
    assert dict(search.url.params) == {
        "jql": 'project = "OPS" AND labels = "oncall-inc-2f1c2bc2c5" ORDER BY created DESC',
        "fields": "summary,status,labels", "properties": "oncall", "maxResults": "1"}
    basic = base64.b64encode(b"bot@acme.example:ATATT3xFfGF0token").decode()
    assert create.headers["authorization"] == f"Basic {basic}"
    body = json.loads(create.content)
    assert body["fields"]["project"] == {"key": "OPS"}
    assert body["fields"]["issuetype"] == {"name": "Incident"}
    assert body["fields"]["summary"] == "[oncall] " + view.title
    assert body["fields"]["labels"] == ["oncall-inc-2f1c2bc2c5", "oncall"]
    assert "priority" not in body["fields"]
    assert body["fields"]["description"]["type"] == "doc"
    assert body["properties"] == [{"key": "oncall", "value": {
        "correlation_id": "oncall-inc-2f1c2bc2c5", "facts": view.facts()}}]


def test_jira_existing_issue_gets_a_comment_only_when_something_changed(
        checkout: dict[str, Any]) -> None:
    view = views(checkout)[0]
    same = Recording(lambda _r: httpx.Response(200, json={"issues": [_issue(view.facts())]}))
    assert _jira(same).sync(view).action == "unchanged"
    assert len(same.requests) == 1
    older = {**view.facts(), "cause": "deploy payments dep-9970"}
    rec = Recording(lambda r: httpx.Response(200, json={"issues": [_issue(older)]})
                    if r.method == "GET" else httpx.Response(201 if r.method == "POST" else 200,
                                                              json={}))
    action = _jira(rec).sync(view)
    assert action.action == "updated"
    assert rec.methods() == ["GET /rest/api/3/search/jql",
                             "POST /rest/api/3/issue/OPS-42/comment",
                             "PUT /rest/api/3/issue/OPS-42/properties/oncall"]
    comment, prop = rec.bodies()
    first = comment["body"]["content"][0]["content"][0]["text"]
    assert first == ("oncall update: cause deploy payments dep-9970 -> "
                     "config checkout cfg-2291")
    assert prop == {"correlation_id": "oncall-inc-2f1c2bc2c5", "facts": view.facts()}


def test_jira_resolve_uses_the_named_transition_with_a_comment(
        checkout: dict[str, Any]) -> None:
    view = views(checkout)[0]
    transitions = {"transitions": [
        {"id": "11", "name": "In Progress", "to": {"name": "In Progress"}},
        {"id": "31", "name": "Resolve", "to": {"name": "Resolved"}}]}

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/search/jql"):
            return httpx.Response(200, json={"issues": [_issue(view.facts())]})
        if request.method == "GET":
            return httpx.Response(200, json=transitions)
        return httpx.Response(204)

    rec = Recording(handler)
    action = _jira(rec).resolve(view, "Reverted cfg-2291")
    assert (action.action, action.ticket) == ("resolved", "OPS-42")
    assert rec.bodies("POST") == [{"transition": {"id": "31"},
                                   "update": {"comment": [{"add": {"body": adf(
                                       "Reverted cfg-2291")}}]},
                                   "fields": {"resolution": {"name": "Done"}}}]
    transitions["transitions"].pop()
    with pytest.raises(ItsmError, match=r"OPS-42 has no transition 'Resolved' "
                                        r"\(available: In Progress\)"):
        _jira(Recording(handler)).resolve(view, "x")
    done = Recording(lambda _r: httpx.Response(200, json={"issues": [_issue(None, True)]}))
    assert _jira(done).resolve(view, "x").action == "skipped"


def test_adf_keeps_paragraphs_and_line_breaks() -> None:
    assert adf("a\nb\n\nc") == {"type": "doc", "version": 1, "content": [
        {"type": "paragraph", "content": [{"type": "text", "text": "a"}, {"type": "hardBreak"},
                                          {"type": "text", "text": "b"}]},
        {"type": "paragraph", "content": [{"type": "text", "text": "c"}]}]}


# ---- Slack --------------------------------------------------------------------------------

HOOK = "https://hooks.slack.com/services/T0001/B0001/abcdefghijklmnopqrstuvwx"


def test_slack_update_is_plain_and_carries_no_evidence_or_commands(
        checkout: dict[str, Any]) -> None:
    checkout["incidents"][0]["title"] = "<!here> checkout & payments"
    view = views(checkout)[0]
    rec = Recording(lambda _r: httpx.Response(200, text="ok"))
    slack = Slack(Sender(rec.client(), "slack", secrets=[HOOK], sleep=Sleeps()), HOOK)
    tickets = [TicketAction("servicenow", view.id, "created", "INC0010001"),
               TicketAction("pagerduty", view.id, "triggered", "oncall-inc-2f1c2bc2c5")]
    assert slack.sync(view, tickets).action == "posted"
    body = rec.bodies()[0]
    assert body["blocks"][0] == {"type": "header", "text": {
        "type": "plain_text", "text": "Investigating: <!here> checkout & payments"}}
    assert body["text"].startswith("Investigating: &lt;!here&gt; checkout &amp; payments\n")
    section = body["blocks"][1]["text"]
    assert section["type"] == "mrkdwn"
    assert section["text"] == (
        f"Impact: {view.impact_summary}\nServices: mobile-bff, api-gateway, checkout, "
        "frontend\nOwner: group:payments\nTickets: servicenow INC0010001\n"
        "Incident: inc-2f1c2bc2c5")
    raw = rec.requests[0].content.decode()
    for leak in ("cfg-2291 (config", "SocketTimeout", "kubectl", "evidence"):
        assert leak not in raw
    assert slack.resolve(view, "notes").action == "resolved"
    assert rec.bodies()[1]["text"].startswith("Resolved: ")


def test_slack_errors_never_show_the_webhook_url(checkout: dict[str, Any]) -> None:
    rec = Recording(lambda _r: httpx.Response(404, text="no_service"))
    slack = Slack(Sender(rec.client(), "slack", secrets=[HOOK], sleep=Sleeps()), HOOK)
    with pytest.raises(ItsmError) as err:
        slack.sync(views(checkout)[0])
    assert str(err.value) == "slack: POST webhook: HTTP 404: no_service"
    with pytest.raises(ValueError, match="SLACK_WEBHOOK_URL is not a webhook URL"):
        webhook_url(SlackConfig(), {"SLACK_WEBHOOK_URL": "not-a-url"})


def test_a_slack_webhook_url_httpx_cannot_use_is_named_not_shown() -> None:
    secret = "https://hooks.slack.example:abc/services/T0/B0/s3cret"
    with pytest.raises(ValueError) as err:
        webhook_url(SlackConfig(), {"SLACK_WEBHOOK_URL": secret})
    assert str(err.value) == ("SLACK_WEBHOOK_URL is not a webhook URL (the port must be a "
                              "number from 1 to 65535)")
