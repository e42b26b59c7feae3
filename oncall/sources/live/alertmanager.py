"""Alertmanager API v2: `GET /api/v2/alerts`, body kept as `alerts.json`."""

from __future__ import annotations

from typing import Any

from oncall.sources.live.base import Fetched, Window
from oncall.sources.live.http import HttpConnector


class AlertmanagerConnector(HttpConnector):
    kind = "alertmanager"
    part = "alerts"

    def fetch(self, window: Window) -> Fetched:
        """Active alerts, silenced and inhibited included: triage counts those as noise,
        and it cannot tell noise apart without seeing them."""
        params: dict[str, Any] = {"active": "true", "silenced": "true", "inhibited": "true",
                                  "unprocessed": "true"}
        if self.config.filters:
            params["filter"] = list(self.config.filters)
        if self.config.receiver:
            params["receiver"] = self.config.receiver
        body = self.fetcher.get_json("/api/v2/alerts", params=params)
        if not isinstance(body, list):
            raise self.fetcher.unavailable("/api/v2/alerts did not answer a list of alerts "
                                           "(is this the Alertmanager API v2?)")
        return Fetched(body)

    def probe(self) -> str:
        status = self.fetcher.get_json("/api/v2/status")
        version = _dig(status, "versionInfo", "version") or "unknown version"
        cluster = _dig(status, "cluster", "status")
        alerts = self.fetch_count()
        return f"Alertmanager {version}" + (f", cluster {cluster}" if cluster else "") + \
            f", {alerts} alert(s)"

    def fetch_count(self) -> int:
        body = self.fetcher.get_json("/api/v2/alerts", params={"active": "true"})
        return len(body) if isinstance(body, list) else 0


def _dig(body: Any, *keys: str) -> str:
    for key in keys:
        if not isinstance(body, dict):
            return ""
        body = body.get(key)
    return str(body) if isinstance(body, str | int | float) else ""
