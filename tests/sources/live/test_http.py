"""Retries, backoff and one-line reasons of the shared fetcher (httpx.MockTransport)."""

from __future__ import annotations

import httpx
import pytest

from oncall.errors import SourceUnavailable
from oncall.sources.live.http import Fetcher, QueryRejected


def _fetcher(handler: httpx.MockTransport, retries: int = 2) -> tuple[Fetcher, list[float]]:
    slept: list[float] = []
    client = httpx.Client(base_url="http://prom.test", transport=handler)
    return Fetcher(client, "prometheus", retries=retries, sleep=slept.append), slept


def test_a_503_is_retried_with_doubling_backoff_then_succeeds() -> None:
    answers = iter([httpx.Response(503, text="starting"), httpx.Response(502),
                    httpx.Response(200, json={"ok": True})])
    fetcher, slept = _fetcher(httpx.MockTransport(lambda request: next(answers)))
    assert fetcher.get_json("/x") == {"ok": True}
    assert slept == [0.5, 1.0]


def test_retries_are_bounded_and_the_reason_is_the_last_answer() -> None:
    calls: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request.url.path)
        return httpx.Response(503, json={"status": "error", "error": "TSDB not ready"})

    fetcher, slept = _fetcher(httpx.MockTransport(handler), retries=3)
    with pytest.raises(SourceUnavailable) as caught:
        fetcher.get_json("/api/v1/query_range")
    assert str(caught.value) == ("prometheus (http://prom.test): HTTP 503 on "
                                 "/api/v1/query_range: TSDB not ready (4 tries)")
    assert len(calls) == 4 and slept == [0.5, 1.0, 2.0]


def test_a_client_error_is_final_at_once_with_the_servers_message() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(400, json={"status": "error", "errorType": "bad_data",
                                         "error": "1:6: parse error: unexpected \x1b[31m"})

    fetcher, slept = _fetcher(httpx.MockTransport(handler))
    with pytest.raises(QueryRejected) as caught:
        fetcher.get_json("/api/v1/query")
    assert caught.value.reason == "HTTP 400 on /api/v1/query: 1:6: parse error: " \
        "unexpected \\x1b[31m"
    assert slept == []


def test_jaegers_error_shape_gives_its_message() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(400, json={"data": None, "total": 0, "limit": 0, "offset": 0,
                                         "errors": [{"code": 400,
                                                     "msg": "parameter 'service' is required"}]})

    fetcher, _ = _fetcher(httpx.MockTransport(handler))
    with pytest.raises(QueryRejected) as caught:
        fetcher.get_json("/api/traces")
    assert caught.value.reason == "HTTP 400 on /api/traces: parameter 'service' is required"


def test_a_timeout_is_retried_and_named() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("slow", request=request)

    fetcher, slept = _fetcher(httpx.MockTransport(handler), retries=1)
    with pytest.raises(SourceUnavailable, match=r"timed out on /x \(2 tries\)$"):
        fetcher.get_json("/x")
    assert slept == [0.5]


def test_retry_after_of_a_429_is_honoured_up_to_the_cap() -> None:
    answers = iter([httpx.Response(429, headers={"Retry-After": "3"}),
                    httpx.Response(429, headers={"Retry-After": "600"}),
                    httpx.Response(200, json=[])])
    fetcher, slept = _fetcher(httpx.MockTransport(lambda request: next(answers)))
    assert fetcher.get_json("/x") == []
    assert slept == [3.0, 8.0]


def test_a_body_that_is_not_json_is_a_clear_failure() -> None:
    handler = httpx.MockTransport(lambda request: httpx.Response(
        200, text="<html>login</html>", headers={"content-type": "text/html"}))
    fetcher, _ = _fetcher(handler)
    with pytest.raises(SourceUnavailable, match=r"answer to /x is not JSON \(text/html\)"):
        fetcher.get_json("/x")
