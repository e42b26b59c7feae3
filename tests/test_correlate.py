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


# ---- concurrent incidents, co-firing, roots ---------------------------------------


def test_concurrent_incidents_with_disjoint_dependencies_stay_apart() -> None:
    """Two roots a minute apart, each with its own callers, share only a caller further
    up: time alone must not merge them (it used to, through the 90 s co-firing rule)."""
    edges = [("gateway", "orders"), ("gateway", "profile"), ("orders", "orders-db"),
             ("profile", "profile-db")]
    raw = [
        alert("HighErrorRate", service="orders", fingerprint="o",
              starts="2026-03-14T02:10:00Z"),
        alert("HighErrorRate", service="profile", fingerprint="p",
              starts="2026-03-14T02:11:00Z"),
        alert("HighErrorRate", service="gateway", fingerprint="g",
              starts="2026-03-14T02:10:30Z"),
    ]
    groups = sorted(i.fingerprints for i in _run(raw, edges).incidents)
    assert groups == [["g", "o"], ["p"]]


def test_co_firing_does_not_chain_across_a_storm() -> None:
    """Alerts a minute apart on unrelated, catalogued services (A~B, B~C by time only)
    are three incidents, not one."""
    edges = [("a", "a-db"), ("b", "b-db"), ("c", "c-db")]
    raw = [
        alert("HighErrorRate", service=s, fingerprint=s, starts=f"2026-03-14T02:1{i}:00Z")
        for i, s in enumerate(["a", "b", "c"])
    ]
    assert len(_run(raw, edges).incidents) == 3


def test_callers_of_a_silent_dependency_failing_together_are_one_incident() -> None:
    """The culprit has no alert rule; its callers page in the same minute."""
    edges = [("cards", "ledger"), ("loans", "ledger"), ("transfers", "ledger")]
    raw = [
        alert("HighErrorRate", service=s, fingerprint=s, starts="2026-03-14T02:10:00Z")
        for s in ("cards", "loans", "transfers")
    ]
    assert [i.fingerprints for i in _run(raw, edges).incidents] == [
        ["cards", "loans", "transfers"]]


def test_a_caller_alert_joins_the_root_that_started_just_before_it() -> None:
    """api fails with `auth` first and, ten minutes later, with `search`: its late error
    alert is a symptom of the search incident, not of the older auth one."""
    edges = [("api", "auth"), ("api", "search")]
    raw = [
        alert("HighLatencyP95", service="auth", fingerprint="auth",
              starts="2026-03-14T02:00:00Z"),
        alert("HighLatencyP95", service="api", fingerprint="api-lat",
              starts="2026-03-14T02:02:00Z"),
        alert("HighErrorRate", service="search", fingerprint="search",
              starts="2026-03-14T02:10:00Z"),
        alert("HighErrorRate", service="api", fingerprint="api-err",
              starts="2026-03-14T02:11:00Z"),
    ]
    groups = sorted(i.fingerprints for i in _run(raw, edges).incidents)
    assert groups == [["api-err", "search"], ["api-lat", "auth"]]


def test_an_alert_naming_its_upstream_points_at_that_dependency() -> None:
    """TLS errors on two callers name `ledger` (silent) in an `upstream` label, a minute
    apart: both belong to one ledger incident even with no shared direct evidence."""
    edges = [("cards", "ledger"), ("statements", "ledger"), ("cards", "cards-db")]
    raw = [
        alert("TLSHandshakeErrors", service="cards", fingerprint="c", upstream="ledger",
              starts="2026-03-14T02:10:00Z"),
        alert("TLSHandshakeErrors", service="statements", fingerprint="s",
              upstream="ledger", starts="2026-03-14T02:13:00Z"),
    ]
    assert [i.fingerprints for i in _run(raw, edges).incidents] == [["c", "s"]]


def test_failing_traces_join_roots_without_a_known_edge() -> None:
    """No catalog edge links `a` and `b`, but requests failed in both."""
    from oncall.model import Span

    raw = [
        alert("HighErrorRate", service="a", fingerprint="a", starts="2026-03-14T02:10:00Z"),
        alert("HighErrorRate", service="b", fingerprint="b", starts="2026-03-14T02:14:00Z"),
    ]
    spans = [Span("t1", "1", None, "a", "GET", 0, 10, error=True),
             Span("t1", "2", "1", "a", "call", 1, 5, error=True),
             Span("t1", "3", None, "b", "GET", 0, 10, error=True)]
    topo = Topology([("a", "a-db"), ("b", "b-db")])
    result = correlate(parse_alerts(raw, "alerts.json"), NOW, topo, spans)
    assert [i.fingerprints for i in result.incidents] == [["a", "b"]]


def test_without_any_topology_co_firing_groups_without_chaining() -> None:
    """No catalog, no traces: alerts within one co-firing interval of a group's first
    alert join it; a later one, 80 s after the second but 160 s after the first, does not."""
    raw = [
        alert("HighErrorRate", service="x", fingerprint="x", starts="2026-03-14T02:10:00Z"),
        alert("HighErrorRate", service="y", fingerprint="y", starts="2026-03-14T02:11:20Z"),
        alert("HighErrorRate", service="z", fingerprint="z", starts="2026-03-14T02:12:40Z"),
    ]
    groups = sorted(i.fingerprints for i in _run(raw).incidents)
    assert groups == [["x", "y"], ["z"]]


def test_unknown_service_joins_only_a_co_firing_incident_of_its_namespace() -> None:
    """`edge-proxy` is in no catalog: it co-fires with `orders` in the same namespace and
    joins; a node exporter co-firing without a namespace stays apart."""
    edges = [("orders", "orders-db")]
    raw = [
        alert("HighErrorRate", service="orders", fingerprint="o", namespace="shop"),
        alert("HighErrorRate", service="edge-proxy", fingerprint="e", namespace="shop",
              starts="2026-03-14T02:10:30Z"),
        alert("HostHighLoad", service="node-exporter", fingerprint="n",
              starts="2026-03-14T02:10:20Z"),
    ]
    groups = sorted(i.fingerprints for i in _run(raw, edges).incidents)
    assert groups == [["e", "o"], ["n"]]


# ---- background noise -------------------------------------------------------------


def test_long_running_unlinked_warnings_are_background_noise_with_a_reason() -> None:
    edges = [("api", "orders")]
    raw = [
        alert("TargetDown", service="legacy-exporter", severity="warning", fingerprint="td",
              starts="2026-03-13T21:10:00Z", ends="2026-03-14T03:00:00Z"),
        alert("DiskWillFill", service="api", severity="warning", fingerprint="linked",
              starts="2026-03-13T21:10:00Z", ends="2026-03-14T03:00:00Z"),
        alert("HighErrorRate", service="orders", fingerprint="o"),
        alert("HighErrorRate", service="api", fingerprint="a",
              starts="2026-03-14T02:11:00Z"),
    ]
    result = _run(raw, edges)
    reasons = {n.fingerprint: n.reason for n in result.noise}
    assert set(reasons) == {"td"}
    assert reasons["td"] == (
        "background: firing 5h before this incident, no dependency or trace link to it")
    # The warning on `api`, linked to the incident by a dependency, is not hidden.
    assert sorted(i.fingerprints for i in result.incidents) == [["a", "o"], ["linked"]]


def test_old_critical_alerts_are_never_background() -> None:
    raw = [
        alert("TargetDown", service="legacy", fingerprint="old",
              starts="2026-03-13T21:10:00Z", ends="2026-03-14T03:00:00Z"),
        alert("HighErrorRate", service="orders", fingerprint="o"),
    ]
    result = _run(raw, [("orders", "orders-db")])
    assert result.noise == []
    assert len(result.incidents) == 2


def test_warning_left_over_after_its_acute_window_resolved_is_noise() -> None:
    """Multi-window burn alerts: the fast (critical) one fired and resolved, the slow
    (warning) one still fires: the spike is over."""
    raw = [
        alert("SLOBurnRateHigh", service="search", fingerprint="fast", window="1h",
              starts="2026-03-14T01:50:00Z", ends="2026-03-14T01:54:00Z"),
        alert("SLOBurnRateHigh", service="search", fingerprint="slow", window="6h",
              severity="warning", starts="2026-03-14T01:51:00Z"),
        alert("HighErrorRate", service="auth", fingerprint="auth"),
    ]
    result = _run(raw, [("search", "index"), ("auth", "users-db")])
    reasons = {n.fingerprint: n.reason for n in result.noise}
    assert list(reasons) == ["slow"]
    assert reasons["slow"].startswith("lingering: the critical SLOBurnRateHigh on search")
    assert [i.fingerprints for i in result.incidents] == [["auth"]]


def test_flapping_alert_joins_the_incident_of_the_root_below_it() -> None:
    """A flapping alert on a caller of the failing service is a symptom, not noise."""
    edges = [("api", "orders")]
    raw = [
        alert("HighErrorRate", service="orders", fingerprint="o"),
        alert("HighErrorLogRate", service="api", fingerprint="flap", severity="warning",
              starts="2026-03-14T01:50:00Z", ends="2026-03-14T01:55:00Z"),
        alert("HighErrorLogRate", service="api", fingerprint="flap", severity="warning",
              starts="2026-03-14T02:12:00Z"),
    ]
    result = _run(raw, edges)
    assert result.noise == []
    assert [i.fingerprints for i in result.incidents] == [["flap", "o"]]


def test_dependency_cycles_and_missing_service_labels_are_safe() -> None:
    edges = [("a", "b"), ("b", "a")]
    raw = [
        alert("HighErrorRate", service="a", fingerprint="a"),
        alert("HighErrorRate", service="b", fingerprint="b", starts="2026-03-14T02:10:30Z"),
        alert("NodeDown", service=None, fingerprint="anon", starts="2026-03-14T02:00:00Z"),
    ]
    result = _run(raw, edges)
    assert sorted(i.fingerprints for i in result.incidents) == [["a", "b"], ["anon"]]


def test_output_is_deterministic_whatever_the_input_order() -> None:
    edges = [("api", "orders"), ("api", "profile"), ("orders", "db"), ("profile", "db")]
    raw = [
        alert("HighErrorRate", service=s, fingerprint=f"{s}-{i}",
              starts=f"2026-03-14T02:1{i % 10}:00Z")
        for i, s in enumerate(["api", "orders", "profile", "db", "api", "orders"])
    ]
    first = _run(raw, edges)
    again = _run(list(reversed(raw)), edges)
    assert [i.fingerprints for i in first.incidents] == [i.fingerprints for i in again.incidents]
    assert [i.id for i in first.incidents] == [i.id for i in again.incidents]


def test_a_lingering_warning_on_a_recovered_dependency_does_not_capture_its_callers() -> None:
    """The slow burn window of a dependency that already recovered still fires when its
    callers start paging about something else: it must not become their root."""
    edges = [("gateway", "auth"), ("gateway", "transfers")]
    raw = [
        alert("SLOBurnRateHigh", service="auth", fingerprint="fast", window="1h",
              starts="2026-03-14T02:00:00Z", ends="2026-03-14T02:04:00Z"),
        alert("SLOBurnRateHigh", service="auth", fingerprint="slow", window="6h",
              severity="warning", starts="2026-03-14T02:02:00Z"),
        alert("HighLatencyP95", service="gateway", fingerprint="g1", pod="g-1",
              starts="2026-03-14T02:06:00Z"),
        alert("HighLatencyP95", service="gateway", fingerprint="g2", pod="g-2",
              starts="2026-03-14T02:07:00Z"),
    ]
    result = _run(raw, edges)
    reasons = {n.fingerprint: n.reason for n in result.noise}
    assert list(reasons) == ["slow"]
    assert reasons["slow"].startswith("lingering: the critical SLOBurnRateHigh on auth")
    assert [i.fingerprints for i in result.incidents] == [["g1", "g2"]]


def test_a_lingering_warning_on_a_caller_stays_a_symptom_of_the_live_root_below() -> None:
    """A caller's slow window outlasting its fast one while the dependency below it
    still fails is part of that incident, not noise."""
    edges = [("pricing", "surge")]
    raw = [
        alert("SLOBurnRateHigh", service="pricing", fingerprint="fast", window="1h",
              starts="2026-03-14T01:50:00Z", ends="2026-03-14T01:52:00Z"),
        alert("SLOBurnRateHigh", service="pricing", fingerprint="slow", window="6h",
              severity="warning", starts="2026-03-14T01:51:00Z"),
        alert("HighCPU", service="surge", fingerprint="cpu", severity="warning",
              starts="2026-03-14T02:05:00Z"),
    ]
    result = _run(raw, edges)
    assert result.noise == []
    assert [i.fingerprints for i in result.incidents] == [["cpu", "slow"]]
