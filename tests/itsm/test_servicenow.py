"""ServiceNow Table API: look up by correlation_id, create once, work-note changes, resolve."""

from __future__ import annotations

import base64
import json
from typing import Any

import httpx
import pytest

from oncall.itsm.config import ServiceNowConfig
from oncall.itsm.content import TicketView, description, facts_line, views
from oncall.itsm.http import ItsmError, Sender
from oncall.itsm.servicenow import ServiceNow, auth_header
from tests.itsm.conftest import Recording, Sleeps

INSTANCE = "https://acme.service-now.com"
CONFIG = ServiceNowConfig(instance_url=INSTANCE,
                          assignment_group_map={"group:payments": "Payments SRE"},
                          cmdb_ci_map={"checkout": "checkout-svc"})
ENV = {"SERVICENOW_USER": "oncall.bot", "SERVICENOW_PASSWORD": "s3cret-pass"}
BASIC = "Basic " + base64.b64encode(b"oncall.bot:s3cret-pass").decode()
SYS_ID = "9d385017c611228701d22104cc95c371"


def _client(rec: Recording) -> ServiceNow:
    header, secrets = auth_header(CONFIG, ENV)
    return ServiceNow(Sender(rec.client(), "servicenow", secrets=secrets, sleep=Sleeps()),
                      CONFIG, header)


def _existing(view: TicketView, state: str = "2", **facts: str) -> dict[str, Any]:
    text = description(view)
    if facts:
        old = {**view.facts(), **facts}
        text = text.rsplit("\n", 1)[0] + "\n" + facts_line(old)
    return {"sys_id": SYS_ID, "number": "INC0010042", "state": state, "description": text,
            "short_description": "x", "impact": "1", "urgency": "1"}


def test_first_sync_looks_up_then_creates_one_incident(checkout: dict[str, Any]) -> None:
    view = views(checkout)[0]

    def handler(request: httpx.Request) -> httpx.Response:
        if request.method == "GET":
            return httpx.Response(200, json={"result": []})
        return httpx.Response(201, json={"result": {"sys_id": SYS_ID, "number": "INC0010001",
                                                    "state": "1"}})

    rec = Recording(handler)
    action = _client(rec).sync(view)
    assert (action.action, action.ticket) == ("created", "INC0010001")
    assert action.url == f"{INSTANCE}/nav_to.do?uri=incident.do?sys_id={SYS_ID}"
    get, post = rec.requests
    assert get.url.path == "/api/now/table/incident"
    assert dict(get.url.params) == {
        "sysparm_query": "correlation_id=oncall-inc-2f1c2bc2c5^ORDERBYDESCsys_created_on",
        "sysparm_fields": "sys_id,number,state,short_description,description,impact,urgency",
        "sysparm_limit": "1", "sysparm_exclude_reference_link": "true"}
    for request in (get, post):
        assert request.headers["authorization"] == BASIC
        assert request.headers["accept"] == "application/json"
    body = json.loads(post.content)
    assert post.headers["content-type"] == "application/json"
    assert body == {
        "short_description": "[oncall] " + view.title,
        "description": description(view),
        "correlation_id": "oncall-inc-2f1c2bc2c5",
        "correlation_display": "oncall",
        "impact": "1",  # tier 1
        "urgency": "1",  # frontend error_ratio at 69.1x its SLO >= 14.4
        "assignment_group": "Payments SRE",  # owner group:payments, mapped
        "cmdb_ci": "checkout-svc",  # the likeliest culprit, mapped
    }
    text = body["description"]
    assert view.narrative in text and "checkout-timeouts" in text
    assert "change cfg-2291" in text and "1. config_revert checkout" in text
    assert text.endswith("oncall-facts: alerts=23; cause=config checkout cfg-2291; "
                         "services=mobile-bff,api-gateway,checkout,frontend; impact=1; "
                         "urgency=1")


def test_a_second_sync_with_nothing_new_writes_nothing(checkout: dict[str, Any]) -> None:
    view = views(checkout)[0]
    rec = Recording(lambda _r: httpx.Response(200, json={"result": [_existing(view)]}))
    action = _client(rec).sync(view)
    assert (action.action, action.ticket) == ("unchanged", "INC0010042")
    assert rec.methods() == ["GET /api/now/table/incident"]


def test_a_change_adds_one_work_note_saying_what_changed(checkout: dict[str, Any]) -> None:
    view = views(checkout)[0]

    def handler(request: httpx.Request) -> httpx.Response:
        if request.method == "GET":
            return httpx.Response(200, json={"result": [_existing(view, alerts="20")]})
        return httpx.Response(200, json={"result": {"sys_id": SYS_ID, "number": "INC0010042"}})

    rec = Recording(handler)
    action = _client(rec).sync(view)
    assert action.action == "updated" and action.detail == "work note: alerts 20 -> 23"
    assert rec.methods()[1] == f"PATCH /api/now/table/incident/{SYS_ID}"
    patch = rec.bodies("PATCH")[0]
    assert set(patch) == {"work_notes", "description", "short_description"}  # impact same
    assert patch["work_notes"].startswith("oncall update: alerts 20 -> 23\n\n")


def test_changed_urgency_is_patched_too(checkout: dict[str, Any]) -> None:
    view = views(checkout)[0]
    answers = {"GET": {"result": [_existing(view, urgency="2")]},
               "PATCH": {"result": {"sys_id": SYS_ID}}}
    rec = Recording(lambda r: httpx.Response(200, json=answers[r.method]))
    _client(rec).sync(view)
    assert rec.bodies("PATCH")[0]["urgency"] == "1"
    assert "impact" not in rec.bodies("PATCH")[0]


def test_resolve_sets_state_close_code_and_notes(checkout: dict[str, Any]) -> None:
    view = views(checkout)[0]
    answers = {"GET": {"result": [_existing(view)]}, "PATCH": {"result": {"sys_id": SYS_ID}}}
    rec = Recording(lambda r: httpx.Response(200, json=answers[r.method]))
    action = _client(rec).resolve(view, "Reverted cfg-2291; p95 back in 6 min")
    assert action.action == "resolved"
    assert rec.bodies("PATCH") == [{"state": "6", "close_code": "Solution provided",
                                    "close_notes": "Reverted cfg-2291; p95 back in 6 min"}]


@pytest.mark.parametrize("state", ["6", "7", "8"])
def test_a_resolved_closed_or_cancelled_ticket_is_left_alone(checkout: dict[str, Any],
                                                              state: str) -> None:
    view = views(checkout)[0]
    rec = Recording(lambda _r: httpx.Response(200, json={"result": [_existing(view, state)]}))
    assert _client(rec).sync(view).action == "skipped"
    assert _client(rec).resolve(view, "done").action == "skipped"
    assert all(r.method == "GET" for r in rec.requests)


def test_a_lost_create_answer_is_looked_up_before_posting_again(
        checkout: dict[str, Any]) -> None:
    view = views(checkout)[0]
    created: list[dict[str, Any]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        if request.method == "GET":
            return httpx.Response(200, json={"result": created})
        created.append({"sys_id": SYS_ID, "number": "INC0010007", "state": "1"})
        return httpx.Response(504, text="gateway timeout")  # created, answer lost

    rec = Recording(handler)
    action = _client(rec).sync(view)
    assert (action.action, action.ticket) == ("created", "INC0010007")
    assert [r.method for r in rec.requests] == ["GET", "POST", "GET"]


def test_token_auth_sends_a_bearer_header(checkout: dict[str, Any]) -> None:
    config = ServiceNowConfig(instance_url=INSTANCE, user_env=None, password_env=None,
                              token_env="SN_TOKEN")
    header, secrets = auth_header(config, {"SN_TOKEN": "tok-123456"})
    assert header == "Bearer tok-123456" and secrets == ["tok-123456"]
    with pytest.raises(KeyError):
        auth_header(config, {})


def test_an_answer_without_result_is_a_clear_error(checkout: dict[str, Any]) -> None:
    rec = Recording(lambda _r: httpx.Response(200, text="<html>login</html>"))
    with pytest.raises(ItsmError, match="the answer is not JSON"):
        _client(rec).sync(views(checkout)[0])


def test_impact_and_urgency_follow_tier_and_burn(checkout: dict[str, Any]) -> None:
    inc = checkout["incidents"][0]
    inc["impact"]["tier"] = 2
    inc["impact"]["slo_burn"] = {"checkout:error_ratio": 3.0}
    view = views(checkout)[0]
    assert (view.impact, view.urgency, view.priority) == (2, 2, 3)
    inc["impact"]["tier"] = None
    inc["impact"]["slo_burn"] = {}
    view = views(checkout)[0]
    assert (view.impact, view.urgency, view.priority) == (3, 2, 4)
    inc["impact"]["slo_burn"] = {"x": 0.5}
    assert views(checkout)[0].urgency == 3


def test_a_crafted_incident_id_cannot_widen_the_query(checkout: dict[str, Any]) -> None:
    checkout["incidents"][0]["id"] = "inc-1^ORcorrelation_idISNOTEMPTY"
    with pytest.raises(Exception, match=r"incidents\[0\]\.id"):
        views(checkout, "t.json")
