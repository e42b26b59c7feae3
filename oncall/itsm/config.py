"""The `itsm:` configuration: which ticketing and paging systems to sync, and how.

`parse_itsm` is a pure function of the decoded section, so the same block can live in
`oncall.yaml` or in a file of its own (`--config FILE`); `load_itsm_file` only reads the
YAML. Every key is checked before anything is sent: a typo is one line naming the file
and field (exit 2), not a ticket that silently never opens during a page.

Secrets never sit in the file. Each system names the environment variables that hold
them (`user_env`, `password_env`, `token_env`, `routing_key_env`, `webhook_url_env`),
with conventional defaults; an inline `password:` or `token:` is refused, because
configuration files get committed and pasted into tickets.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from oncall.config import BadURL, check_url
from oncall.errors import InputError
from oncall.sources.fields import Fields
from oncall.sources.yamlsafe import safe_load
from oncall.xdg import config_dir

SYSTEMS: tuple[str, ...] = ("servicenow", "pagerduty", "jira", "slack")
PAGERDUTY_EVENTS_URL = "https://events.pagerduty.com/v2/enqueue"
MAX_FILE_BYTES = 1024 * 1024
_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,127}")
_INLINE_SECRETS = frozenset({"password", "token", "api_token", "routing_key", "webhook_url",
                             "integration_key", "secret"})
_TOP_KEYS = frozenset({*SYSTEMS, "timeout_seconds", "retries", "correlation_prefix"})
_PREFIX = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,30}")


@dataclass(frozen=True, slots=True)
class ServiceNowConfig:
    instance_url: str
    user_env: str | None = "SERVICENOW_USER"
    password_env: str | None = "SERVICENOW_PASSWORD"
    token_env: str | None = None  # OAuth bearer token; replaces user/password
    assignment_group_map: dict[str, str] = field(default_factory=dict)  # owner -> group
    cmdb_ci_map: dict[str, str] = field(default_factory=dict)  # service -> CI
    close_code: str = "Solution provided"
    caller: str | None = None


@dataclass(frozen=True, slots=True)
class PagerDutyConfig:
    routing_key_env: str = "PAGERDUTY_ROUTING_KEY"
    url: str = PAGERDUTY_EVENTS_URL
    source: str = "oncall"


@dataclass(frozen=True, slots=True)
class JiraConfig:
    url: str
    project: str
    email_env: str = "JIRA_EMAIL"
    token_env: str = "JIRA_API_TOKEN"
    issue_type: str = "Incident"
    transition_resolved: str = "Resolved"
    resolution: str | None = None  # e.g. "Done", when the transition screen asks for it
    set_priority: bool = False  # many service-desk screens refuse `priority` on create


@dataclass(frozen=True, slots=True)
class SlackConfig:
    webhook_url_env: str = "SLACK_WEBHOOK_URL"


@dataclass(frozen=True, slots=True)
class ItsmConfig:
    origin: str = "itsm"  # the file the section came from, for error messages
    servicenow: ServiceNowConfig | None = None
    pagerduty: PagerDutyConfig | None = None
    jira: JiraConfig | None = None
    slack: SlackConfig | None = None
    timeout_seconds: float = 10.0
    retries: int = 3
    correlation_prefix: str = "oncall-"

    @property
    def configured(self) -> tuple[str, ...]:
        return tuple(s for s in SYSTEMS if getattr(self, s) is not None)


def default_itsm_path(env: Mapping[str, str] | None = None) -> Path:
    """`$ONCALL_CONFIG`, else `oncall.yaml` in the XDG config directory."""
    env = os.environ if env is None else env
    if env.get("ONCALL_CONFIG"):
        return Path(env["ONCALL_CONFIG"])
    return config_dir() / "oncall.yaml"


def load_itsm_file(path: Path) -> ItsmConfig:
    """Reads `path` (YAML with a top-level `itsm:` section) and validates the section."""
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            raise InputError(str(path), f"is larger than {MAX_FILE_BYTES // 1024} KiB")
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(str(path), "not found (write an itsm: section, see docs/itsm.md, "
                         "or pass --config FILE)") from None
    except UnicodeDecodeError:
        raise InputError(str(path), "is not UTF-8 text") from None
    except OSError as exc:
        raise InputError(str(path), f"cannot be read ({exc.strerror})") from None
    try:
        doc = safe_load(text)
    except yaml.YAMLError as exc:  # includes the alias guard's ConstructorError
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        raise InputError(str(path), f"is not valid YAML{where}") from None
    f = Fields(str(path))
    top = f.mapping(doc if doc is not None else {}, "")
    if top.get("itsm") is None:
        raise InputError(str(path), "has no itsm: section (see docs/itsm.md)", field="itsm")
    return parse_itsm(f.mapping(top["itsm"], "itsm"), str(path))


def parse_itsm(section: Mapping[str, Any], origin: str = "oncall.yaml",
               where: str = "itsm") -> ItsmConfig:
    """Validates a decoded `itsm:` section; errors name `origin` and the field path."""
    f = Fields(origin)
    doc = f.mapping(dict(section), where)
    _no_unknown(f, doc, _TOP_KEYS, where)
    prefix = f.text(doc, "correlation_prefix", where, required=False) or "oncall-"
    if not _PREFIX.fullmatch(prefix):
        raise f.fail(f"{where}.correlation_prefix",
                     "use letters, digits and . _ : - (at most 31 characters)")
    return ItsmConfig(
        origin=origin,
        servicenow=_servicenow(f, doc, f"{where}.servicenow"),
        pagerduty=_pagerduty(f, doc, f"{where}.pagerduty"),
        jira=_jira(f, doc, f"{where}.jira"),
        slack=_slack(f, doc, f"{where}.slack"),
        timeout_seconds=_number(f, doc, "timeout_seconds", where, 10.0, 0.1, 300.0),
        retries=int(_number(f, doc, "retries", where, 3, 0, 10, integer=True)),
        correlation_prefix=prefix,
    )


def _block(f: Fields, doc: dict[str, Any], where: str) -> dict[str, Any] | None:
    key = where.rsplit(".", 1)[-1]
    if doc.get(key) is None:
        return None
    block = f.mapping(doc[key], where)
    for secret in sorted(_INLINE_SECRETS & set(block)):
        raise f.fail(f"{where}.{secret}", f"secrets are not read from files; put it in an "
                     f"environment variable and name it with {secret}_env")
    return block


def _servicenow(f: Fields, doc: dict[str, Any], where: str) -> ServiceNowConfig | None:
    block = _block(f, doc, where)
    if block is None:
        return None
    _no_unknown(f, block, frozenset({"instance_url", "user_env", "password_env", "token_env",
                                     "assignment_group_map", "cmdb_ci_map", "close_code",
                                     "caller"}), where)
    token_env = _env(f, block, "token_env", where, None)
    user_env = _env(f, block, "user_env", where, None if token_env else "SERVICENOW_USER")
    password_env = _env(f, block, "password_env", where,
                        None if token_env else "SERVICENOW_PASSWORD")
    if token_env and (block.get("user_env") or block.get("password_env")):
        raise f.fail(f"{where}.token_env", "give token_env or user_env/password_env, not both")
    if bool(user_env) != bool(password_env):
        raise f.fail(f"{where}.password_env", "user_env and password_env go together")
    return ServiceNowConfig(
        instance_url=_url(f, block, "instance_url", where),
        user_env=user_env, password_env=password_env, token_env=token_env,
        assignment_group_map=_text_map(f, block, "assignment_group_map", where),
        cmdb_ci_map=_text_map(f, block, "cmdb_ci_map", where),
        close_code=f.text(block, "close_code", where, required=False) or "Solution provided",
        caller=f.text(block, "caller", where, required=False) or None,
    )


def _pagerduty(f: Fields, doc: dict[str, Any], where: str) -> PagerDutyConfig | None:
    block = _block(f, doc, where)
    if block is None:
        return None
    _no_unknown(f, block, frozenset({"routing_key_env", "url", "source"}), where)
    return PagerDutyConfig(
        routing_key_env=_env(f, block, "routing_key_env", where, "PAGERDUTY_ROUTING_KEY")
        or "PAGERDUTY_ROUTING_KEY",
        url=_url(f, block, "url", where, PAGERDUTY_EVENTS_URL),
        source=f.text(block, "source", where, required=False) or "oncall",
    )


def _jira(f: Fields, doc: dict[str, Any], where: str) -> JiraConfig | None:
    block = _block(f, doc, where)
    if block is None:
        return None
    _no_unknown(f, block, frozenset({"url", "project", "email_env", "token_env", "issue_type",
                                     "transition_resolved", "resolution", "set_priority"}),
                where)
    project = f.text(block, "project", where)
    if not re.fullmatch(r"[A-Z][A-Z0-9_]{0,19}", project):
        raise f.fail(f"{where}.project", f"{project!r} is not a Jira project key (like OPS)")
    set_priority = block.get("set_priority", False)
    if not isinstance(set_priority, bool):
        raise f.fail(f"{where}.set_priority", "expected true or false")
    return JiraConfig(
        url=_url(f, block, "url", where),
        project=project,
        email_env=_env(f, block, "email_env", where, "JIRA_EMAIL") or "JIRA_EMAIL",
        token_env=_env(f, block, "token_env", where, "JIRA_API_TOKEN") or "JIRA_API_TOKEN",
        issue_type=f.text(block, "issue_type", where, required=False) or "Incident",
        transition_resolved=f.text(block, "transition_resolved", where, required=False)
        or "Resolved",
        resolution=f.text(block, "resolution", where, required=False) or None,
        set_priority=set_priority,
    )


def _slack(f: Fields, doc: dict[str, Any], where: str) -> SlackConfig | None:
    block = _block(f, doc, where)
    if block is None:
        return None
    _no_unknown(f, block, frozenset({"webhook_url_env"}), where)
    return SlackConfig(webhook_url_env=_env(f, block, "webhook_url_env", where,
                                            "SLACK_WEBHOOK_URL") or "SLACK_WEBHOOK_URL")


# ---- field helpers --------------------------------------------------------------------


def _no_unknown(f: Fields, obj: dict[str, Any], allowed: frozenset[str], where: str) -> None:
    for key in obj:
        if key not in allowed:
            raise f.fail(f"{where}.{key}", f"unknown key (expected one of "
                         f"{', '.join(sorted(allowed))})")


def _env(f: Fields, obj: dict[str, Any], key: str, where: str,
         default: str | None) -> str | None:
    name = f.text(obj, key, where, required=False)
    if not name:
        return default
    if not _ENV_NAME.fullmatch(name):
        raise f.fail(f"{where}.{key}", f"{name!r} is not an environment variable name")
    return name


def _url(f: Fields, obj: dict[str, Any], key: str, where: str,
         default: str | None = None) -> str:
    text = f.text(obj, key, where, required=default is None) or (default or "")
    try:
        return check_url(text)
    except BadURL as exc:
        raise f.fail(f"{where}.{key}", str(exc)) from None


def _text_map(f: Fields, obj: dict[str, Any], key: str, where: str) -> dict[str, str]:
    raw = f.get_mapping(obj, key, where)
    out: dict[str, str] = {}
    for name, value in raw.items():
        if isinstance(value, bool) or not isinstance(value, str | int) or value == "":
            raise f.fail(f"{where}.{key}.{name}", "expected a non-empty string")
        out[str(name)] = str(value)
    return out


def _number(f: Fields, obj: dict[str, Any], key: str, where: str, default: float,
            low: float, high: float, integer: bool = False) -> float:
    value = obj.get(key)
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int | float) or (
            integer and not isinstance(value, int)):
        raise f.fail(f"{where}.{key}", f"expected {'an integer' if integer else 'a number'}")
    if not low <= value <= high:
        raise f.fail(f"{where}.{key}", f"must be between {low:g} and {high:g}")
    return float(value)
