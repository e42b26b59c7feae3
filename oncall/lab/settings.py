"""The lab's services and the config file each one re-reads.

The config file is the lever every fault pulls: a bad push changes it through the
deploy log, a rollback restores an earlier revision, and the running service picks the
new values up on its next request, as a service watching a mounted ConfigMap would. It
is JSON (the services import only the standard library and prometheus_client) and is
validated on every reload, so a broken file is reported and the last good one kept.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

NAMESPACE = "lab"
OWNER = "group:lab-team"
ESCALATION = "pager:lab-team"


class ConfigError(ValueError):
    """A service config that cannot be used; the message names the field."""


@dataclass(frozen=True, slots=True)
class ServiceConfig:
    """What one demo service does per request (all times in milliseconds)."""

    version: str = "1.0.0"
    latency_ms: tuple[float, float] = (8.0, 14.0)  # its own work, uniform in this range
    upstream_timeout_ms: float = 1000.0  # per attempt, for the call to its upstream
    retries: int = 2  # extra attempts after a failed upstream call
    retry_backoff_ms: float = 40.0  # doubled after each failed attempt
    error_rate: float = 0.0  # share of requests that fail inside the service (500)
    workers: int = 32  # requests served at once; more are shed with 503

    def to_dict(self) -> dict[str, Any]:
        doc = asdict(self)
        doc["latency_ms"] = list(self.latency_ms)
        return doc

    @classmethod
    def from_dict(cls, doc: Any) -> ServiceConfig:
        if not isinstance(doc, dict):
            raise ConfigError("expected a JSON object")
        unknown = sorted(set(doc) - set(cls.__dataclass_fields__))
        if unknown:
            raise ConfigError(f"{unknown[0]}: unknown key")
        base = cls()
        low, high = _pair(doc.get("latency_ms", list(base.latency_ms)))
        return cls(
            version=_text(doc, "version", base.version),
            latency_ms=(low, high),
            upstream_timeout_ms=_number(doc, "upstream_timeout_ms", base.upstream_timeout_ms,
                                        1.0, 60_000.0),
            retries=int(_number(doc, "retries", base.retries, 0, 10, integer=True)),
            retry_backoff_ms=_number(doc, "retry_backoff_ms", base.retry_backoff_ms, 0.0,
                                     10_000.0),
            error_rate=_number(doc, "error_rate", base.error_rate, 0.0, 1.0),
            workers=int(_number(doc, "workers", base.workers, 1, 1000, integer=True)),
        )


def read_config(path: Path) -> ServiceConfig:
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ConfigError(f"{path}: cannot be read ({exc})") from None
    try:
        return ServiceConfig.from_dict(doc)
    except ConfigError as exc:
        raise ConfigError(f"{path}: {exc}") from None


def write_config(path: Path, config: ServiceConfig) -> None:
    """Atomic: a service reading mid-write sees the old file or the new one, never half."""
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(json.dumps(config.to_dict(), sort_keys=True, indent=2) + "\n",
                   encoding="utf-8")
    tmp.replace(path)


@dataclass(frozen=True, slots=True)
class ServiceSpec:
    """One demo service: where it sits in the call chain and what the catalog says."""

    name: str
    upstream: str | None
    config: ServiceConfig
    tier: int
    users_per_minute: int
    revenue_per_minute: int

    @property
    def pod(self) -> str:
        return f"{self.name}-0"


# Called in this order: the request generator -> frontend -> checkout -> payments.
SERVICES: tuple[ServiceSpec, ...] = (
    ServiceSpec("payments", None, ServiceConfig(version="4.12.0", latency_ms=(11.0, 17.0)),
                1, 800, 0),
    ServiceSpec("checkout", "payments", ServiceConfig(version="2.31.0", latency_ms=(6.0, 10.0)),
                1, 9000, 1500),
    ServiceSpec("frontend", "checkout", ServiceConfig(version="7.2.1", latency_ms=(3.0, 6.0)),
                1, 25000, 3800),
)
ENTRY = "frontend"  # where the request generator sends traffic


def spec(name: str) -> ServiceSpec:
    for item in SERVICES:
        if item.name == name:
            return item
    raise KeyError(name)


def _text(doc: dict[str, Any], key: str, default: str) -> str:
    value = doc.get(key, default)
    if not isinstance(value, str) or not value or not value.isprintable():
        raise ConfigError(f"{key}: expected a non-empty string")
    return value[:64]


def _number(doc: dict[str, Any], key: str, default: float, low: float, high: float,
            integer: bool = False) -> float:
    value = doc.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ConfigError(f"{key}: expected a number")
    if integer and value != int(value):
        raise ConfigError(f"{key}: expected a whole number")
    if not low <= value <= high:
        raise ConfigError(f"{key}: expected {low:g} to {high:g}, got {value:g}")
    return float(value)


def _pair(value: Any) -> tuple[float, float]:
    if (not isinstance(value, list) or len(value) != 2
            or not all(isinstance(v, int | float) and not isinstance(v, bool) for v in value)):
        raise ConfigError("latency_ms: expected [low, high] in milliseconds")
    low, high = float(value[0]), float(value[1])
    if not 0 <= low <= high <= 10_000:
        raise ConfigError("latency_ms: expected 0 <= low <= high <= 10000")
    return low, high
