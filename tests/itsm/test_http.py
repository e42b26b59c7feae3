"""Retries are bounded, honour Retry-After, stop on 4xx, and never leak a secret."""

from __future__ import annotations

import httpx
import pytest

from oncall.itsm.http import Found, ItsmError, Sender, retry_after, scrub
from tests.itsm.conftest import Recording, Sleeps


def _sender(rec: Recording, sleeps: Sleeps, **kw: object) -> Sender:
    return Sender(rec.client(), "servicenow", sleep=sleeps, **kw)  # type: ignore[arg-type]


def test_429_waits_as_long_as_retry_after_then_succeeds() -> None:
    answers = iter([httpx.Response(429, headers={"Retry-After": "3"}),
                    httpx.Response(200, json={"result": []})])
    rec, sleeps = Recording(lambda _r: next(answers)), Sleeps()
    response = _sender(rec, sleeps).request("GET", "https://sn.example/api/now/table/incident")
    assert response.status_code == 200
    assert len(rec.requests) == 2
    assert sleeps == [3.0]


def test_503_is_retried_a_bounded_number_of_times_with_doubling_backoff() -> None:
    rec, sleeps = Recording(lambda _r: httpx.Response(503, text="busy")), Sleeps()
    with pytest.raises(ItsmError) as err:
        _sender(rec, sleeps, retries=3).request("POST", "https://sn.example/api/now/x")
    assert len(rec.requests) == 4
    assert sleeps == [0.5, 1.0, 2.0]
    assert str(err.value) == "servicenow: POST /api/now/x: HTTP 503: busy (4 tries)"


def test_a_4xx_is_final_at_once_with_the_servers_reason() -> None:
    body = {"error": {"message": "User Not Authenticated", "detail": "Required to provide "
                      "Auth information"}, "status": "failure"}
    rec, sleeps = Recording(lambda _r: httpx.Response(401, json=body)), Sleeps()
    with pytest.raises(ItsmError, match="HTTP 401: User Not Authenticated; Required to"):
        _sender(rec, sleeps).request("GET", "https://sn.example/api/now/table/incident")
    assert len(rec.requests) == 1 and sleeps == []


def test_a_retry_after_longer_than_the_limit_is_not_waited_out() -> None:
    rec, sleeps = Recording(lambda _r: httpx.Response(429, headers={"Retry-After": "3600"})),\
        Sleeps()
    with pytest.raises(ItsmError, match="retry after 3600s, longer than 60s"):
        _sender(rec, sleeps).request("POST", "https://events.example/v2/enqueue")
    assert len(rec.requests) == 1 and sleeps == []


def test_connection_errors_are_retried_and_reported() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("[Errno 111] Connection refused", request=request)

    rec, sleeps = Recording(refuse), Sleeps()
    with pytest.raises(ItsmError, match=r"connection refused \(2 tries\)"):
        _sender(rec, sleeps, retries=1).request("GET", "https://sn.example/x")
    assert len(rec.requests) == 2


def test_secrets_are_scrubbed_and_a_labelled_url_is_never_shown() -> None:
    secret_url = "https://hooks.slack.com/services/T000/B000/XXXXSECRET"
    rec = Recording(lambda _r: httpx.Response(403, text=f"action_prohibited {secret_url}"))
    sender = Sender(rec.client(), "slack", secrets=[secret_url], sleep=Sleeps())
    with pytest.raises(ItsmError) as err:
        sender.request("POST", secret_url, label="webhook")
    assert str(err.value) == "slack: POST webhook: HTTP 403: action_prohibited ***"
    assert scrub("key=abcd1234 and abc", ["abcd1234", "abc"]) == "key=*** and abc"


def test_before_retry_can_stop_a_repeated_create() -> None:
    rec, sleeps = Recording(lambda _r: httpx.Response(504)), Sleeps()

    def look_again() -> None:
        raise Found({"number": "INC0010001"})

    with pytest.raises(Found) as found:
        _sender(rec, sleeps).request("POST", "https://sn.example/x", before_retry=look_again)
    assert found.value.value == {"number": "INC0010001"}
    assert len(rec.requests) == 1


def test_retry_after_reads_seconds_and_http_dates() -> None:
    assert retry_after(httpx.Response(429, headers={"Retry-After": "7"})) == 7.0
    assert retry_after(httpx.Response(429, headers={
        "Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"})) == 0.0  # in the past
    assert retry_after(httpx.Response(429, headers={"Retry-After": "soon"})) is None
    assert retry_after(httpx.Response(429)) is None
