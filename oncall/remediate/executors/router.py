"""Which executor acts for a request, from the `executors:` config.

An explicit `routes: {action: executor}` wins; then a command template for the action;
then a webhook that lists the action; then the natural toolchain (a rollback goes to
Argo CD when the service has an application there, else to kubectl; restart and scale to
kubectl; flag_disable to the flag executor; a config revert to Argo CD when the service's
config lives there). Anything else is refused: no executor is guessed.

HTTP clients are built lazily, one per service reached, and can be injected (tests pass
`httpx.Client`s over a `MockTransport`).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping

import httpx

from oncall.remediate.executors.argocd import ArgoCDExecutor
from oncall.remediate.executors.base import ActionRequest, Executor, Refused
from oncall.remediate.executors.commands import CommandExecutor
from oncall.remediate.executors.config import ExecutorConfig, HttpSettings
from oncall.remediate.executors.flags import FlagdFileExecutor, FlagServiceExecutor
from oncall.remediate.executors.http import Sender, make_client
from oncall.remediate.executors.kubernetes import KubernetesExecutor
from oncall.remediate.executors.webhook import WebhookExecutor


class Router:
    def __init__(self, config: ExecutorConfig,
                 clients: Mapping[str, httpx.Client] | None = None,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.config = config
        self.sleep = sleep
        self._clients: dict[str, httpx.Client] = dict(clients or {})
        self._owned: list[httpx.Client] = []

    def route(self, request: ActionRequest) -> Executor:
        """The executor for `request`, or `Refused` naming what to configure."""
        name = self._choose(request)
        if name is None:
            raise Refused(f"no executor is configured for {request.action} on "
                          f"{request.service} (see executors in docs/action.md)")
        return self.executor(name, request.action)

    def executor(self, name: str, action: str) -> Executor:
        config = self.config
        if name == "kubernetes" and config.kubernetes is not None:
            return KubernetesExecutor(config.kubernetes)
        if name == "argocd" and config.argocd is not None:
            return ArgoCDExecutor(config.argocd, self._sender(name, config.argocd.http))
        if name == "flags" and config.flags is not None:
            if config.flags.http is not None:
                return FlagServiceExecutor(config.flags, self._sender(name, config.flags.http))
            return FlagdFileExecutor(config.flags)
        if name == "command" and action in config.commands:
            return CommandExecutor(config.commands[action])
        if name.startswith("webhook:") and name[8:] in config.webhooks:
            hook = config.webhooks[name[8:]]
            return WebhookExecutor(hook, self._sender(name, hook.http))
        raise Refused(f"executor {name} is not configured for {action}")

    def has_route(self, action: str) -> bool:
        """Whether any executor is configured for `action` on some service (escalation
        uses this to decide whether paging goes beyond the audit log)."""
        return action in self.config.routes or action in self.config.commands or any(
            action in hook.actions for hook in self.config.webhooks.values())

    def close(self) -> None:
        for client in self._owned:
            client.close()
        self._owned.clear()

    # ----------------------------------------------------------------------------

    def _choose(self, request: ActionRequest) -> str | None:
        config, action = self.config, request.action
        if action in config.routes:
            return config.routes[action]
        if action in config.commands:
            return "command"
        for name in sorted(config.webhooks):
            if action in config.webhooks[name].actions:
                return f"webhook:{name}"
        argo = config.argocd is not None and request.service in config.argocd.apps
        if action == "rollback":
            return "argocd" if argo else ("kubernetes" if config.kubernetes else None)
        if action in ("restart", "scale"):
            return "kubernetes" if config.kubernetes else None
        if action == "flag_disable":
            return "flags" if config.flags else None
        if action == "config_revert" and argo:
            return "argocd"
        return None

    def _sender(self, name: str, settings: HttpSettings) -> Sender:
        client = self._clients.get(name)
        if client is None:
            client = make_client(settings)
            self._clients[name] = client
            self._owned.append(client)
        return Sender(client, name, settings, sleep=self.sleep)
