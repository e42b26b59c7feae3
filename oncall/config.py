"""`oncall.yaml`: where the live systems are, and how to reach them.

One file names each live source (Alertmanager, Prometheus, Loki, Jaeger or Tempo, the
change systems, Backstage). It is found at `--config PATH`, else `$ONCALL_CONFIG`, else
`$XDG_CONFIG_HOME/oncall/oncall.yaml` (`~/.config/oncall/oncall.yaml`). Environment
variables override it (`ONCALL_<SOURCE>_URL`, `ONCALL_TIMEOUT_SECONDS`, ...), so a
container or CI job can point the same file elsewhere.

Secrets never sit in the file: a source names an environment variable (`token_env`) or
a file (`token_file`), and an inline `token:` is refused, because config files get
committed and pasted into tickets. Every key is checked here, before anything is
fetched, so a typo is one line naming the file and field, not a source that silently
returns nothing at 2 a.m. No network code lives here; `oncall.sources.live` builds the
clients from what this module validated.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from oncall.errors import InputError
from oncall.model import Policy
from oncall.sources.fields import Fields
from oncall.sources.yamlfile import load_yaml_file

MAX_CONFIG_BYTES = 1024 * 1024
ENVIRONMENT = "environment"  # the "file" named by errors in environment overrides

# Which part of the snapshot each kind of source fills.
SOURCE_PARTS: dict[str, str] = {
    "alertmanager": "alerts",
    "prometheus": "metrics",
    "loki": "logs",
    "jaeger": "traces",
    "tempo": "traces",
    "kubernetes": "changes",
    "github": "changes",
    "argocd": "changes",
    "backstage": "catalog",
}
DEFAULT_URLS = {"github": "https://api.github.com"}
_COMMON_KEYS = frozenset({
    "url", "timeout_seconds", "retries", "token_env", "token_file", "username",
    "password_env", "password_file", "ca_file",
})
_KIND_KEYS: dict[str, frozenset[str]] = {
    "alertmanager": frozenset({"filter", "receiver"}),
    "prometheus": frozenset({"queries", "step_seconds"}),
    "loki": frozenset({"queries", "limit"}),
    "jaeger": frozenset({"services", "limit", "tags"}),
    "tempo": frozenset({"query", "limit"}),
    "kubernetes": frozenset({"namespace", "label_selector"}),
    "github": frozenset({"repos", "environment"}),
    "argocd": frozenset({"applications"}),
    "backstage": frozenset({"kinds"}),
}
_INLINE_SECRETS = frozenset({
    "token", "password", "api_key", "apikey", "secret", "bearer_token", "authorization",
    "headers",
})
MAX_TIMEOUT_SECONDS = 3600.0  # per request; a page is no time to wait longer
MAX_RETRIES = 10
MAX_WINDOW_MINUTES = 7 * 24 * 60.0
MAX_CHANGES_HOURS = 30 * 24.0
MAX_STEP_SECONDS = 3600.0
_TOP_KEYS = frozenset({
    "name", "window_minutes", "changes_hours", "step_seconds", "timeout_seconds", "retries",
    "policy", "sources", "llm", "executors", "itsm",
})
DEFAULT_KINDS = ("Component", "Resource", "Group", "System")


@dataclass(frozen=True, slots=True)
class Auth:
    """Where a source's credentials come from; read only when a client is built."""

    token_env: str | None = None
    token_file: Path | None = None
    username: str | None = None
    password_env: str | None = None
    password_file: Path | None = None


@dataclass(frozen=True, slots=True)
class PromQuery:
    """One PromQL query whose series become the signal `signal` (their `__name__`)."""

    signal: str
    query: str
    service_label: str = "service"


@dataclass(frozen=True, slots=True)
class Target:
    """A repository or Argo CD application, and the catalog service it deploys."""

    name: str
    service: str
    environment: str | None = None


@dataclass(frozen=True, slots=True)
class SourceConfig:
    """One configured live source. A flat record: each kind reads only its own fields,
    and `_KIND_KEYS` made sure no other field was set for it."""

    kind: str
    url: str
    origin: str  # the config file (or "environment"), for error messages
    where: str  # "sources.prometheus"
    timeout_seconds: float = 10.0
    retries: int = 2
    auth: Auth = field(default_factory=Auth)
    ca_file: Path | None = None
    filters: tuple[str, ...] = ()  # alertmanager matchers
    receiver: str | None = None
    queries: tuple[PromQuery, ...] = ()  # prometheus
    step_seconds: float | None = None
    log_queries: tuple[str, ...] = ()  # loki
    limit: int = 0  # loki lines, jaeger/tempo traces
    services: tuple[str, ...] = ()  # jaeger
    tags: dict[str, str] = field(default_factory=dict)
    traceql: str = "{}"  # tempo
    namespace: str = ""  # kubernetes
    label_selector: str = ""
    targets: tuple[Target, ...] = ()  # github repos, argocd applications
    kinds: tuple[str, ...] = ()  # backstage

    @property
    def part(self) -> str:
        return SOURCE_PARTS[self.kind]


@dataclass(frozen=True, slots=True)
class LiveConfig:
    path: Path | None
    name: str = "live"
    window_minutes: float = 60.0
    changes_hours: float = 24.0
    step_seconds: float = 15.0
    policy: Path | None = None
    sources: tuple[SourceConfig, ...] = ()

    def source(self, kind: str) -> SourceConfig | None:
        return next((s for s in self.sources if s.kind == kind), None)


def config_path(explicit: Path | None = None, env: Mapping[str, str] | None = None) -> Path:
    """`--config`, else `$ONCALL_CONFIG`, else the XDG config dir."""
    env = os.environ if env is None else env
    if explicit is not None:
        return explicit
    if env.get("ONCALL_CONFIG"):
        return Path(env["ONCALL_CONFIG"])
    base = env.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "oncall" / "oncall.yaml"


def config_section(name: str, explicit: Path | None = None,
                   env: Mapping[str, str] | None = None) -> dict[str, Any] | None:
    """One top-level section (e.g. `llm`) of the configuration file, if there is a file.

    For commands that do not need the live sources: a missing default file is simply no
    configuration; a file named with `--config` or `$ONCALL_CONFIG` must exist.
    """
    env = os.environ if env is None else env
    path = config_path(explicit, env)
    if not path.exists() and explicit is None and not env.get("ONCALL_CONFIG"):
        return None
    raw = _read_yaml(path)
    f = Fields(str(path))
    doc = f.mapping(raw if raw is not None else {}, "")
    section = doc.get(name)
    if section is None:
        return None
    return f.mapping(section, name)


def user_policy(explicit: Path | None = None,
                env: Mapping[str, str] | None = None) -> Policy | None:
    """The policy file oncall.yaml names (`policy: path`), for commands on scenarios.

    It is merged with a scenario's own policy.yaml, the stricter rule winning
    (`oncall.remediate.policy.merge_policies`). No configuration file: None.
    """
    env = os.environ if env is None else env
    path = config_path(explicit, env)
    if not path.exists() and explicit is None and not env.get("ONCALL_CONFIG"):
        return None
    f = Fields(str(path))
    doc = f.mapping(_read_yaml(path) or {}, "")
    # A misspelt `policy:` would drop the organisation's policy without a word, so the
    # top-level keys are checked here as `load_config` checks them.
    _no_unknown(f, doc, _TOP_KEYS, "")
    if doc.get("policy") is None:
        return None
    if isinstance(doc["policy"], dict | list):
        raise f.fail("policy", "expected the path of a policy file (the policy.yaml "
                     "format), not the policy itself")
    target = _relative(path, f.text(doc, "policy", ""))
    if not target.is_file():
        raise f.fail("policy", f"no such file {target}")
    from oncall.sources.policy import read_policy_file

    return read_policy_file(target)[1]


def load_config(explicit: Path | None = None, env: Mapping[str, str] | None = None
                ) -> LiveConfig:
    """Reads, merges the environment overrides into, and validates the configuration.

    Without a file, `ONCALL_ALERTMANAGER_URL` alone is a valid configuration (triage
    then runs on alerts only); an explicitly named file must exist.
    """
    env = os.environ if env is None else env
    path = config_path(explicit, env)
    named = explicit is not None or bool(env.get("ONCALL_CONFIG"))
    if path.exists() or named:
        raw = _read_yaml(path)
        origin = str(path)
    elif any(key.startswith("ONCALL_") and key.endswith("_URL") and value
             for key, value in env.items()):
        raw, origin = {}, ENVIRONMENT
    else:
        raise InputError(str(path), "no configuration here; write one (see docs/live.md), "
                         "pass --config PATH or set ONCALL_ALERTMANAGER_URL")
    f = Fields(origin)
    doc = f.mapping(raw if raw is not None else {}, "")
    _apply_env(doc, env)
    return _parse(f, doc, path if origin != ENVIRONMENT else None)


def resolve_secret(source: SourceConfig, env_key: str, file_key: str,
                   env: Mapping[str, str] | None = None) -> str | None:
    """The secret named by `<x>_env` or `<x>_file`, or None when neither is set.

    Fails naming the field when the variable is unset or the file unreadable, so a
    forgotten `export` is not mistaken for a server refusing the credentials.
    """
    env = os.environ if env is None else env
    auth = source.auth
    name = getattr(auth, env_key)
    file = getattr(auth, file_key)
    if name:
        value = env.get(name, "")
        if not value.strip():
            raise InputError(source.origin, f"environment variable {name} is not set",
                             field=f"{source.where}.{env_key}")
        return value.strip()
    if file is not None:
        try:
            text = Path(file).read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise InputError(source.origin, f"cannot read {file} ({exc.strerror})",
                             field=f"{source.where}.{file_key}") from None
        except UnicodeDecodeError:
            raise InputError(source.origin, f"{file} is not UTF-8",
                             field=f"{source.where}.{file_key}") from None
        if not text:
            raise InputError(source.origin, f"{file} is empty",
                             field=f"{source.where}.{file_key}")
        return text
    return None


# ---- URLs and CA bundles -----------------------------------------------------


class BadURL(ValueError):
    """A URL no request can be sent to. `reason` says what is wrong without repeating the
    URL (a webhook URL is a secret); `str()` adds the URL for everything else."""

    def __init__(self, reason: str, url: str | None) -> None:
        self.reason = reason
        super().__init__(reason if url is None else f"{reason}, got {url[:80]!r}")


def check_url(text: str) -> str:
    """`text` as a base URL for HTTP requests, or `BadURL`.

    The one check every URL from a configuration file, the environment or the command
    line goes through before it reaches httpx (live sources, executors, ITSM systems,
    the LLM's api_base, the forge API): scheme http or https, a host, a numeric port
    from 1 to 65535 when there is one, no spaces or control characters, and no
    credentials (secrets are named by *_env / *_file keys, never written inline).
    Returns the URL without surrounding space and trailing slashes.
    """
    url = text.strip()
    if not url:
        raise BadURL("expected an http:// or https:// URL", url)
    if any(ch.isspace() or not ch.isprintable() for ch in url):
        raise BadURL("a URL cannot contain spaces or control characters", url)
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(url)
    except ValueError as exc:
        why = "an IPv6 host needs both [ and ]" if "Invalid IPv6" in str(exc) else \
            "the host in [ ] is not an IP address"
        raise BadURL(f"not a valid URL ({why})", url) from None
    if parts.scheme.lower() not in ("http", "https") or not url.lower().startswith(
            ("http://", "https://")):
        raise BadURL("expected an http:// or https:// URL", url)
    if not parts.hostname:
        raise BadURL("the URL has no host", url)
    if parts.username is not None or parts.password is not None:
        # never repeated: the URL holds a password
        raise BadURL("credentials do not belong in the URL; use the *_env keys", None)
    host_port = parts.netloc  # no user info: refused above
    if host_port.startswith("["):  # [::1]:9093
        port = host_port.partition("]")[2]
    else:
        port = host_port[host_port.find(":"):] if ":" in host_port else ""
    if port and (not port.startswith(":") or not _valid_port(port[1:])):
        raise BadURL("the port must be a number from 1 to 65535", url)
    import httpx  # the final word: what httpx itself refuses to send to

    try:
        httpx.URL(url)
    except httpx.InvalidURL as exc:
        detail = " ".join(str(exc).split())[:80]
        raise BadURL(f"not a valid URL ({detail})", url) from None
    return url.rstrip("/")


def _valid_port(text: str) -> bool:
    if text == "":
        return True  # `host:` means the scheme's default port
    return text.isascii() and text.isdigit() and 1 <= int(text) <= 65535


def ca_bundle_problem(path: Path) -> str | None:
    """Why `path` cannot serve as a CA bundle for TLS verification (None when it can)."""
    import ssl

    if not path.is_file():
        return f"no such file {path}"
    try:
        ssl.create_default_context(cafile=str(path))
    except ssl.SSLError:
        return f"{path} holds no PEM certificate (expected a CA bundle)"
    except OSError as exc:
        return f"cannot read {path} ({exc.strerror})"
    except (UnicodeDecodeError, ValueError):
        return f"{path} holds no PEM certificate (expected a CA bundle)"
    return None


# ---- reading ----------------------------------------------------------------


def _read_yaml(path: Path) -> Any:
    return load_yaml_file(path, MAX_CONFIG_BYTES, missing="no such configuration file")


def _apply_env(doc: dict[str, Any], env: Mapping[str, str]) -> None:
    """`ONCALL_<KIND>_URL` sets a source's url (adding the source when absent);
    `ONCALL_TIMEOUT_SECONDS`, `ONCALL_RETRIES`, `ONCALL_WINDOW_MINUTES` the globals."""
    sources = doc.get("sources")
    for kind in SOURCE_PARTS:
        variable = f"ONCALL_{kind.upper()}_URL"
        url = env.get(variable, "").strip()
        if not url:
            continue
        try:
            url = check_url(url)
        except BadURL as exc:
            raise InputError(ENVIRONMENT, str(exc), field=variable) from None
        if sources is None:
            sources = doc["sources"] = {}
        if not isinstance(sources, dict):
            return  # reported by _parse, naming the file
        block = sources.get(kind)
        if block is None:
            sources[kind] = {"url": url}
        elif isinstance(block, dict):
            block["url"] = url
    for key in ("timeout_seconds", "retries", "window_minutes"):
        value = env.get(f"ONCALL_{key.upper()}", "").strip()
        if value:
            number = _env_number(f"ONCALL_{key.upper()}", value, key)
            doc[key] = number


def _env_number(name: str, value: str, key: str) -> float | int:
    """An override, checked against the same range as the file's value, so the error
    names the variable that set it."""
    integer = key == "retries"
    try:
        number = int(value) if integer else float(value)
    except ValueError:
        kind = "an integer" if integer else "a number"
        raise InputError(ENVIRONMENT, f"expected {kind}, got {value[:40]!r}",
                         field=name) from None
    if integer:
        if not 0 <= number <= MAX_RETRIES:
            raise InputError(ENVIRONMENT, f"expected 0 to {MAX_RETRIES}, got {number}",
                             field=name)
        return number
    unit, maximum = _BOUNDS[key]
    if not 0 < number <= maximum:
        raise InputError(ENVIRONMENT, _range_message(unit, maximum, number), field=name)
    return number


# ---- validating ---------------------------------------------------------------


def _parse(f: Fields, doc: dict[str, Any], path: Path | None) -> LiveConfig:
    _no_unknown(f, doc, _TOP_KEYS, "")
    timeout = _bounded(f, doc, "timeout_seconds", "", 10.0)
    retries = _count(f, doc, "retries", "", 2, maximum=MAX_RETRIES)
    policy = doc.get("policy")
    policy_path: Path | None = None
    if policy is not None:
        policy_path = _relative(path, f.text(doc, "policy", ""))
        if not policy_path.is_file():
            raise f.fail("policy", f"no such file {policy_path}")
    sources_raw = f.get_mapping(doc, "sources", "")
    sources: list[SourceConfig] = []
    for kind, block in sources_raw.items():
        where = f"sources.{kind}"
        if kind not in SOURCE_PARTS:
            raise f.fail(where, f"unknown source {str(kind)[:40]!r} (expected one of "
                         f"{', '.join(SOURCE_PARTS)})")
        sources.append(_source(f, str(kind), f.mapping(block or {}, where), where, timeout,
                               retries, path))
    kinds = {s.kind for s in sources}
    if "alertmanager" not in kinds:
        raise f.fail("sources.alertmanager", "is required (alerts are what triage starts "
                     "from; or set ONCALL_ALERTMANAGER_URL)")
    if {"jaeger", "tempo"} <= kinds:
        raise f.fail("sources.tempo", "configure one trace source, jaeger or tempo, not both")
    window = _bounded(f, doc, "window_minutes", "", 60.0)
    step = _bounded(f, doc, "step_seconds", "", 15.0)
    if window * 60 / step > 11_000:  # Prometheus refuses more points per series
        raise f.fail("step_seconds", f"too small for a {window:g}-minute window "
                     "(Prometheus allows 11,000 points per series)")
    return LiveConfig(
        path=path,
        name=f.text(doc, "name", "", required=False) or "live",
        window_minutes=window,
        changes_hours=_bounded(f, doc, "changes_hours", "", 24.0),
        step_seconds=step,
        policy=policy_path,
        sources=tuple(sources),
    )


def _source(f: Fields, kind: str, block: dict[str, Any], where: str, timeout: float,
            retries: int, path: Path | None) -> SourceConfig:
    for key in block:
        if str(key).lower() in _INLINE_SECRETS:
            raise f.fail(f"{where}.{key}", "secrets are never written inline: name an "
                         "environment variable (token_env, password_env) or a file "
                         "(token_file, password_file)")
    _no_unknown(f, block, _COMMON_KEYS | _KIND_KEYS[kind], where)
    url = f.text(block, "url", where, required=kind not in DEFAULT_URLS) or DEFAULT_URLS[kind]
    try:
        url = check_url(url)
    except BadURL as exc:
        raise f.fail(f"{where}.url", str(exc)) from None
    auth = Auth(
        token_env=f.text(block, "token_env", where, required=False) or None,
        token_file=_optional_path(f, block, "token_file", where, path),
        username=f.text(block, "username", where, required=False) or None,
        password_env=f.text(block, "password_env", where, required=False) or None,
        password_file=_optional_path(f, block, "password_file", where, path),
    )
    if auth.token_env and auth.token_file:
        raise f.fail(f"{where}.token_file", "set token_env or token_file, not both")
    if (auth.password_env or auth.password_file) and not auth.username:
        raise f.fail(f"{where}.username", "is required with password_env or password_file")
    ca_file = _optional_path(f, block, "ca_file", where, path)
    if ca_file is not None:
        problem = ca_bundle_problem(ca_file)
        if problem:
            raise f.fail(f"{where}.ca_file", problem)
    common: dict[str, Any] = {
        "kind": kind, "url": url, "origin": f.path, "where": where,
        "timeout_seconds": _bounded(f, block, "timeout_seconds", where, timeout),
        "retries": _count(f, block, "retries", where, retries, maximum=MAX_RETRIES),
        "auth": auth, "ca_file": ca_file,
    }
    return SourceConfig(**common, **_kind_fields(f, kind, block, where))


def _kind_fields(f: Fields, kind: str, block: dict[str, Any], where: str) -> dict[str, Any]:
    if kind == "alertmanager":
        return {"filters": f.scalar_list(block, "filter", where),
                "receiver": f.text(block, "receiver", where, required=False) or None}
    if kind == "prometheus":
        queries = []
        for i, raw in enumerate(f.get_list(block, "queries", where)):
            qw = f"{where}.queries[{i}]"
            item = f.mapping(raw, qw)
            _no_unknown(f, item, frozenset({"signal", "query", "service_label"}), qw)
            queries.append(PromQuery(
                signal=f.text(item, "signal", qw), query=f.text(item, "query", qw),
                service_label=f.text(item, "service_label", qw, required=False) or "service"))
        if not queries:
            raise f.fail(f"{where}.queries", "is required: a list of {signal, query} "
                         "(see docs/live.md)")
        step = block.get("step_seconds")
        return {"queries": tuple(queries),
                "step_seconds": None if step is None else _bounded(
                    f, block, "step_seconds", where, 15.0)}
    if kind == "loki":
        queries_raw = block.get("queries")
        log_queries = (f.text(block, "queries", where),) if isinstance(queries_raw, str) \
            else f.scalar_list(block, "queries", where)
        if not log_queries:
            raise f.fail(f"{where}.queries", "is required: LogQL stream selectors such as "
                         "'{namespace=\"prod\"}'")
        return {"log_queries": log_queries,
                "limit": _count(f, block, "limit", where, 5000, maximum=100_000)}
    if kind == "jaeger":
        services = f.scalar_list(block, "services", where)
        if not services:
            raise f.fail(f"{where}.services", "is required: the services to fetch traces of")
        return {"services": services, "limit": _count(f, block, "limit", where, 50, 1000),
                "tags": f.string_map(block, "tags", where)}
    if kind == "tempo":
        return {"traceql": f.text(block, "query", where, required=False) or "{}",
                "limit": _count(f, block, "limit", where, 20, maximum=500)}
    if kind == "kubernetes":
        return {"namespace": f.text(block, "namespace", where),
                "label_selector": f.text(block, "label_selector", where, required=False)}
    if kind in ("github", "argocd"):
        key = "repos" if kind == "github" else "applications"
        default_env = f.text(block, "environment", where, required=False) or None
        targets = _targets(f, block, key, where, default_env)
        if kind == "github" and any(t.name.count("/") != 1 for t in targets):
            bad = next(i for i, t in enumerate(targets) if t.name.count("/") != 1)
            raise f.fail(f"{where}.repos[{bad}]", "expected owner/name")
        return {"targets": targets}
    kinds = f.scalar_list(block, "kinds", where) or DEFAULT_KINDS
    return {"kinds": tuple(kinds)}


def _targets(f: Fields, block: dict[str, Any], key: str, where: str,
             default_env: str | None) -> tuple[Target, ...]:
    """Plain names, or `{name, service, environment}`; the service defaults to the last
    path part of the name (`org/checkout` -> `checkout`)."""
    out: list[Target] = []
    for i, raw in enumerate(f.get_list(block, key, where)):
        tw = f"{where}.{key}[{i}]"
        if isinstance(raw, str) and raw:
            out.append(Target(raw, raw.rsplit("/", 1)[-1], default_env))
            continue
        item = f.mapping(raw, tw)
        _no_unknown(f, item, frozenset({"name", "service", "environment"}), tw)
        name = f.text(item, "name", tw)
        out.append(Target(name, f.text(item, "service", tw, required=False)
                          or name.rsplit("/", 1)[-1],
                          f.text(item, "environment", tw, required=False) or default_env))
    if not out:
        raise f.fail(f"{where}.{key}", "is required: a list of names")
    return tuple(out)


def _no_unknown(f: Fields, obj: dict[str, Any], allowed: frozenset[str], where: str) -> None:
    for key in obj:
        if key not in allowed:
            prefix = f"{where}." if where else ""
            raise f.fail(f"{prefix}{key}", f"unknown key (expected one of "
                         f"{', '.join(sorted(allowed))})")


# The unit and the largest sane value of each bounded number (all must be above 0).
_BOUNDS: dict[str, tuple[str, float]] = {
    "timeout_seconds": ("seconds", MAX_TIMEOUT_SECONDS),
    "step_seconds": ("seconds", MAX_STEP_SECONDS),
    "window_minutes": ("minutes", MAX_WINDOW_MINUTES),
    "changes_hours": ("hours", MAX_CHANGES_HOURS),
}


def _range_message(unit: str, maximum: float, value: float) -> str:
    return f"expected more than 0 and at most {maximum:g} {unit}, got {value:g}"


def _bounded(f: Fields, obj: dict[str, Any], key: str, where: str, default: float) -> float:
    if obj.get(key) is None:
        return default
    name = f"{where}.{key}" if where else key
    value = f.number(obj[key], name)
    unit, maximum = _BOUNDS[key]
    if not 0 < value <= maximum:
        raise f.fail(name, _range_message(unit, maximum, value))
    return value


def _count(f: Fields, obj: dict[str, Any], key: str, where: str, default: int,
           maximum: int) -> int:
    if obj.get(key) is None:
        return default
    name = f"{where}.{key}" if where else key
    value = f.integer(obj[key], name)
    if not 0 <= value <= maximum:
        raise f.fail(name, f"expected 0 to {maximum}, got {value}")
    return value


def _optional_path(f: Fields, obj: dict[str, Any], key: str, where: str,
                   base: Path | None) -> Path | None:
    text = f.text(obj, key, where, required=False)
    return _relative(base, text) if text else None


def _relative(config: Path | None, text: str) -> Path:
    """Paths in the file are relative to the file, as people write them beside it."""
    path = Path(text).expanduser()
    if path.is_absolute() or config is None:
        return path
    return config.parent / path
