"""From a validated `itsm:` section and the environment to ready integrations.

Credentials are read here, from the variables the configuration names, and nowhere
else. A configured system whose variable is unset is `unavailable` (named in the
result, the others still run), not an exception: at 2 a.m. the ServiceNow ticket should
still open when the Slack webhook variable was forgotten.

A dry run answers every request locally (`Recorder`): nothing leaves the machine, the
requests are kept to be printed (secrets scrubbed), and look-ups answer "no ticket yet",
or "one open ticket" when resolving, so the printout shows the writes a real run sends.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import httpx

from oncall.itsm import jira, pagerduty, servicenow, slack
from oncall.itsm.base import Integration
from oncall.itsm.config import ItsmConfig
from oncall.itsm.http import REDACTED, Sender, scrub


class Recorder(httpx.BaseTransport):
    """The dry-run transport: keeps every request and answers it as the API would."""

    def __init__(self, config: ItsmConfig, slack_url: str, existing: bool) -> None:
        self.config = config
        self.slack_url = slack_url
        self.existing = existing
        self.sent: list[httpx.Request] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        request.read()
        self.sent.append(request)
        answer = servicenow.dry_run_answer(request, self.existing)
        if answer is None and self.config.jira is not None:
            answer = jira.dry_run_answer(request, self.config.jira, self.existing)
        if answer is None and self.config.pagerduty is not None:
            answer = pagerduty.dry_run_answer(request, self.config.pagerduty.url)
        if answer is None and self.slack_url:
            answer = slack.dry_run_answer(request, self.slack_url)
        return answer if answer is not None else httpx.Response(404, text="not found")


@dataclass(slots=True)
class Built:
    integrations: list[Integration] = field(default_factory=list)
    unavailable: list[str] = field(default_factory=list)
    not_configured: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    secrets: list[str] = field(default_factory=list)
    recorder: Recorder | None = None
    client: httpx.Client | None = None

    def describe(self, request: httpx.Request) -> str:
        """One request as a person should see it: method, URL and JSON body, with every
        secret replaced by `***` (the Authorization header is never shown)."""
        head = f"{request.method} {scrub(str(request.url), self.secrets)}"
        if "authorization" in request.headers:
            head += f"\n  Authorization: {REDACTED}"
        if not request.content:
            return head
        try:
            body = json.dumps(json.loads(request.content), indent=2, ensure_ascii=False)
        except ValueError:
            body = request.content.decode("utf-8", "replace")
        return head + "\n" + scrub(body, self.secrets)


def build(config: ItsmConfig, env: Mapping[str, str], *, client: httpx.Client | None = None,
          dry_run: bool = False, resolving: bool = False,
          sleep: Callable[[float], None] = time.sleep) -> Built:
    """Integrations for every configured system whose credentials are set. Without a
    `client` one is made (closed by the caller through `Built.client`)."""
    out = Built(not_configured=[s for s in ("servicenow", "pagerduty", "jira", "slack")
                                if s not in config.configured])

    def secret(system: str, read: Callable[[], tuple[str, list[str]]]) -> str | None:
        try:
            value, secrets = read()
        except KeyError as exc:
            name = str(exc.args[0])
            if not dry_run:
                out.unavailable.append(f"{system}: environment variable {name} is not set "
                                       f"({config.origin})")
                return None
            out.warnings.append(f"{system}: {name} is not set; a real run would skip "
                                f"{system}")
            return f"https://unset.invalid/{name}" if system == "slack" else f"<{name}>"
        except ValueError as exc:
            out.unavailable.append(f"{system}: {exc} ({config.origin})")
            return None
        out.secrets += secrets
        return value

    sn, pd, jr, sl = config.servicenow, config.pagerduty, config.jira, config.slack
    sn_auth = pd_key = jr_auth = sl_url = None
    if sn is not None:
        sn_auth = secret("servicenow", lambda: servicenow.auth_header(sn, env))
    if pd is not None:
        pd_key = secret("pagerduty", lambda: _alone(pagerduty.routing_key(pd, env)))
    if jr is not None:
        jr_auth = secret("jira", lambda: jira.auth_header(jr, env))
    if sl is not None:
        sl_url = secret("slack", lambda: _alone(slack.webhook_url(sl, env)))

    if dry_run:
        out.recorder = Recorder(config, sl_url or "", resolving)
        client = httpx.Client(transport=out.recorder)
        out.client = client
    elif client is None:
        client = httpx.Client(timeout=config.timeout_seconds, follow_redirects=False)
        out.client = client

    def sender(system: str) -> Sender:
        return Sender(client, system, retries=config.retries,
                      timeout_seconds=config.timeout_seconds, secrets=out.secrets,
                      sleep=sleep)

    prefix = config.correlation_prefix
    if sn and sn_auth:
        out.integrations.append(servicenow.ServiceNow(sender("servicenow"), sn, sn_auth,
                                                      prefix))
    if jr and jr_auth:
        out.integrations.append(jira.Jira(sender("jira"), jr, jr_auth, prefix))
    if pd and pd_key:
        out.integrations.append(pagerduty.PagerDuty(sender("pagerduty"), pd, pd_key, prefix))
    if sl and sl_url:
        out.integrations.append(slack.Slack(sender("slack"), sl_url))
    return out


def _alone(value: str) -> tuple[str, list[str]]:
    """A credential that is its own secret (a routing key, a webhook URL)."""
    return value, [value]
