"""Sending to an ITSM API: timeouts, bounded retries with backoff, and no leaked secrets.

Every integration sends through `Sender`, so they fail alike: a refused connection, a
timeout, 429 or a 5xx is retried a bounded number of times with exponential backoff, at
least as long as a `Retry-After` says (and not at all when the server asks for longer
than `max_wait_seconds`: hammering a rate limit at 2 a.m. only extends it). Anything
else (401, 403, 400) is final at once. Creating a ticket is not idempotent, so a caller
can pass `before_retry`: it looks again (by correlation id) before a POST is repeated,
and a ticket the lost answer had created is found instead of duplicated.

Secrets travel in headers, bodies and (for a Slack webhook) the URL itself. Failure
messages name the system and the path, never the host or query of a secret URL, and
every known secret value is scrubbed from them before they reach a person or a log,
including the parts a server may echo back on its own (`secret_forms`: a webhook's path
and token, percent-encoded or JSON-escaped).
"""

from __future__ import annotations

import email.utils
import time
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl, quote

import httpx

from oncall.errors import OncallError

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
REDACTED = "***"


class ItsmError(OncallError):
    """A system refused or did not answer; the message is one scrubbed line."""


class Found(Exception):
    """Raised by a `before_retry` hook: the write already happened, stop retrying."""

    def __init__(self, value: Any) -> None:
        super().__init__("already there")
        self.value = value


def scrub(text: str, secrets: Iterable[str]) -> str:
    """`text` with every secret (longer than 3 characters) replaced by `***`, in each of
    the forms a server may echo it (`secret_forms`)."""
    forms = {form for secret in secrets if secret for form in secret_forms(secret)}
    for form in sorted(forms, key=len, reverse=True):
        text = text.replace(form, REDACTED)
    return text


def secret_forms(secret: str) -> set[str]:
    """The secret and the parts of it that are secret on their own, each also
    percent-encoded and JSON-escaped. A secret URL (a Slack webhook) is a secret in its
    path and query too: a server answering `400` may echo the path it was sent
    (`/services/T000/B000/XXXX`), or just its last segment, the token."""
    parts = {secret}
    if "://" in secret:
        try:
            url = httpx.URL(secret)
        except httpx.InvalidURL:
            url = None
        if url is not None:
            path = url.path
            query = url.query.decode("ascii", "replace")
            if path.strip("/"):
                parts |= {path, path.lstrip("/"), path.rstrip("/").rsplit("/", 1)[-1]}
                raw_path = url.raw_path.decode("ascii", "replace").split("?", 1)[0]
                parts |= {raw_path, raw_path.lstrip("/")}
            if query:
                parts.add(query)
                parts |= {value for _, value in parse_qsl(query)}
            if url.password:
                parts.add(url.password)
    forms: set[str] = set()
    for part in parts:
        forms |= {part, quote(part, safe=""), quote(part, safe="/"),
                  part.replace("/", "\\/")}
    return {form for form in forms if len(form) > 3}


class Sender:
    """One system's client plus its retry policy; `sleep` is injectable for tests."""

    def __init__(self, client: httpx.Client, system: str, *, retries: int = 3,
                 timeout_seconds: float = 10.0, backoff_seconds: float = 0.5,
                 max_backoff_seconds: float = 8.0, max_wait_seconds: float = 60.0,
                 secrets: Iterable[str] = (), sleep: Callable[[float], None] = time.sleep,
                 ) -> None:
        self.client = client
        self.system = system
        self.retries = retries
        self.timeout_seconds = timeout_seconds
        self.backoff_seconds = backoff_seconds
        self.max_backoff_seconds = max_backoff_seconds
        self.max_wait_seconds = max_wait_seconds
        self.secrets = tuple(s for s in secrets if s)
        self.sleep = sleep
        self.attempts = 0  # requests actually sent, for tests and the dry-run printout

    def request(self, method: str, url: str, *, label: str | None = None,
                json: Any = None, params: Mapping[str, str] | None = None,
                headers: Mapping[str, str] | None = None,
                before_retry: Callable[[], None] | None = None) -> httpx.Response:
        """The final 2xx response, or `ItsmError`. `label` replaces the URL in messages
        (a webhook URL is a secret); `before_retry` may raise `Found` to stop early."""
        what = f"{method} {label or _path(url)}"
        tries = self.retries + 1
        reason = ""
        for attempt in range(tries):
            if attempt and before_retry is not None:
                before_retry()
            self.attempts += 1
            try:
                response = self.client.request(method, url, json=json, params=params,
                                               headers=headers, timeout=self.timeout_seconds)
            except httpx.TimeoutException:
                reason = "timed out"
                wait = self._delay(attempt, None)
            except httpx.TransportError as exc:
                if isinstance(exc, httpx.UnsupportedProtocol):
                    raise self.error(f"{what}: not an http(s) URL") from None
                reason = _transport_reason(exc)
                wait = self._delay(attempt, None)
            except httpx.InvalidURL:
                raise self.error(f"{what}: invalid URL") from None
            else:
                if response.status_code < 300:
                    return response
                reason = f"HTTP {response.status_code}{_detail(response, self.secrets)}"
                if response.status_code not in RETRY_STATUSES:
                    raise self.error(f"{what}: {reason}")
                hint = retry_after(response)
                if hint is not None and hint > self.max_wait_seconds:
                    raise self.error(f"{what}: {reason}; the server asks to retry after "
                                     f"{hint:.0f}s, longer than {self.max_wait_seconds:.0f}s")
                wait = self._delay(attempt, hint)
            if attempt + 1 < tries:
                self.sleep(wait)
        plural = "try" if tries == 1 else "tries"
        raise self.error(f"{what}: {reason} ({tries} {plural})")

    def error(self, message: str) -> ItsmError:
        return ItsmError(self.clean(f"{self.system}: {message}"))

    def clean(self, text: str) -> str:
        return " ".join(scrub(text, self.secrets).split())

    def _delay(self, attempt: int, hint: float | None) -> float:
        """Doubling from `backoff_seconds`, capped; a Retry-After is always honoured."""
        delay = min(self.max_backoff_seconds, self.backoff_seconds * 2 ** attempt)
        return max(delay, hint) if hint is not None else delay


def retry_after(response: httpx.Response) -> float | None:
    """`Retry-After` in seconds: delta-seconds or an HTTP date; None when absent or bad."""
    raw = response.headers.get("retry-after", "").strip()
    if not raw:
        return None
    try:
        return max(0.0, float(raw))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(raw)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def _path(url: str) -> str:
    try:
        return httpx.URL(url).path or "/"
    except httpx.InvalidURL:
        return "(invalid URL)"


def _transport_reason(exc: httpx.TransportError) -> str:
    if isinstance(exc, httpx.ConnectError):
        return "connection refused" if "refused" in str(exc).lower() else "cannot connect"
    return type(exc).__name__


def _detail(response: httpx.Response, secrets: Iterable[str] = ()) -> str:
    """The server's own words: ServiceNow `error.message`/`detail`, Jira `errorMessages`
    and `errors`, PagerDuty `message`/`errors`, Slack's plain-text reason. Scrubbed
    before it is cut to length, so no secret is left half-shown at the cut."""
    try:
        body = response.json()
    except (ValueError, RecursionError):
        body = None
    parts: list[str] = []
    if isinstance(body, dict):
        err = body.get("error")
        if isinstance(err, dict):
            parts += [str(err[k]) for k in ("message", "detail") if err.get(k)]
        elif isinstance(err, str):
            parts.append(err)
        if isinstance(body.get("errorMessages"), list):
            parts += [str(m) for m in body["errorMessages"]]
        if isinstance(body.get("errors"), dict):
            parts += [f"{k}: {v}" for k, v in body["errors"].items()]
        elif isinstance(body.get("errors"), list):
            parts += [str(m) for m in body["errors"]]
        if not parts and body.get("message"):
            parts.append(str(body["message"]))
    elif body is None:
        parts.append(response.text.strip())
    text = " ".join(scrub("; ".join(p for p in parts if p), secrets).split())[:300]
    return f": {text}" if text else ""
