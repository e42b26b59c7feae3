"""Redaction: secrets and personal data never reach a model; analysis identifiers stay."""

from __future__ import annotations

import pytest

from oncall.llm.redact import Redactor


@pytest.mark.parametrize(("text", "secret", "kind"), [
    ("Authorization: Bearer abc.def-ghi_jkl", "abc.def-ghi_jkl", "auth"),
    ("curl -H 'Authorization: Basic dXNlcjpwYXNzd29yZA=='", "dXNlcjpwYXNzd29yZA==", "auth"),
    ("password=hunter2 user=bob", "hunter2", "secret"),
    ('{"db_password": "p@ss word"}', "p@ss word", "secret"),
    ("client_secret: s3cr3tvalue", "s3cr3tvalue", "secret"),
    ("X-Api-Key: abcdef123456", "abcdef123456", "secret"),
    ("aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
     "wJalrXUtnFEMI/K7MDENG", "secret"),
    ("key id AKIAIOSFODNN7EXAMPLE in use", "AKIAIOSFODNN7EXAMPLE", "aws_key"),
    ("postgres://admin:s3cr3t@db.internal:5432/orders", "s3cr3t", "url_credentials"),
    ("jwt eyJhbGciOiJIUzI1.eyJzdWIiOiIxMjM0.SflKxwRJSMeKKF2QT4", "SflKxwRJSMeKKF2QT4", "jwt"),
    ("gh token ghp_abcdefghijklmnopqrstuvwxyz0123", "ghp_abcdefghij", "token"),
    ("slack xoxb-1234567890-abcdefghij", "xoxb-1234567890", "token"),
    ("openai sk-proj-abcdefghijklmnopqrstuvwx", "sk-proj-abcdefghij", "token"),
    ("-----BEGIN RSA PRIVATE KEY-----\nMIIEabc\n-----END RSA PRIVATE KEY-----", "MIIEabc",
     "private_key"),
    ("mail jane.doe@example.com now", "jane.doe@example.com", "email"),
    ("from 10.0.12.7 to", "10.0.12.7", "ip"),
    ("peer 2001:db8::17 reset", "2001:db8::17", "ip"),
])
def test_each_kind_is_cut(text: str, secret: str, kind: str) -> None:
    out = Redactor()(text)
    assert secret not in out.text
    assert f"[REDACTED:{kind}]" in out.text
    assert out.counts[kind] >= 1


def test_analysis_identifiers_are_left_alone() -> None:
    text = ("trace_id=4bf92f3577b34da6a3ce929d0e0e4736 fingerprint 2f1c2bc2c5 at 02:19:00Z "
            "pod checkout-7d9f-x2k version 4.12.0 change cfg-2291 [H1.E2] p95 0.108 -> 2.63")
    out = Redactor()(text)
    assert out.text == text and not out.counts


def test_extra_patterns_and_literals() -> None:
    redact = Redactor(extra=[r"cust-\d{6}"], literals=["my-provider-key-123"])
    out = redact("customer cust-004211 used my-provider-key-123")
    assert out.text == "customer [REDACTED:custom] used [REDACTED:literal]"
    assert out.counts == {"custom": 1, "literal": 1}
