"""De-duplication, and the noise a responder discards at a glance.

One fingerprint (or one label set) is one alert however often Alertmanager re-sent it;
its latest firing episode stands for it. Silenced, inhibited, heartbeat and
informational alerts never page anybody, so they never form an incident.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from oncall.model import Alert

HEARTBEATS = frozenset({"Watchdog", "DeadMansSwitch", "DeadMansSnitch", "InfoInhibitor"})
QUIET_SEVERITIES = frozenset({"none", "info", "informational", "debug"})
# Severities that page a person now. A group holding one of them is never background.
ACUTE_SEVERITIES = frozenset({"critical", "page", "error", "high", "emergency", "alert", "major"})
# Severities that only ask for attention during working hours. Only alerts with one of
# these can be set aside as background; an alert without a severity is never hidden.
WARNING_SEVERITIES = frozenset({"warning", "warn", "minor", "low", "moderate"})


@dataclass(slots=True)
class Episodes:
    """The firing alerts at `now`, one per identity, and which of them flap."""

    current: dict[str, Alert]
    flapping: set[str]


def current_alerts(alerts: list[Alert], now: datetime) -> Episodes:
    """Latest firing episode per identity; an identity that also has a finished episode
    flaps (it resolved and fired again)."""
    current: dict[str, Alert] = {}
    flapping: set[str] = set()
    for key, eps in by_identity(alerts).items():
        if len(eps) == 1:
            if eps[0].firing_at(now):
                current[key] = eps[0]
            continue
        firing = [a for a in eps if a.firing_at(now)]
        if not firing:
            continue
        current[key] = max(firing, key=recency)
        if any(not a.firing_at(now) and a.starts_at <= now for a in eps):
            flapping.add(key)
    return Episodes(current=current, flapping=flapping)


def by_identity(alerts: list[Alert]) -> dict[str, list[Alert]]:
    """Groups episodes by fingerprint, and merges fingerprints with identical labels
    (the identity is the first fingerprint seen with that label set). Alertmanager
    derives the fingerprint from the labels, so one label set per fingerprint is read."""
    by_fingerprint: dict[str, list[Alert]] = defaultdict(list)
    for alert in alerts:
        by_fingerprint[alert.fingerprint].append(alert)
    label_owner: dict[tuple[tuple[str, str], ...], str] = {}
    out: dict[str, list[Alert]] = {}
    for fingerprint, episodes in by_fingerprint.items():
        key = label_owner.setdefault(tuple(sorted(episodes[0].labels.items())), fingerprint)
        if key in out:
            out[key].extend(episodes)
        else:
            out[key] = episodes
    return out


def recency(alert: Alert) -> tuple[datetime, datetime]:
    return (alert.updated_at or alert.starts_at, alert.starts_at)


def noise_reason(alert: Alert) -> str | None:
    """Alerts that by their own state or kind page nobody."""
    if alert.silenced_by:
        return "silenced"
    if alert.inhibited_by:
        return "inhibited"
    if alert.state == "suppressed":
        return "suppressed"
    if alert.name in HEARTBEATS:
        return "heartbeat"
    if alert.severity in QUIET_SEVERITIES:
        return f"informational (severity {alert.severity})"
    return None


def is_acute(alert: Alert) -> bool:
    return alert.severity in ACUTE_SEVERITIES


def is_warning(alert: Alert) -> bool:
    return alert.severity in WARNING_SEVERITIES
