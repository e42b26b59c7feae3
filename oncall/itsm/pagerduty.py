"""PagerDuty Events API v2: trigger, acknowledge and resolve one alert per incident.

`POST /v2/enqueue` with the integration's routing key. The dedup key is the incident's
correlation id, derived from the incident id (itself keyed by the first alert, so it
stays put as more alerts join): re-sending a trigger folds into the same PagerDuty
alert instead of paging again, and acknowledge/resolve find it without any local state.
That also makes every request here safe to retry.

The routing key is a secret that travels in the body, so it is scrubbed from every
message and from the dry-run printout.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import httpx

from oncall.itsm.base import TicketAction
from oncall.itsm.config import PagerDutyConfig
from oncall.itsm.content import SEVERITY, TicketView
from oncall.itsm.http import Sender

NAME = "pagerduty"
SUMMARY_LIMIT = 1024
DONE = {"trigger": "triggered", "acknowledge": "acknowledged", "resolve": "resolved"}


def routing_key(config: PagerDutyConfig, env: Mapping[str, str]) -> str:
    value = env.get(config.routing_key_env, "").strip()
    if not value:
        raise KeyError(config.routing_key_env)
    return value


class PagerDuty:
    name = NAME

    def __init__(self, sender: Sender, config: PagerDutyConfig, key: str,
                 prefix: str = "oncall-") -> None:
        self.sender = sender
        self.config = config
        self.key = key
        self.prefix = prefix

    def event(self, action: str, view: TicketView,
              tickets: Sequence[TicketAction] = ()) -> dict[str, Any]:
        """The Events v2 body; only a trigger carries the payload."""
        body: dict[str, Any] = {"routing_key": self.key, "event_action": action,
                                "dedup_key": view.correlation_id(self.prefix)}
        if action != "trigger":
            return body
        top = view.causes[0] if view.causes else None
        payload: dict[str, Any] = {
            "summary": view.title[:SUMMARY_LIMIT],
            "source": self.config.source,
            "severity": SEVERITY[view.priority],
            "custom_details": {
                "incident": view.id,
                "impact": view.impact_summary,
                "owner": view.owner,
                "escalation": view.escalation,
                "services": list(view.services),
                "alerts": len(view.alerts),
                "likely_cause": top.sentence() if top else None,
                "tickets": [t.label for t in tickets if t.ok and t.ticket],
            },
        }
        if view.started_at:
            payload["timestamp"] = view.started_at
        if view.top_service:
            payload["component"] = view.top_service
        if view.services:
            payload["group"] = view.services[0]
        if top and top.kind:
            payload["class"] = top.kind
        body["payload"] = payload
        body["client"] = "oncall"
        links = [{"href": t.url, "text": t.label} for t in tickets if t.ok and t.url]
        if links:
            body["links"] = links
        return body

    def sync(self, view: TicketView, tickets: Sequence[TicketAction] = ()) -> TicketAction:
        return self._send("trigger", view, tickets)

    def acknowledge(self, view: TicketView) -> TicketAction:
        return self._send("acknowledge", view, ())

    def resolve(self, view: TicketView, notes: str,
                tickets: Sequence[TicketAction] = ()) -> TicketAction:
        return self._send("resolve", view, tickets)

    def _send(self, action: str, view: TicketView,
              tickets: Sequence[TicketAction]) -> TicketAction:
        response = self.sender.request("POST", self.config.url, label="/v2/enqueue",
                                       json=self.event(action, view, tickets))
        try:
            body = response.json()
        except ValueError:
            body = {}
        dedup = view.correlation_id(self.prefix)
        if isinstance(body, dict) and body.get("status") not in (None, "success"):
            raise self.sender.error(f"{action}: {body.get('status')}: {body.get('message')}")
        if isinstance(body, dict) and isinstance(body.get("dedup_key"), str):
            dedup = body["dedup_key"]
        return TicketAction(NAME, view.id, DONE[action], dedup,
                            f"severity {SEVERITY[view.priority]}" if action == "trigger"
                            else "")


def dry_run_answer(request: httpx.Request, url: str) -> httpx.Response | None:
    if request.url != httpx.URL(url):
        return None
    return httpx.Response(202, json={"status": "success", "message": "Event processed"})
