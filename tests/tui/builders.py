"""A small hand-built triage for the dashboard tests and screenshots.

Built by hand, not by the pipeline, so the screenshots change only when the dashboard
does: the analyzer improving its ranking must not invalidate them. Every value is
fixed (no clock, no randomness); ages come from `NOW`.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from oncall.model import (
    Alert,
    Catalog,
    CatalogEntity,
    Change,
    Hypothesis,
    Impact,
    Incident,
    KnowledgeHit,
    MetricSeries,
    NoiseAlert,
    NoiseStats,
    Remediation,
    Snapshot,
    Triage,
)
from oncall.topology import Topology
from oncall.tui.data import DashboardData

NOW = datetime(2026, 3, 14, 2, 19, tzinfo=UTC)
ONSET = datetime(2026, 3, 14, 2, 10, tzinfo=UTC)
RUNBOOK = Path(__file__).with_name("data") / "checkout-timeouts.md"


def _alert(name: str, service: str, started: datetime, severity: str, pod: str = "") -> Alert:
    labels = {"alertname": name, "service": service, "severity": severity}
    if pod:
        labels["pod"] = pod
    return Alert(fingerprint=f"{name}-{service}-{pod}".lower(), labels=labels,
                 annotations={"summary": f"{name} on {service}"}, starts_at=started,
                 ends_at=NOW + timedelta(hours=1), updated_at=started)


def _series(name: str, service: str, pod: str, before: float, after: float,
            jump: datetime) -> MetricSeries:
    """One sample a minute for 40 minutes: `before` until `jump`, `after` from it on;
    a small fixed ripple so the sparkline is not a bare step."""
    samples = []
    for minute in range(40):
        at = NOW - timedelta(minutes=39 - minute)
        base = after if at >= jump else before
        samples.append((at.timestamp(), base * (1.0 + 0.05 * (minute % 3))))
    return MetricSeries(name, {"__name__": name, "service": service, "pod": pod},
                        tuple(samples))


def snapshot() -> Snapshot:
    entities = (
        CatalogEntity("Component", "frontend", {"oncall/tier": "1"}, owner="group:web",
                      depends_on=("component:checkout",)),
        CatalogEntity("Component", "mobile-bff", {"oncall/tier": "2"}, owner="group:web",
                      depends_on=("component:checkout",)),
        CatalogEntity("Component", "checkout", {"oncall/tier": "1"}, owner="group:payments",
                      depends_on=("component:payments",)),
        CatalogEntity("Component", "payments", {"oncall/tier": "1"}, owner="group:payments",
                      depends_on=("resource:orders-db",)),
        CatalogEntity("Resource", "orders-db", {"oncall/tier": "1"}, owner="group:dba"),
        CatalogEntity("Group", "payments", {"oncall/escalation": "pager:payments"}),
    )
    jump = datetime(2026, 3, 14, 2, 9, tzinfo=UTC)
    return Snapshot(
        name="checkout-fixture",
        now=NOW,
        description="hand-built for the dashboard tests",
        metrics=[
            _series("latency_p95_seconds", "checkout", "checkout-a", 0.11, 1.8, jump),
            _series("latency_p95_seconds", "checkout", "checkout-b", 0.10, 0.12, jump),
            _series("error_ratio", "checkout", "checkout-a", 0.004, 0.06, jump),
            _series("latency_p95_seconds", "payments", "payments-a", 0.04, 0.04, jump),
        ],
        changes=[
            Change("cfg-2291", "config", "checkout", datetime(2026, 3, 14, 2, 7, tzinfo=UTC),
                   author="jdoe", summary="lower upstream timeout to payments to 200ms",
                   previous_revision="41aa07b"),
            Change("dep-1180", "deploy", "payments", datetime(2026, 3, 14, 1, 5, tzinfo=UTC),
                   author="ci", summary="release payments 4.11.1"),
            Change("dep-0001", "deploy", "search", datetime(2026, 3, 13, 9, 0, tzinfo=UTC),
                   author="ci", summary="unrelated and long ago"),
        ],
        catalog=Catalog(entities),
    )


def _remediations() -> list[Remediation]:
    verify = {"latency_p95_seconds": "<= 0.134", "error_ratio": "<= 0.0095"}
    return [
        Remediation("config_revert", "checkout", "low", True,
                    "revert cfg-2291; addresses cause #1", "re-apply cfg-2291", verify,
                    command="kubectl rollout undo deployment/checkout -n shop",
                    decision="approve",
                    reason="policy lists config_revert: approve; needs 1 approval(s) "
                           "from group:sre"),
        Remediation("escalate", "checkout", "low", True, "page the owners of checkout",
                    "none needed", verify, command="page owner of checkout",
                    decision="auto", reason="policy lists escalate: auto"),
        Remediation("failover", "payments", "high", False,
                    "fail payments over to the standby region; addresses cause #2",
                    "fail back once the primary is healthy", {"latency_p95_seconds": "<= 0.05"},
                    command="failover payments --to standby", decision="deny",
                    reason="policy lists failover: deny; it never runs from here, "
                           "whoever approves"),
    ]


def triage() -> Triage:
    checkout_alerts = [
        _alert("HighLatencyP95", "checkout", ONSET, "critical", "checkout-a"),
        _alert("HighErrorRate", "checkout", ONSET + timedelta(minutes=1), "critical",
               "checkout-a"),
        _alert("HighLatencyP95", "frontend", ONSET + timedelta(minutes=2), "warning"),
    ]
    checkout = Incident(
        id="inc-checkout",
        alerts=checkout_alerts,
        services=["checkout", "frontend"],
        started_at=ONSET,
        title="HighLatencyP95, HighErrorRate: likely config change cfg-2291 on checkout",
        narrative="Since 02:10Z (9 min), 3 alert(s) fired on checkout, frontend. The "
                  "likeliest cause is a config change on checkout introduced by change "
                  "cfg-2291 (score 0.82).",
        owner="group:payments",
        escalation="pager:payments",
        impact=Impact(tier=1, summary="tier 1; ~1,200 users/min; 9 min since first alert; "
                                      "blast radius 4 service(s)",
                      minutes=9.0, blast_radius=["checkout", "frontend", "mobile-bff",
                                                 "payments"]),
        hypotheses=[
            Hypothesis("checkout", "config", 0.82, change="cfg-2291", evidence=[
                "change cfg-2291 (config, lower upstream timeout to payments to 200ms): "
                "landed 3 min before the onset",
                "latency_p95_seconds 0.110 -> 1.80 (robust z 50.0) on 1 of 2 pods "
                "(checkout-a), from 02:09:00Z",
                "error log: [red]payments call timed out after 200ms[/red] x41",
            ]),
            Hypothesis("payments", "dependency", 0.31, evidence=[
                "12 error messages of its callers name payments",
            ]),
        ],
        remediations=_remediations(),
        runbooks=[
            KnowledgeHit("checkout-timeouts", "Checkout latency and timeouts to payments",
                         0.91, "runbook", str(RUNBOOK), "Mitigation"),
            KnowledgeHit("pm-2025-08-26", "frontend timeouts after a config push", 0.64,
                         "incident", "", "Resolution"),
        ],
    )
    disk = Incident(
        id="inc-disk",
        alerts=[_alert("DiskSpaceLow", "node-exporter", NOW - timedelta(hours=5, minutes=2),
                       "warning", "node-7")],
        services=["node-exporter"],
        started_at=NOW - timedelta(hours=5, minutes=2),
        title="DiskSpaceLow on node-exporter",
        narrative="Since 21:17Z (302 min), 1 alert(s) fired on node-exporter.",
        impact=Impact(tier=None, summary="tier unknown; 302 min since first alert",
                      minutes=302.0, blast_radius=["node-exporter"]),
    )
    noise = [NoiseAlert("watchdog", "Watchdog", "heartbeat"),
             NoiseAlert("cpu-throttle", "CPUThrottlingHigh", "informational (severity info)")]
    return Triage(scenario="checkout-fixture", now=NOW, incidents=[checkout, disk],
                  noise=noise, stats=NoiseStats(alerts_received=7, firing=6, distinct=6,
                                                incidents=2, noise=2))


def dashboard_data() -> DashboardData:
    topology = Topology([("frontend", "checkout"), ("mobile-bff", "checkout"),
                         ("checkout", "payments"), ("payments", "orders-db")])
    return DashboardData(snapshot(), triage(), topology)
