"""From a validated `oncall.yaml` to connectors with their own `httpx.Client`s.

This is the only place that reads secrets (from the environment or a file, as the
config names them) and opens clients; connectors receive a ready client, which is how
the tests hand them `httpx.MockTransport`s or a real server on 127.0.0.1.
"""

from __future__ import annotations

import ssl
from collections.abc import Callable
from pathlib import Path

import httpx

from oncall import __version__
from oncall.config import (
    BadURL,
    LiveConfig,
    SourceConfig,
    ca_bundle_problem,
    check_url,
    load_config,
    resolve_secret,
)
from oncall.errors import InputError
from oncall.sources.live.alertmanager import AlertmanagerConnector
from oncall.sources.live.backstage import BackstageConnector
from oncall.sources.live.base import Connector
from oncall.sources.live.changes import ArgoCDConnector, GitHubConnector, KubernetesConnector
from oncall.sources.live.http import Fetcher
from oncall.sources.live.loki import LokiConnector
from oncall.sources.live.prometheus import PrometheusConnector
from oncall.sources.live.source import LiveSource
from oncall.sources.live.traces import JaegerConnector, TempoConnector

ConnectorType = Callable[[Fetcher, SourceConfig], Connector]
CONNECTORS: dict[str, ConnectorType] = {
    "alertmanager": AlertmanagerConnector,
    "prometheus": PrometheusConnector,
    "loki": LokiConnector,
    "jaeger": JaegerConnector,
    "tempo": TempoConnector,
    "kubernetes": KubernetesConnector,
    "github": GitHubConnector,
    "argocd": ArgoCDConnector,
    "backstage": BackstageConnector,
}


def build_client(source: SourceConfig) -> httpx.Client:
    """A client for one source: base URL, timeout, credentials, CA bundle."""
    headers = {"User-Agent": f"oncall/{__version__}"}
    token = resolve_secret(source, "token_env", "token_file")
    if token:
        headers["Authorization"] = f"Bearer {token}"
    auth: tuple[str, str] | None = None
    password = resolve_secret(source, "password_env", "password_file")
    if source.auth.username:
        auth = (source.auth.username, password or "")
    try:
        check_url(source.url)
    except BadURL as exc:  # a SourceConfig built in code, not read by load_config
        raise InputError(source.origin, str(exc), field=f"{source.where}.url") from None
    verify: ssl.SSLContext | bool = True
    if source.ca_file is not None:
        problem = ca_bundle_problem(source.ca_file)
        if problem:  # also catches a bundle replaced since the config was read
            raise InputError(source.origin, problem, field=f"{source.where}.ca_file")
        try:
            verify = ssl.create_default_context(cafile=str(source.ca_file))
        except (OSError, ValueError):  # ssl.SSLError is an OSError
            raise InputError(source.origin, f"{source.ca_file} holds no PEM certificate "
                             "(expected a CA bundle)", field=f"{source.where}.ca_file") from None
    return httpx.Client(base_url=source.url, headers=headers, auth=auth, verify=verify,
                        timeout=httpx.Timeout(source.timeout_seconds), follow_redirects=False)


def build_connector(source: SourceConfig, client: httpx.Client,
                    sleep: Callable[[float], None] | None = None) -> Connector:
    fetcher = Fetcher(client, source.kind, retries=source.retries)
    if sleep is not None:
        fetcher.sleep = sleep
    return CONNECTORS[source.kind](fetcher, source)


def connectors_for(config: LiveConfig) -> list[Connector]:
    """Every configured connector, each with its own fresh client."""
    return [build_connector(s, build_client(s)) for s in config.sources]


def live_source_from(config: LiveConfig) -> LiveSource:
    connectors = connectors_for(config)

    def close() -> None:
        for connector in connectors:
            fetcher = getattr(connector, "fetcher", None)
            if isinstance(fetcher, Fetcher):
                fetcher.client.close()

    return LiveSource(connectors, name=config.name, window_minutes=config.window_minutes,
                      changes_hours=config.changes_hours, step_seconds=config.step_seconds,
                      policy=config.policy, on_close=close)


def build_live_source(config_path: Path | None = None) -> LiveSource:
    """The `Source` for `oncall triage --live`: `--config PATH`, else `$ONCALL_CONFIG`,
    else the XDG config file; bad configuration raises `InputError` (exit 2)."""
    return live_source_from(load_config(config_path))
