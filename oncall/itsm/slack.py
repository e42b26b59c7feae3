"""The stakeholder update in Slack, through an incoming webhook.

A plain message for people outside the incident: what is happening, the impact, who
owns it and the ticket numbers. No evidence lines, commands or log text (they can carry
tokens and customer data). The webhook URL is itself the credential, so it comes from
the environment and never appears in a message (`label` hides it, `scrub` removes it).

A webhook has no look-up, so the orchestrator decides whether anything is new (the
audit log remembers the facts last posted); this module only formats and sends.
Slack answers `200 ok`, or 4xx with a one-word reason (`invalid_payload`,
`channel_is_archived`, ...), or 429 with `Retry-After`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import httpx

from oncall.config import BadURL, check_url
from oncall.itsm.base import TicketAction
from oncall.itsm.config import SlackConfig
from oncall.itsm.content import TicketView, stakeholder_text
from oncall.itsm.http import Sender

NAME = "slack"
HEADER_LIMIT = 150


def webhook_url(config: SlackConfig, env: Mapping[str, str]) -> str:
    """KeyError when unset; ValueError (naming the variable, never the value) when the
    value is not an https URL."""
    value = env.get(config.webhook_url_env, "").strip()
    if not value:
        raise KeyError(config.webhook_url_env)
    try:
        url = check_url(value)
    except BadURL as exc:  # the reason only: the URL itself is the secret
        raise ValueError(f"{config.webhook_url_env} is not a webhook URL ({exc.reason})") \
            from None
    if "/" not in url.split("://", 1)[1]:
        raise ValueError(f"{config.webhook_url_env} is not a webhook URL (it has no path)")
    return value


def _escape(text: str) -> str:
    """Slack mrkdwn control characters (`<@U123>` would mention, `<!here>` notify all)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


class Slack:
    name = NAME

    def __init__(self, sender: Sender, url: str) -> None:
        self.sender = sender
        self.url = url

    def message(self, view: TicketView, tickets: Sequence[TicketAction],
                resolved: bool = False) -> dict[str, Any]:
        # Ticket numbers only: a PagerDuty dedup key means nothing to a stakeholder.
        labels = [t.label for t in tickets if t.ok and t.ticket
                  and t.system not in (NAME, "pagerduty")]
        text = stakeholder_text(view, labels, resolved)
        head, _, rest = text.partition("\n")
        header = head if len(head) <= HEADER_LIMIT else head[: HEADER_LIMIT - 3] + "..."
        return {
            "text": _escape(text),
            "blocks": [
                {"type": "header", "text": {"type": "plain_text", "text": header}},
                {"type": "section", "text": {"type": "mrkdwn", "text": _escape(rest)}},
            ],
        }

    def sync(self, view: TicketView, tickets: Sequence[TicketAction] = ()) -> TicketAction:
        return self._post(view, tickets, resolved=False)

    def resolve(self, view: TicketView, notes: str,
                tickets: Sequence[TicketAction] = ()) -> TicketAction:
        return self._post(view, tickets, resolved=True)

    def _post(self, view: TicketView, tickets: Sequence[TicketAction],
              resolved: bool) -> TicketAction:
        self.sender.request("POST", self.url, label="webhook",
                            json=self.message(view, tickets, resolved))
        if resolved:
            return TicketAction(NAME, view.id, "resolved", "", "resolution posted")
        return TicketAction(NAME, view.id, "posted", "", "stakeholder update")


def dry_run_answer(request: httpx.Request, url: str) -> httpx.Response | None:
    if request.url != httpx.URL(url):
        return None
    return httpx.Response(200, text="ok")
