"""Case resolution: de-duplication, noise, clustering along the dependency graph."""

from __future__ import annotations

from datetime import UTC, datetime

from oncall.correlate import correlate
from oncall.sources.alerts import parse_alerts
from oncall.topology import Topology
from tests.helpers import alert

NOW = datetime(2026, 3, 14, 2, 19, tzinfo=UTC)


def _run(raw: list[dict], edges: list[tuple[str, str]] | None = None):  # type: ignore[no-untyped-def]
    return correlate(parse_alerts(raw, "alerts.json"), NOW, Topology(edges or []))


def test_duplicates_and_renotifications_count_once() -> None:
    a = alert("HighLatency", fingerprint="f1")
    again = dict(a, updatedAt="2026-03-14T02:15:00Z")
    same_labels = dict(a, fingerprint="f2")
    result = _run([a, again, same_labels])
    assert len(result.incidents) == 1
    assert result.incidents[0].fingerprints == ["f1"]
    assert result.stats.distinct == 1


def test_noise_reasons() -> None:
    flap_old = alert("DiskSpaceLow", service="node", fingerprint="disk",
                     starts="2026-03-14T01:00:00Z", ends="2026-03-14T01:10:00Z")
    flap_new = alert("DiskSpaceLow", service="node", fingerprint="disk")
    raw = [
        alert("HighErrorRate", fingerprint="real"),
        alert("Watchdog", service=None, severity="none", fingerprint="wd"),
        alert("CPUThrottlingHigh", service="other", severity="info", fingerprint="info"),
        alert("KubeJobFailed", service="batch", state="suppressed", silenced=["s1"],
              fingerprint="sil"),
        alert("Resolved", service="x", ends="2026-03-14T02:00:00Z", fingerprint="gone"),
        flap_old,
        flap_new,
    ]
    result = _run(raw)
    reasons = {n.fingerprint: n.reason for n in result.noise}
    assert set(reasons) == {"wd", "info", "sil", "disk"}
    assert reasons["sil"] == "silenced"
    assert reasons["disk"].startswith("flapping")
    assert [i.fingerprints for i in result.incidents] == [["real"]]
    assert "gone" not in reasons


def test_callers_join_the_incident_of_their_failing_dependency() -> None:
    edges = [("frontend", "checkout"), ("checkout", "payments"), ("search", "catalog")]
    raw = [
        alert("HighErrorRate", service="payments", fingerprint="p"),
        alert("HighLatency", service="checkout", fingerprint="c"),
        alert("HighLatency", service="frontend", fingerprint="f"),
        alert("HighLatency", service="search", fingerprint="s",
              starts="2026-03-14T02:12:00Z"),
    ]
    result = _run(raw, edges)
    groups = sorted(i.fingerprints for i in result.incidents)
    assert groups == [["c", "f", "p"], ["s"]]
    assert result.stats.reduction == 1 - 2 / 4


def test_alerts_far_apart_in_time_on_unrelated_roots_stay_apart() -> None:
    edges = [("a", "db"), ("b", "db")]
    raw = [
        alert("HighLatency", service="a", fingerprint="a", starts="2026-03-14T01:00:00Z"),
        alert("HighLatency", service="b", fingerprint="b", starts="2026-03-14T02:10:00Z"),
    ]
    assert len(_run(raw, edges).incidents) == 2
