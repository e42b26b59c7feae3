"""One HTTP call that changes something: timeouts, bounded retries, secrets from env.

Retrying a call that acts is not the same as retrying a read. A refused connection, a
429 or a 503 means the server did not act, so the call is sent again (a bounded number
of times, with backoff). A timeout, or a 502/504 from a gateway, leaves it unknown
whether the server acted: such a call is retried only when it is idempotent (a GET, a
PUT of a whole object); a POST is not sent twice, and the failure says the outcome is
unknown so the person checks before trying again.

Tokens and header values are read from the environment variables the config names, at
the moment of the call, and never appear in a preview or the audit log.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from typing import Any

import httpx

from oncall.config import BadURL, check_url
from oncall.remediate.executors.base import ExecutionFailed, Refused
from oncall.remediate.executors.config import HttpSettings
from oncall.sources.fields import printable

NOT_ACTED = frozenset({429, 503})  # the server says it did not act: safe to send again
MAYBE_ACTED = frozenset({502, 504})  # a gateway gave up: the server may have acted
MAX_BODY_BYTES = 8 * 1024 * 1024


def make_client(settings: HttpSettings) -> httpx.Client:
    """The client for one service: its base URL and timeout, no redirects followed (a
    redirect of an authorised POST elsewhere is not something to obey silently).

    The config reader already refused a bad URL; settings built in code are checked
    here, and a bad one is a refusal (recorded as the attempt's outcome), not a crash."""
    try:
        url = check_url(settings.url)
    except BadURL as exc:
        raise Refused(f"executor URL: {exc}") from None
    return httpx.Client(base_url=url, timeout=settings.timeout_seconds,
                        follow_redirects=False)


def auth_headers(settings: HttpSettings, what: str) -> dict[str, str]:
    """Authorization and configured headers from the environment; a named variable that
    is unset is a refusal (acting unauthenticated would fail half-way)."""
    headers: dict[str, str] = {}
    if settings.token_env:
        token = os.environ.get(settings.token_env, "")
        if not token:
            raise Refused(f"{what}: environment variable {settings.token_env} is not set")
        headers["Authorization"] = f"Bearer {token}"
    for header, variable in settings.headers_env.items():
        value = os.environ.get(variable, "")
        if not value:
            raise Refused(f"{what}: environment variable {variable} is not set")
        headers[header] = value
    return headers


def shown_request(method: str, url: str, body: Any = None) -> str:
    """The call as one line for the preview and the audit log (no headers: secrets)."""
    text = f"{method} {url}"
    if body is not None:
        text += " " + json.dumps(body, sort_keys=True, separators=(",", ":"))
    return text


class Sender:
    """Sends requests for one executor through an injected `httpx.Client`."""

    def __init__(self, client: httpx.Client, name: str, settings: HttpSettings,
                 sleep: Callable[[float], None] = time.sleep,
                 backoff_seconds: float = 0.5) -> None:
        self.client = client
        self.name = name
        self.settings = settings
        self.sleep = sleep
        self.backoff_seconds = backoff_seconds

    def url(self, path: str) -> str:
        return f"{str(self.client.base_url).rstrip('/')}{path}"

    def call(self, method: str, path: str, body: Any = None) -> Any:
        """The decoded JSON answer (or None for an empty body); `ExecutionFailed` else."""
        headers = auth_headers(self.settings, self.name)
        idempotent = method in ("GET", "PUT", "HEAD")
        tries = self.settings.retries + 1
        reason = ""
        for attempt in range(tries):
            if attempt:
                self.sleep(min(8.0, self.backoff_seconds * 2 ** (attempt - 1)))
            try:
                response = self.client.request(method, path, json=body, headers=headers)
            except httpx.ConnectError:
                reason = "cannot connect"
                continue
            except httpx.TimeoutException:
                if not idempotent:
                    raise ExecutionFailed(f"{self.name}: {method} {path} timed out; the "
                                          "outcome is unknown, check before retrying") from None
                reason = "timed out"
                continue
            except httpx.TransportError as exc:
                raise ExecutionFailed(f"{self.name}: {method} {path}: "
                                      f"{printable(str(exc))[:160]}") from None
            except httpx.InvalidURL as exc:  # nothing was sent
                raise Refused(f"{self.name}: {method} {path}: not a valid URL "
                              f"({printable(str(exc))[:160]})") from None
            status = response.status_code
            if status in NOT_ACTED or (status in MAYBE_ACTED and idempotent):
                reason = f"HTTP {status}{_detail(response)}"
                continue
            if status in MAYBE_ACTED:
                raise ExecutionFailed(f"{self.name}: {method} {path}: HTTP {status}; the "
                                      "outcome is unknown, check before retrying")
            if status >= 300:
                raise ExecutionFailed(f"{self.name}: {method} {path}: HTTP {status}"
                                      f"{_detail(response)}")
            return _decode(response, self.name, path)
        plural = "try" if tries == 1 else "tries"
        raise ExecutionFailed(f"{self.name}: {method} {path}: {reason} ({tries} {plural})")


def _decode(response: httpx.Response, name: str, path: str) -> Any:
    if not response.content:
        return None
    if len(response.content) > MAX_BODY_BYTES:
        raise ExecutionFailed(f"{name}: the answer to {path} is too large")
    try:
        return json.loads(response.content)
    except (ValueError, RecursionError):
        return {"text": printable(response.text.strip())[:500]}


def _detail(response: httpx.Response) -> str:
    """The server's own error text (Argo CD and most APIs: `message` or `error`)."""
    try:
        body = response.json()
    except (ValueError, RecursionError):
        body = None
    text = ""
    if isinstance(body, dict):
        for key in ("message", "error", "msg"):
            if isinstance(body.get(key), str) and body[key]:
                text = body[key]
                break
    if not text:
        text = response.text
    text = printable(" ".join(text.split()))[:200]
    return f": {text}" if text else ""
