"""A server that echoes what it was sent (the path, the Authorization header, the body)
in its error answer must not put a secret in the output or the audit log: over real
HTTP on 127.0.0.1, through `oncall ticket sync`."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from typer.testing import CliRunner

from oncall.audit import AuditLog
from oncall.cli.main import app
from oncall.errors import OncallError
from oncall.itsm.http import Sender, scrub
from oncall.itsm.sync import Ticketing
from tests.itsm.fake_servicenow import loopback

HOOK_PATH = "/services/T0ECHO1/B0ECHO2/hooksecret4242"
ENV = {"ECHO_SN_USER": "svc-oncall", "ECHO_SN_PASSWORD": "snpass-echo-1",
       "ECHO_JIRA_EMAIL": "bot@acme.example", "ECHO_JIRA_TOKEN": "jiratok-echo-2",
       "ECHO_PD_KEY": "pdkey-echo-3abcdef"}
SECRETS = ("snpass-echo-1", "jiratok-echo-2", "pdkey-echo-3abcdef", "hooksecret4242",
           "T0ECHO1/B0ECHO2", "c3ZjLW9uY2FsbDpzbnBhc3MtZWNoby0x")  # base64 user:password


@contextmanager
def echo_server() -> Iterator[str]:
    """Every request gets a 400 that repeats the request: JSON for the APIs, plain
    text (the path, raw and percent-encoded) for the webhook."""

    class Handler(BaseHTTPRequestHandler):
        def _answer(self) -> None:
            size = int(self.headers.get("Content-Length") or 0)
            sent = self.rfile.read(size).decode() if size else ""
            auth = str(self.headers.get("Authorization"))
            if self.path.startswith("/services/"):
                data = (f"invalid_payload {self.path} {quote(self.path, safe='')} "
                        f"{self.path.replace('/', chr(92) + '/')}").encode()
                ctype = "text/plain"
            else:
                data = json.dumps({"error": {"message": f"bad auth {auth}",
                                             "detail": f"{self.path} {sent}"}}).encode()
                ctype = "application/json"
            self.send_response(400)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = do_PUT = do_PATCH = _answer

        def log_message(self, format: str, *args: Any) -> None:
            pass

    with loopback(Handler) as url:
        yield url


def _config(tmp_path: Path, url: str) -> Path:
    path = tmp_path / "oncall.yaml"
    path.write_text(
        "itsm:\n"
        "  retries: 0\n"
        "  timeout_seconds: 5\n"
        "  servicenow:\n"
        f"    instance_url: {url}\n"
        "    user_env: ECHO_SN_USER\n"
        "    password_env: ECHO_SN_PASSWORD\n"
        "  jira:\n"
        f"    url: {url}\n"
        "    project: OPS\n"
        "    email_env: ECHO_JIRA_EMAIL\n"
        "    token_env: ECHO_JIRA_TOKEN\n"
        "  pagerduty:\n"
        "    routing_key_env: ECHO_PD_KEY\n"
        f"    url: {url}/v2/enqueue\n"
        "  slack:\n"
        "    webhook_url_env: ECHO_SLACK_URL\n")
    return path


@pytest.mark.parametrize("output", ["text", "json"])
def test_echoed_paths_and_headers_are_scrubbed_from_output_and_audit(
        tmp_path: Path, checkout: dict[str, Any], monkeypatch: pytest.MonkeyPatch,
        output: str) -> None:
    for name, value in ENV.items():
        monkeypatch.setenv(name, value)
    triage = tmp_path / "triage.json"
    triage.write_text(json.dumps(checkout))
    audit = tmp_path / "audit.jsonl"
    with echo_server() as url:
        monkeypatch.setenv("ECHO_SLACK_URL", url + HOOK_PATH)
        result = CliRunner().invoke(app, [
            "ticket", "sync", str(triage), "--config", str(_config(tmp_path, url)),
            "--audit", str(audit), "--format", output])
    assert result.exit_code == 1, result.output
    logged = audit.read_text()
    assert logged.count('"failed"') == 4  # every system failed, and said why
    assert "bad auth Basic ***" in logged and "invalid_payload ***" in logged
    for secret in SECRETS:
        for text in (result.output, logged):
            assert secret not in text
            assert quote(secret, safe="") not in text


def test_a_secret_cut_by_the_length_limit_is_not_half_shown() -> None:
    secret = "cutsecret-0123456789"
    body = "x" * 290 + " " + secret  # the 300-character cut falls inside the secret
    client = httpx.Client(transport=httpx.MockTransport(
        lambda _r: httpx.Response(400, text=body)))
    sender = Sender(client, "slack", secrets=[secret])
    with pytest.raises(Exception) as caught:
        sender.request("POST", "https://hooks.example.test/x", label="webhook")
    assert "cutsecret" not in str(caught.value) and "***" in str(caught.value)


def test_a_webhook_url_is_scrubbed_by_its_path_and_token_too() -> None:
    hook = "https://hooks.slack.com/services/T000/B000/XXXXSECRET"
    text = ("sent to /services/T000/B000/XXXXSECRET and services/T000/B000/XXXXSECRET, "
            "%2Fservices%2FT000%2FB000%2FXXXXSECRET, \\/services\\/T000\\/B000\\/XXXXSECRET"
            " token XXXXSECRET")
    clean = scrub(text, [hook])
    assert "XXXXSECRET" not in clean and "T000" not in clean
    assert clean.startswith("sent to *** and ***")


class _Leaky:
    """An integration whose failure message carries the webhook (not through Sender)."""

    name = "slack"

    def __init__(self, secret: str) -> None:
        self.secret = secret

    def sync(self, view: Any, tickets: Any) -> Any:
        raise OncallError(f"could not post to {self.secret}")

    def resolve(self, view: Any, notes: str, tickets: Any) -> Any:
        raise OncallError(f"could not post to {self.secret}")


def test_ticketing_scrubs_every_message_and_audit_record(checkout: dict[str, Any],
                                                         tmp_path: Path) -> None:
    hook = "https://hooks.slack.com/services/T000/B000/XXXXSECRET"
    audit = AuditLog(tmp_path / "a.jsonl")
    leaky = _Leaky(hook.split(".com", 1)[1])  # only the path: the URL itself never shows
    result = Ticketing([leaky], audit=audit, secrets=[hook]).sync(checkout)
    assert [a.detail for a in result.actions] == ["could not post to ***"]
    assert "XXXXSECRET" not in (tmp_path / "a.jsonl").read_text()
