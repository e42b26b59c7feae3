"""ServiceNow incidents through the Table API, one per correlated incident.

- Look-up first: `GET /api/now/table/incident?sysparm_query=correlation_id=<id>` (newest
  first). Only when nothing matches is `POST /api/now/table/incident` sent, so a second
  run never opens a second ticket. A POST whose answer was lost is looked up again
  before it is repeated.
- On a later run the facts line of the existing description is compared with today's
  facts; when something changed, one `PATCH` adds a work note saying what changed and
  refreshes the description, short description, and impact/urgency when those moved.
  Assignment group and CI are set only at creation: a person's re-routing sticks.
- Resolving is `state=6` with `close_code` and `close_notes`; a ticket already resolved
  (6), closed (7) or cancelled (8) is left alone.

Reference fields (`assignment_group`, `cmdb_ci`, `caller_id`) take a sys_id or a display
value; `assignment_group_map` maps a catalog owner (`group:payments`) to either.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping, Sequence
from typing import Any

import httpx

from oncall.itsm.base import TicketAction
from oncall.itsm.config import ServiceNowConfig
from oncall.itsm.content import (
    TicketView,
    description,
    parse_facts,
    short_description,
    what_changed,
)
from oncall.itsm.http import Found, ItsmError, Sender

NAME = "servicenow"
TABLE_PATH = "/api/now/table/incident"
RESOLVED, CLOSED, CANCELED = "6", "7", "8"
DONE_STATES = frozenset({RESOLVED, CLOSED, CANCELED})
FIELDS = "sys_id,number,state,short_description,description,impact,urgency"


def auth_header(config: ServiceNowConfig, env: Mapping[str, str]) -> tuple[str, list[str]]:
    """The Authorization header and the secrets it holds; KeyError names a missing
    variable."""
    if config.token_env:
        token = _need(env, config.token_env)
        return f"Bearer {token}", [token]
    user = _need(env, config.user_env or "")
    password = _need(env, config.password_env or "")
    raw = base64.b64encode(f"{user}:{password}".encode()).decode()
    return f"Basic {raw}", [password, raw]


def _need(env: Mapping[str, str], name: str) -> str:
    value = env.get(name, "").strip()
    if not value:
        raise KeyError(name)
    return value


class ServiceNow:
    name = NAME

    def __init__(self, sender: Sender, config: ServiceNowConfig, authorization: str,
                 prefix: str = "oncall-") -> None:
        self.sender = sender
        self.config = config
        self.prefix = prefix
        self.url = config.instance_url + TABLE_PATH
        self.headers = {"Accept": "application/json", "Authorization": authorization}

    # ---- public ----------------------------------------------------------------------

    def find(self, correlation_id: str) -> dict[str, Any] | None:
        """The newest incident with this correlation id, or None."""
        params = {"sysparm_query": f"correlation_id={correlation_id}^ORDERBYDESCsys_created_on",
                  "sysparm_fields": FIELDS, "sysparm_limit": "1",
                  "sysparm_exclude_reference_link": "true"}
        response = self.sender.request("GET", self.url, params=params, headers=self.headers)
        result = self._result(response, list)
        return result[0] if result and isinstance(result[0], dict) else None

    def fields(self, view: TicketView) -> dict[str, Any]:
        """The body of the POST that creates the incident."""
        body: dict[str, Any] = {
            "short_description": short_description(view),
            "description": description(view),
            "correlation_id": view.correlation_id(self.prefix),
            "correlation_display": "oncall",
            "impact": str(view.impact),
            "urgency": str(view.urgency),
        }
        group = self.config.assignment_group_map.get(view.owner or "")
        if group:
            body["assignment_group"] = group
        top = view.top_service
        if top:
            body["cmdb_ci"] = self.config.cmdb_ci_map.get(top, top)
        if self.config.caller:
            body["caller_id"] = self.config.caller
        return body

    def sync(self, view: TicketView, tickets: Sequence[TicketAction] = ()) -> TicketAction:
        corr = view.correlation_id(self.prefix)
        existing = self.find(corr)
        if existing is None:
            return self._create(view, corr)
        state = str(existing.get("state", ""))
        if state in DONE_STATES:
            return self._act(view, "skipped", existing, f"already {_state_name(state)}")
        before = parse_facts(str(existing.get("description") or ""))
        after = view.facts()
        changed = what_changed(before, after)
        if not changed:
            return self._act(view, "unchanged", existing, "nothing new since the last sync")
        patch: dict[str, Any] = {
            "work_notes": "oncall update: " + "; ".join(changed) + "\n\n" + view.narrative,
            "description": description(view),
            "short_description": short_description(view),
        }
        for key in ("impact", "urgency"):
            if before is None or before.get(key) != after[key]:
                patch[key] = after[key]
        self._patch(str(existing.get("sys_id", "")), patch)
        return self._act(view, "updated", existing, "work note: " + "; ".join(changed))

    def resolve(self, view: TicketView, notes: str,
                tickets: Sequence[TicketAction] = ()) -> TicketAction:
        existing = self.find(view.correlation_id(self.prefix))
        if existing is None:
            return TicketAction(NAME, view.id, "skipped", "",
                                f"no incident with correlation_id "
                                f"{view.correlation_id(self.prefix)}")
        state = str(existing.get("state", ""))
        if state in DONE_STATES:
            return self._act(view, "skipped", existing, f"already {_state_name(state)}")
        self._patch(str(existing.get("sys_id", "")), {
            "state": RESOLVED, "close_code": self.config.close_code, "close_notes": notes,
        })
        return self._act(view, "resolved", existing, f"close code {self.config.close_code}")

    # ---- steps -----------------------------------------------------------------------

    def _create(self, view: TicketView, corr: str) -> TicketAction:
        def look_again() -> None:
            found = self.find(corr)
            if found is not None:
                raise Found(found)

        try:
            response = self.sender.request("POST", self.url, json=self.fields(view),
                                           headers=self.headers, before_retry=look_again)
            record = self._result(response, dict)
        except Found as found:
            return self._act(view, "created", found.value, "found after a lost answer")
        return self._act(view, "created", record, f"impact {view.impact}, "
                         f"urgency {view.urgency}")

    def _patch(self, sys_id: str, body: dict[str, Any]) -> None:
        if not sys_id.isalnum():
            raise self.sender.error(f"the incident has no usable sys_id ({sys_id!r})")
        response = self.sender.request("PATCH", f"{self.url}/{sys_id}", json=body,
                                       headers=self.headers)
        self._result(response, dict)

    def _result(self, response: httpx.Response, kind: type) -> Any:
        try:
            body = response.json()
        except ValueError:
            raise self.sender.error(f"{response.request.method} {TABLE_PATH}: the answer "
                                    "is not JSON (is instance_url right?)") from None
        result = body.get("result") if isinstance(body, dict) else None
        if not isinstance(result, kind):
            raise ItsmError(self.sender.clean(
                f"{NAME}: {response.request.method} {TABLE_PATH}: unexpected answer "
                f"(no 'result' {kind.__name__})"))
        return result

    def _act(self, view: TicketView, action: str, record: Mapping[str, Any],
             detail: str) -> TicketAction:
        sys_id = str(record.get("sys_id", ""))
        url = (f"{self.config.instance_url}/nav_to.do?uri=incident.do?sys_id={sys_id}"
               if sys_id.isalnum() else "")
        return TicketAction(NAME, view.id, action, str(record.get("number", "")), detail, url)


def _state_name(state: str) -> str:
    return {RESOLVED: "resolved", CLOSED: "closed", CANCELED: "cancelled"}.get(
        state, f"in state {state}")


def dry_run_answer(request: httpx.Request, existing: bool) -> httpx.Response | None:
    """What a dry run pretends the Table API answered; None for other systems' URLs."""
    if not request.url.path.startswith(TABLE_PATH):
        return None
    if request.method == "GET":
        found = [{"sys_id": "0" * 32, "number": "(existing incident)", "state": "2",
                  "description": ""}] if existing else []
        return httpx.Response(200, json={"result": found})
    record = {"sys_id": "0" * 32, "number": "(new incident)" if request.method == "POST"
              else "(existing incident)"}
    return httpx.Response(201 if request.method == "POST" else 200, json={"result": record})
