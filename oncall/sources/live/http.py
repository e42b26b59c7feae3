"""GET-and-decode with timeouts, bounded retries and backoff, and one-line reasons.

Every connector fetches through `Fetcher`, so they all fail the same way: a refused
connection, a timeout or a 502/503/504/429 is retried a bounded number of times with
exponential backoff (a restarting Prometheus answers a second later); anything else
(401, 404, a PromQL syntax error) is final at once, since asking again cannot help.
Whatever the failure, it ends as `SourceUnavailable` with the source, the URL and the
server's own error text, which the live source records in `Snapshot.missing`.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

import httpx

from oncall.errors import SourceUnavailable
from oncall.sources.fields import printable

if TYPE_CHECKING:
    from oncall.config import SourceConfig

RETRY_STATUSES = frozenset({429, 502, 503, 504})
MAX_BODY_BYTES = 256 * 1024 * 1024
Params = Mapping[str, str | int | float | list[str]]


class QueryRejected(SourceUnavailable):
    """The server answered and refused this one request (a PromQL error, an unknown
    repository): other requests to the same source may still succeed."""

    def __init__(self, label: str, reason: str) -> None:
        self.reason = reason
        super().__init__(f"{label}: {reason}")


class Fetcher:
    """One source's client plus its retry policy. `sleep` is injectable for tests."""

    def __init__(self, client: httpx.Client, name: str, retries: int = 2,
                 backoff_seconds: float = 0.5, max_backoff_seconds: float = 8.0,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.client = client
        self.name = name
        self.retries = retries
        self.backoff_seconds = backoff_seconds
        self.max_backoff_seconds = max_backoff_seconds
        self.sleep = sleep

    @property
    def label(self) -> str:
        """`prometheus (http://127.0.0.1:9090)`, the prefix of every failure."""
        base = str(self.client.base_url).rstrip("/")
        return f"{self.name} ({base})" if base else self.name

    def get_json(self, path: str, params: Params | None = None,
                 headers: Mapping[str, str] | None = None) -> Any:
        """The decoded JSON body of `GET path`, or `SourceUnavailable`."""
        tries = self.retries + 1
        reason = ""
        hint: float | None = None  # a 429's Retry-After
        for attempt in range(tries):
            if attempt:
                self.sleep(self._delay(attempt, hint))
                hint = None
            try:
                response = self.client.get(path, params=params, headers=headers)
            except httpx.TimeoutException:
                reason = f"timed out on {path}"
                continue
            except httpx.TransportError as exc:
                reason = f"{_transport_reason(exc)} on {path}"
                continue
            if response.status_code in RETRY_STATUSES:
                reason = f"HTTP {response.status_code} on {path}{_detail(response)}"
                hint = _retry_after(response) if response.status_code == 429 else None
                continue
            if response.status_code >= 400:
                raise QueryRejected(self.label, printable(
                    f"HTTP {response.status_code} on {path}{_detail(response)}"))
            return self._decode(response, path)
        plural = "try" if tries == 1 else "tries"
        raise self.unavailable(f"{reason} ({tries} {plural})")

    def unavailable(self, reason: str) -> SourceUnavailable:
        return SourceUnavailable(f"{self.label}: {printable(reason)}")

    def _delay(self, attempt: int, hint: float | None) -> float:
        """Doubling from `backoff_seconds`, at least a 429's Retry-After, never past
        `max_backoff_seconds` (a page is not the moment to wait a minute)."""
        delay = self.backoff_seconds * 2 ** (attempt - 1)
        if hint is not None:
            delay = max(delay, hint)
        return min(self.max_backoff_seconds, delay)

    def _decode(self, response: httpx.Response, path: str) -> Any:
        if len(response.content) > MAX_BODY_BYTES:
            raise self.unavailable(f"answer to {path} is over "
                                   f"{MAX_BODY_BYTES // (1024 * 1024)} MiB")
        try:
            return json.loads(response.content)
        except (ValueError, RecursionError):
            kind = response.headers.get("content-type", "unknown content type")
            raise self.unavailable(f"answer to {path} is not JSON ({kind})") from None


def _transport_reason(exc: httpx.TransportError) -> str:
    if isinstance(exc, httpx.ConnectError):
        text = str(exc).lower()
        if "refused" in text:
            return "connection refused"
        if "name or service" in text or "nodename" in text or "resolve" in text:
            return "host not found"
        return "cannot connect"
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0][:120]


def _detail(response: httpx.Response) -> str:
    """The server's own error text: Prometheus/Loki `error`, GitHub/Argo `message`,
    Jaeger `errors[0].msg`."""
    text = ""
    try:
        body = response.json()
    except (ValueError, RecursionError):
        body = None
    if isinstance(body, dict):
        errors = body.get("errors")
        if isinstance(errors, list) and errors and isinstance(errors[0], dict):
            body = {**body, **errors[0]}  # Jaeger: {"errors": [{"code": 400, "msg": ...}]}
        for key in ("error", "message", "msg"):
            if isinstance(body.get(key), str) and body[key]:
                text = body[key]
                break
    if not text:
        text = response.text.strip()
    text = " ".join(text.split())[:200]
    return f": {text}" if text else ""


def _retry_after(response: httpx.Response) -> float | None:
    try:
        return float(response.headers.get("retry-after", ""))
    except ValueError:
        return None


class HttpConnector:
    """What every connector shares: the fetcher that talks to its system, and its config.

    Subclasses set `kind` (the config key) and `part` (the snapshot part they fill) and
    implement `fetch` and `probe` (the `Connector` protocol in base.py).
    """

    kind = ""
    part = ""

    def __init__(self, fetcher: Fetcher, config: SourceConfig) -> None:
        self.fetcher = fetcher
        self.config = config

    @property
    def label(self) -> str:
        return self.fetcher.label
