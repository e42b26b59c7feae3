"""The `executors:` section: which toolchains may act, and how to reach them.

It is read from its own YAML file today (`oncall act --executor-config FILE`); the
section has the same shape inside `oncall.yaml`, so the loader there can hand its
`executors` mapping to `parse_executor_config` unchanged.

Everything is checked before anything runs, so a typo is one line naming the file and
the field, not a half-done remediation at 2 a.m.: unknown keys, wrong types, a URL that
is not http(s), a route to an executor that is not configured, a command template whose
placeholder is not a whole argument. Secrets never sit in the file: a token or header
value names an environment variable, read only when the call is made; an inline
`token:` or `headers:` is refused because config files get committed and pasted.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from oncall.config import BadURL, check_url
from oncall.errors import InputError
from oncall.model import ACTIONS
from oncall.remediate.safety import is_dns1123_label, is_dns1123_subdomain, is_safe_token
from oncall.sources.fields import Fields
from oncall.sources.yamlsafe import safe_load

PLACEHOLDERS = ("action", "service", "incident", "namespace", "pod", "change", "revision")
EXECUTOR_NAMES = ("kubernetes", "argocd", "flags", "command")
MAX_CONFIG_BYTES = 1024 * 1024
_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,127}")
_HEADER = re.compile(r"[A-Za-z0-9-]{1,64}")
_PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")
_INLINE_SECRETS = frozenset({"token", "password", "api_key", "secret", "headers",
                             "authorization", "bearer_token"})


@dataclass(frozen=True, slots=True)
class HttpSettings:
    """How to reach one HTTP service; the token is read from `token_env` per call."""

    url: str
    token_env: str | None = None
    headers_env: dict[str, str] = field(default_factory=dict)  # header -> env variable
    timeout_seconds: float = 10.0
    retries: int = 2


@dataclass(frozen=True, slots=True)
class KubernetesConfig:
    kubectl: str = "kubectl"
    context: str | None = None
    namespace: str | None = None  # used when the incident names none
    dry_run: str = "server"  # server | client
    timeout_seconds: float = 60.0
    max_replicas: int = 50


@dataclass(frozen=True, slots=True)
class ArgoCDConfig:
    http: HttpSettings
    apps: dict[str, str] = field(default_factory=dict)  # service -> application


@dataclass(frozen=True, slots=True)
class FlagsConfig:
    services: dict[str, str]  # service -> flag key
    flagd_file: Path | None = None
    http: HttpSettings | None = None
    off_variant: str = "off"
    mode: str = "variant"  # variant: defaultVariant -> off_variant | state: DISABLED
    enabled_field: str = "enabled"  # the HTTP flag service's on/off field


@dataclass(frozen=True, slots=True)
class WebhookConfig:
    name: str
    http: HttpSettings
    method: str = "POST"
    actions: tuple[str, ...] = ()
    dry_run: bool = False  # the receiver honours "dry_run": true without acting
    undo: bool = False  # the receiver honours "undo": true and reverses the action


@dataclass(frozen=True, slots=True)
class CommandTemplate:
    action: str
    run: tuple[str, ...]
    undo: tuple[str, ...] | None = None
    dry_run: tuple[str, ...] | None = None
    timeout_seconds: float = 60.0


@dataclass(frozen=True, slots=True)
class ExecutorConfig:
    source: str = "(no executor config)"
    kubernetes: KubernetesConfig | None = None
    argocd: ArgoCDConfig | None = None
    flags: FlagsConfig | None = None
    webhooks: dict[str, WebhookConfig] = field(default_factory=dict)
    commands: dict[str, CommandTemplate] = field(default_factory=dict)
    routes: dict[str, str] = field(default_factory=dict)  # action -> executor


def load_executor_config(path: Path) -> ExecutorConfig:
    """Reads FILE's `executors:` section; any problem is an `InputError` naming the field."""
    where = str(path)
    try:
        if path.stat().st_size > MAX_CONFIG_BYTES:
            raise InputError(where, f"is over {MAX_CONFIG_BYTES // 1024} KiB")
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise InputError(where, "no such executor config file") from None
    except UnicodeDecodeError:
        raise InputError(where, "is not UTF-8 text") from None
    except OSError as exc:
        raise InputError(where, f"cannot be read ({exc.strerror})") from None
    try:
        body = safe_load(text)
    except yaml.YAMLError as exc:
        first = " ".join(str(exc).split())[:200]
        raise InputError(where, f"is not valid YAML ({first})") from None
    f = Fields(where)
    top = f.mapping(body if body is not None else {}, "")
    if "executors" not in top:
        raise f.fail("executors", "is required (the section that configures executors)")
    return parse_executor_config(top["executors"], where)


def parse_executor_config(section: Any, path: str) -> ExecutorConfig:
    f = Fields(path)
    obj = f.mapping(section if section is not None else {}, "executors")
    _only(f, obj, "executors", {"kubernetes", "argocd", "flags", "webhooks", "commands",
                                "routes"})
    webhooks = {}
    for name, raw in f.get_mapping(obj, "webhooks", "executors").items():
        where = f"executors.webhooks.{name}"
        if not is_safe_token(str(name)):
            raise f.fail(where, "a webhook name must be one plain word")
        webhooks[str(name)] = _webhook(f, str(name), raw, where)
    commands = {}
    for action, raw in f.get_mapping(obj, "commands", "executors").items():
        where = f"executors.commands.{action}"
        _action(f, str(action), where)
        commands[str(action)] = _command(f, str(action), raw, where)
    config = ExecutorConfig(
        source=path,
        kubernetes=_kubernetes(f, obj["kubernetes"]) if obj.get("kubernetes") is not None
        else None,
        argocd=_argocd(f, obj["argocd"]) if obj.get("argocd") is not None else None,
        flags=_flags(f, obj["flags"]) if obj.get("flags") is not None else None,
        webhooks=webhooks,
        commands=commands,
    )
    routes = _routes(f, obj, config)
    return ExecutorConfig(config.source, config.kubernetes, config.argocd, config.flags,
                          config.webhooks, config.commands, routes)


def _only(f: Fields, obj: dict[str, Any], where: str, allowed: set[str]) -> None:
    for key in obj:
        if key in _INLINE_SECRETS:
            raise f.fail(f"{where}.{key}", "secrets never go in the file: name an environment "
                         "variable (token_env, headers_env)")
        if key not in allowed:
            raise f.fail(f"{where}.{key}", f"unknown key (expected one of "
                         f"{', '.join(sorted(allowed))})")


def _action(f: Fields, action: str, where: str) -> None:
    if action not in ACTIONS:
        raise f.fail(where, f"unknown action {action[:60]!r} (expected one of "
                     f"{', '.join(ACTIONS)})")


def _seconds(f: Fields, obj: dict[str, Any], key: str, where: str, default: float) -> float:
    if obj.get(key) is None:
        return default
    value = f.number(obj[key], f"{where}.{key}")
    if not 0 < value <= 3600:
        raise f.fail(f"{where}.{key}", "must be between 0 and 3600 seconds")
    return value


def _count(f: Fields, obj: dict[str, Any], key: str, where: str, default: int,
           low: int, high: int) -> int:
    if obj.get(key) is None:
        return default
    value = f.integer(obj[key], f"{where}.{key}")
    if not low <= value <= high:
        raise f.fail(f"{where}.{key}", f"must be between {low} and {high}")
    return value


def _flag(f: Fields, obj: dict[str, Any], key: str, where: str) -> bool:
    value = obj.get(key, False)
    if not isinstance(value, bool):
        raise f.fail(f"{where}.{key}", "expected true or false")
    return value


def _env(f: Fields, value: str, where: str) -> str:
    if not _ENV_NAME.fullmatch(value):
        raise f.fail(where, "expected the name of an environment variable")
    return value


def _http(f: Fields, obj: dict[str, Any], where: str) -> HttpSettings:
    try:
        url = check_url(f.text(obj, "url", where))
    except BadURL as exc:
        raise f.fail(f"{where}.url", str(exc)) from None
    token_env = f.optional_scalar(obj, "token_env", where)
    headers = {}
    for header, variable in f.string_map(obj, "headers_env", where).items():
        if not _HEADER.fullmatch(header):
            raise f.fail(f"{where}.headers_env.{header}", "not a valid header name")
        headers[header] = _env(f, variable, f"{where}.headers_env.{header}")
    return HttpSettings(
        url=url,
        token_env=_env(f, token_env, f"{where}.token_env") if token_env else None,
        headers_env=headers,
        timeout_seconds=_seconds(f, obj, "timeout_seconds", where, 10.0),
        retries=_count(f, obj, "retries", where, 2, 0, 5),
    )


_HTTP_KEYS = {"url", "token_env", "headers_env", "timeout_seconds", "retries"}


def _kubernetes(f: Fields, raw: Any) -> KubernetesConfig:
    where = "executors.kubernetes"
    obj = f.mapping(raw, where)
    _only(f, obj, where, {"kubectl", "context", "namespace", "dry_run", "timeout_seconds",
                          "max_replicas"})
    kubectl = f.text(obj, "kubectl", where, required=False) or "kubectl"
    if kubectl.startswith("-") or "{" in kubectl:
        raise f.fail(f"{where}.kubectl", "expected a program name or path")
    context = f.optional_scalar(obj, "context", where)
    if context is not None and (context.startswith("-") or not context.isprintable()):
        raise f.fail(f"{where}.context", "expected a kubeconfig context name")
    namespace = f.optional_scalar(obj, "namespace", where)
    if namespace is not None and not is_dns1123_label(namespace):
        raise f.fail(f"{where}.namespace", "not a valid Kubernetes namespace (DNS-1123)")
    dry_run = f.text(obj, "dry_run", where, required=False) or "server"
    if dry_run not in ("server", "client"):
        raise f.fail(f"{where}.dry_run", "expected server or client")
    return KubernetesConfig(kubectl, context, namespace, dry_run,
                            _seconds(f, obj, "timeout_seconds", where, 60.0),
                            _count(f, obj, "max_replicas", where, 50, 1, 10000))


def _argocd(f: Fields, raw: Any) -> ArgoCDConfig:
    where = "executors.argocd"
    obj = f.mapping(raw, where)
    _only(f, obj, where, _HTTP_KEYS | {"apps"})
    apps = f.string_map(obj, "apps", where)
    for service, app in apps.items():
        if not is_dns1123_subdomain(app):
            raise f.fail(f"{where}.apps.{service}", "not a valid Argo CD application name")
    return ArgoCDConfig(_http(f, obj, where), apps)


def _flags(f: Fields, raw: Any) -> FlagsConfig:
    where = "executors.flags"
    obj = f.mapping(raw, where)
    _only(f, obj, where, _HTTP_KEYS | {"flagd_file", "services", "off_variant", "mode",
                                       "enabled_field"})
    file = f.optional_scalar(obj, "flagd_file", where)
    if (file is None) == (obj.get("url") is None):
        raise f.fail(where, "set exactly one of flagd_file or url")
    services = f.string_map(obj, "services", where)
    for service, key in services.items():
        if not is_safe_token(key):
            raise f.fail(f"{where}.services.{service}", "a flag key must be one plain word")
    mode = f.text(obj, "mode", where, required=False) or "variant"
    if mode not in ("variant", "state"):
        raise f.fail(f"{where}.mode", "expected variant or state")
    off = f.text(obj, "off_variant", where, required=False) or "off"
    enabled = f.text(obj, "enabled_field", where, required=False) or "enabled"
    return FlagsConfig(
        services=services, flagd_file=Path(file).expanduser() if file else None,
        http=_http(f, obj, where) if file is None else None, off_variant=off, mode=mode,
        enabled_field=enabled,
    )


def _webhook(f: Fields, name: str, raw: Any, where: str) -> WebhookConfig:
    obj = f.mapping(raw, where)
    _only(f, obj, where, _HTTP_KEYS | {"method", "actions", "dry_run", "undo"})
    method = (f.text(obj, "method", where, required=False) or "POST").upper()
    if method not in ("POST", "PUT", "PATCH"):
        raise f.fail(f"{where}.method", "expected POST, PUT or PATCH")
    actions = f.scalar_list(obj, "actions", where)
    for i, action in enumerate(actions):
        _action(f, action, f"{where}.actions[{i}]")
    return WebhookConfig(name, _http(f, obj, where), method, actions,
                         _flag(f, obj, "dry_run", where), _flag(f, obj, "undo", where))


def _argv(f: Fields, raw: Any, where: str) -> tuple[str, ...]:
    items = f.sequence(raw, where)
    if not items:
        raise f.fail(where, "expected a non-empty argument list")
    argv: list[str] = []
    for i, item in enumerate(items):
        at = f"{where}[{i}]"
        if isinstance(item, bool) or not isinstance(item, str | int | float):
            raise f.fail(at, "expected a string")
        word = str(item)
        if "{" in word or "}" in word:
            match = _PLACEHOLDER.fullmatch(word)
            if match is None:
                raise f.fail(at, "a placeholder must be a whole argument, like \"{service}\" "
                             "(never part of one)")
            if match.group(1) not in PLACEHOLDERS:
                raise f.fail(at, f"unknown placeholder (expected one of "
                             f"{', '.join('{' + p + '}' for p in PLACEHOLDERS)})")
            if i == 0:
                raise f.fail(at, "the program must be written out, not a placeholder")
        argv.append(word)
    return tuple(argv)


def _command(f: Fields, action: str, raw: Any, where: str) -> CommandTemplate:
    obj = f.mapping(raw, where)
    _only(f, obj, where, {"run", "undo", "dry_run", "timeout_seconds"})
    if obj.get("run") is None:
        raise f.fail(f"{where}.run", "is required (the argument list to run)")
    return CommandTemplate(
        action=action,
        run=_argv(f, obj["run"], f"{where}.run"),
        undo=_argv(f, obj["undo"], f"{where}.undo") if obj.get("undo") is not None else None,
        dry_run=(_argv(f, obj["dry_run"], f"{where}.dry_run")
                 if obj.get("dry_run") is not None else None),
        timeout_seconds=_seconds(f, obj, "timeout_seconds", where, 60.0),
    )


def _routes(f: Fields, obj: dict[str, Any], config: ExecutorConfig) -> dict[str, str]:
    routes = f.string_map(obj, "routes", "executors")
    for action, target in routes.items():
        where = f"executors.routes.{action}"
        _action(f, action, where)
        if target.startswith("webhook:"):
            if target.split(":", 1)[1] not in config.webhooks:
                raise f.fail(where, f"no webhook named {target.split(':', 1)[1][:40]!r} "
                             "under executors.webhooks")
            continue
        if target not in EXECUTOR_NAMES:
            raise f.fail(where, f"expected one of {', '.join(EXECUTOR_NAMES)} or webhook:NAME")
        configured = {"kubernetes": config.kubernetes, "argocd": config.argocd,
                      "flags": config.flags,
                      "command": config.commands.get(action)}[target]
        if configured is None:
            raise f.fail(where, f"routes to {target}, which is not configured")
    return routes
