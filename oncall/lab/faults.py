"""The faults the lab can inject: each one a bad push through the deploy log.

Each fault is a change to one service's config, pushed like any other sync, so it lands
in the deploy history with its time and revision and nothing else: triage has to find
it from the alerts, the logs and that history, as on a real page. The lab knows what
it broke only to report afterwards whether the diagnosis matched.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

from oncall.lab.settings import ServiceConfig


@dataclass(frozen=True, slots=True)
class Fault:
    name: str
    service: str  # the service whose config is pushed
    author: str  # who pushed it, as the deploy log records
    description: str
    change: Callable[[ServiceConfig], ServiceConfig]

    def apply(self, config: ServiceConfig) -> ServiceConfig:
        return self.change(config)


def _timeout(config: ServiceConfig) -> ServiceConfig:
    # Below payments' own latency: every attempt times out, checkout retries with
    # backoff and then fails; the frontend sees checkout fail.
    return replace(config, upstream_timeout_ms=6.0)


def _release(config: ServiceConfig) -> ServiceConfig:
    return replace(config, version="4.13.0", error_rate=0.4)


def _capacity(config: ServiceConfig) -> ServiceConfig:
    # One worker for ~0.3 requests in flight on average: a third of the requests find
    # it busy and are shed.
    return replace(config, workers=1)


FAULTS: dict[str, Fault] = {
    "config-timeout": Fault(
        "config-timeout", "checkout", "dlee",
        "a config push lowers checkout's upstream timeout to payments below payments' "
        "latency: calls time out, are retried, and fail", _timeout),
    "bad-deploy-errors": Fault(
        "bad-deploy-errors", "payments", "deploy-bot",
        "a payments release throws on 40% of requests: payments answers 500, checkout "
        "retries and the frontend sees some of it", _release),
    "capacity": Fault(
        "capacity", "payments", "costbot",
        "a push shrinks payments' worker pool to one: requests that find it busy are "
        "shed with 503", _capacity),
}
DEFAULT_FAULT = "config-timeout"
