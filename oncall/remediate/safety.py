"""What may go into a proposed command line, and how it is written there.

Service names, namespaces, pod names, change ids and revisions come from input files
(alert labels, the change log, traces): anyone who can push an alert or a change record
chooses them. A proposed command is meant to be pasted into a shell or handed to an
executor, so a name like `checkout; kubectl delete ns prod` must never reach it.

Two layers, both always applied:
1. Validation: Kubernetes object names follow DNS-1123 (a namespace is a label, a
   Deployment or Pod name a subdomain); anything else cannot name a real object, so a
   command built from it is refused rather than "fixed". Change ids and revisions are
   not Kubernetes names; they must be one plain token (letters, digits, `.`, `_`, `-`,
   starting with a letter or digit, so never an `--option`).
2. Quoting: every value that does pass is still written with `shlex.quote`, so a
   future relaxation of the rules cannot reintroduce injection.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass

# DNS-1123 label: lowercase alphanumerics and '-', alphanumeric at both ends, <= 63.
_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?")
# Change ids and revisions: one token that cannot be read as an option or shell syntax.
_TOKEN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}")
MAX_SUBDOMAIN = 253


def is_dns1123_label(name: str) -> bool:
    """A namespace (and most object names): RFC 1123 label as Kubernetes defines it."""
    return _LABEL.fullmatch(name) is not None


def is_dns1123_subdomain(name: str) -> bool:
    """A Deployment or Pod name: dot-separated DNS-1123 labels, at most 253 characters."""
    if not name or len(name) > MAX_SUBDOMAIN:
        return False
    return all(is_dns1123_label(part) for part in name.split("."))


def is_safe_token(value: str) -> bool:
    """A change id or revision: a single word, never an option, no shell syntax."""
    return _TOKEN.fullmatch(value) is not None


@dataclass(frozen=True, slots=True)
class Checked:
    """The values a command may use, with the reasons the others were refused."""

    service: str | None
    namespace: str | None
    pod: str | None
    change: str | None
    revision: str | None
    refused: tuple[str, ...]


def check(service: str, namespace: str = "", pod: str | None = None,
          change: str | None = None, revision: str | None = None) -> Checked:
    """Validates every value that may go into a command; a refused one becomes None."""
    refused: list[str] = []

    def keep(value: str | None, ok: bool, what: str, rule: str) -> str | None:
        if not value:
            return None
        if ok:
            return value
        refused.append(f"{what} {shown(value)} is not {rule}")
        return None

    k8s = "a valid Kubernetes name (DNS-1123)"
    token = "a plain identifier"
    return Checked(
        service=keep(service, is_dns1123_subdomain(service), "service", k8s),
        namespace=keep(namespace, is_dns1123_label(namespace), "namespace", k8s),
        pod=keep(pod, pod is not None and is_dns1123_subdomain(pod), "pod", k8s),
        change=keep(change, change is not None and is_safe_token(change), "change id", token),
        revision=keep(revision, revision is not None and is_safe_token(revision),
                      "revision", token),
        refused=tuple(refused),
    )


def command(*argv: str) -> str:
    """An argument list written as one shell-safe line (every word quoted as needed)."""
    return shlex.join(argv)


def quote(value: str) -> str:
    return shlex.quote(value)


def shown(value: str, limit: int = 60) -> str:
    """A value for a message: as is when it is a plain name, else repr (so quotes, shell
    syntax and control characters show for what they are), truncated."""
    if is_dns1123_subdomain(value) or is_safe_token(value):
        return value
    text = value if len(value) <= limit else value[:limit] + "..."
    return repr(text)
