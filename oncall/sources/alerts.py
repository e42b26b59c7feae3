"""Alertmanager alerts: API v2 `GET /api/v2/alerts` bodies and webhook payloads."""

from __future__ import annotations

import hashlib
from typing import Any

from oncall.model import Alert
from oncall.sources.fields import Fields


def parse_alerts(body: Any, path: str) -> list[Alert]:
    """Accepts the API v2 list or a webhook payload (`{"version": "4", "alerts": [...]}`)."""
    f = Fields(path)
    webhook = isinstance(body, dict)
    if webhook:
        if "alerts" not in body:
            # e.g. the v1 API's {"status": "success", "data": [...]}: reading it as
            # "no alerts" would report a quiet night in the middle of an outage.
            raise f.fail("alerts", "is required (expected the API v2 list of alerts or a "
                         "webhook payload with 'alerts')")
        items = f.get_list(body, "alerts", "")
        where_prefix = "alerts"
    else:
        items = f.sequence(body, "")
        where_prefix = ""
    return [_parse_one(f, item, f"{where_prefix}[{i}]", webhook) for i, item in enumerate(items)]


def _parse_one(f: Fields, raw: Any, where: str, webhook: bool) -> Alert:
    obj = f.mapping(raw, where)
    labels = f.string_map(obj, "labels", where)
    if not labels.get("alertname"):
        raise f.fail(f"{where}.labels.alertname", "is required")
    annotations = f.string_map(obj, "annotations", where)
    starts_at = f.timestamp(obj, "startsAt", where)
    assert starts_at is not None
    ends_at = f.timestamp(obj, "endsAt", where, required=False)
    updated_at = f.timestamp(obj, "updatedAt", where, required=False)
    fingerprint = f.text(obj, "fingerprint", where, required=False) or label_fingerprint(labels)
    state = "active"
    silenced: tuple[str, ...] = ()
    inhibited: tuple[str, ...] = ()
    status = obj.get("status")
    if webhook and isinstance(status, str):
        state = "resolved" if status == "resolved" else "active"
    elif status is not None:
        st = f.mapping(status, f"{where}.status")
        state = f.text(st, "state", f"{where}.status", required=False) or "active"
        silenced = f.scalar_list(st, "silencedBy", f"{where}.status")
        inhibited = f.scalar_list(st, "inhibitedBy", f"{where}.status")
    return Alert(
        fingerprint=fingerprint,
        labels=labels,
        annotations=annotations,
        starts_at=starts_at,
        ends_at=ends_at,
        updated_at=updated_at,
        state=state,
        silenced_by=silenced,
        inhibited_by=inhibited,
        generator_url=f.text(obj, "generatorURL", where, required=False),
    )


def label_fingerprint(labels: dict[str, str]) -> str:
    """A stable fingerprint for alerts that arrive without one (webhook senders vary)."""
    joined = ",".join(f"{k}={v}" for k, v in sorted(labels.items()))
    return hashlib.sha256(joined.encode()).hexdigest()[:16]
