"""Secrets and personal data are cut out of every request before it leaves the process.

Alerts, log lines and runbooks routinely carry tokens, connection strings and customer
emails; a hosted model must never see them. Each match becomes `[REDACTED:<kind>]`, so
the model still knows something was there (and the prompt says not to ask for it).
The patterns prefer false positives on secrets and stay narrow on identifiers the
analysis needs: trace ids, fingerprints, pod names and versions are left alone.
"""

from __future__ import annotations

import ipaddress
import re
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

_SECRET_NAME = (
    r"[\w.-]*(?:password|passwd|passphrase|pwd|secret|token|api[_-]?key|apikey|"
    r"access[_-]?key|private[_-]?key|client[_-]?secret|credentials?|session[_-]?id|cookie|"
    r"authorization)"
    r"[\w.-]*"
)

# (kind, pattern); order matters: whole blocks and specific token
# formats first, so a generic rule never leaves half a secret behind.
_RULES: tuple[tuple[str, str], ...] = (
    ("private_key", r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----.*?(?:-----END [A-Z0-9 ]*PRIVATE "
                    r"KEY-----|\Z)"),
    ("url_credentials", r"(?<=://)[^\s/@:]+:[^\s/@]+(?=@)"),
    ("auth", r"(?i)(?<=\bbearer )[A-Za-z0-9._~+/=-]{6,}"),
    ("auth", r"(?i)(?<=\bbasic )[A-Za-z0-9+/=]{6,}"),
    ("auth", r"(?i)(?<=authorization: )(?!bearer |basic )\S+"),
    ("jwt", r"\beyJ[\w-]{5,}\.[\w-]{5,}\.[\w-]{5,}"),
    ("aws_key", r"\b(?:AKIA|ASIA|AGPA|AIDA|AROA|ANPA|ANVA|AIPA)[A-Z0-9]{16}\b"),
    ("token", r"\b(?:gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,})"),
    ("token", r"\bxox[abprs]-[A-Za-z0-9-]{10,}"),
    ("token", r"\b(?:sk|rk|pk)_(?:live|test)_[A-Za-z0-9]{10,}"),
    ("token", r"\bsk-(?:proj-|ant-)?[A-Za-z0-9_-]{20,}"),
    ("token", r"\bAIza[0-9A-Za-z_-]{35}\b"),
    ("token", r"\bglpat-[A-Za-z0-9_-]{20,}"),
    ("email", r"\b[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}\b"),
    ("ip", r"(?<![\w.])(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(?:\.(?:25[0-5]|2[0-4]\d|1\d\d|"
           r"[1-9]?\d)){3}(?!\w|\.\d)"),
)
# name=value, "name": "value", name: value for secret-looking names; the name is kept
_SECRET_ASSIGNMENT = re.compile(
    rf"(?i)(?<![\w.-])({_SECRET_NAME})([\"']?\s*[:=]\s*)"
    r"(?![\"']?\[REDACTED|(?:bearer|basic)\s)"  # already cut, or left to the auth rules
    r"(\"[^\"\n]*\"|'[^'\n]*'|[^\s,;&}\]]+)"
)
_IPV6_CANDIDATE = re.compile(r"(?<![\w:])[0-9A-Fa-f:]{3,39}(?![\w:])")


@dataclass(slots=True)
class Redacted:
    """The cleaned text and how many of each kind were cut (never the values)."""

    text: str
    counts: Counter[str] = field(default_factory=Counter)


class Redactor:
    """Built-in rules plus the user's extra regular expressions (`llm.redact`)."""

    def __init__(self, extra: Iterable[str] = (), literals: Iterable[str] = ()) -> None:
        self._rules: list[tuple[str, re.Pattern[str]]] = [
            (kind, re.compile(pattern, re.DOTALL if kind == "private_key" else 0))
            for kind, pattern in _RULES
        ]
        self._extra = [re.compile(p) for p in extra]
        # exact strings that must never leave (the configured API key itself)
        self._literals = sorted({s for s in literals if s and len(s) >= 4}, key=len, reverse=True)

    def __call__(self, text: str) -> Redacted:
        counts: Counter[str] = Counter()
        for literal in self._literals:
            if literal in text:
                counts["literal"] += text.count(literal)
                text = text.replace(literal, "[REDACTED:literal]")
        for kind, pattern in self._rules:
            text = _sub(pattern, text, counts, kind, _placeholder(kind))
        text = _sub(_SECRET_ASSIGNMENT, text, counts, "secret",
                    lambda m: f"{m.group(1)}{m.group(2)}[REDACTED:secret]")
        text = _sub(_IPV6_CANDIDATE, text, counts, "ip", _ipv6_or_same)
        for pattern in self._extra:
            text = _sub(pattern, text, counts, "custom", _placeholder("custom"))
        return Redacted(text, counts)


def _sub(pattern: re.Pattern[str], text: str, counts: Counter[str], kind: str,
         build: Callable[[re.Match[str]], str]) -> str:
    def one(match: re.Match[str]) -> str:
        out = build(match)
        if out != match.group(0):
            counts[kind] += 1
        return out

    return pattern.sub(one, text)


def _placeholder(kind: str) -> Callable[[re.Match[str]], str]:
    return lambda _match: f"[REDACTED:{kind}]"


def _ipv6_or_same(match: re.Match[str]) -> str:
    """Times (02:19:00) and MAC-like strings are not addresses; `ipaddress` decides."""
    candidate = match.group(0)
    if candidate.count(":") < 2 or not any(c.isalnum() for c in candidate):
        return candidate
    try:
        ipaddress.IPv6Address(candidate)
    except ValueError:
        return candidate
    if "::" not in candidate and candidate.count(":") < 7:
        return candidate
    return "[REDACTED:ip]"
