"""The configuration the lab writes: Prometheus, Alertmanager, `oncall.yaml`, the policy.

Everything runs on 1-second scrape and evaluation intervals and 10-second rate
windows, so a fault shows within seconds and recovery is visible within half a minute.
The signals are recording rules named after what oncall's analysis knows
(`latency_p95_seconds`, `error_ratio`, `request_rate`), the alerts are the two every
service has (p95 too high, too many 5xx), and `oncall.yaml` points oncall's ordinary
live sources at Prometheus, Alertmanager and the lab's control plane (deploy log,
catalog, Loki-style logs and Jaeger-style traces). The policy lets
a rollback of a lab service run on `auto`; everything else still needs a person.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from oncall.lab.settings import NAMESPACE, OWNER, SERVICES

RATE = "10s"
SIGNAL_LABELS = "service, namespace, pod"
RECORDED = {
    "latency_p95_seconds": "lab:latency_p95_seconds",
    "error_ratio": "lab:error_ratio",
    "request_rate": "lab:request_rate",
}
P95_ALERT_SECONDS = 0.15
# Traces per service the Jaeger source asks for, newest first: at 20 requests a second
# about half a minute of traffic, so the few seconds since the fault come with healthy
# traces before it to compare them with.
TRACE_LIMIT = 600
ERROR_RATIO_ALERT = 0.05


def prometheus_rules() -> dict[str, Any]:
    by = f"sum by ({SIGNAL_LABELS})"
    return {"groups": [
        {"name": "lab-signals", "interval": "1s", "rules": [
            {"record": RECORDED["latency_p95_seconds"],
             "expr": f"histogram_quantile(0.95, sum by (le, {SIGNAL_LABELS}) "
                     f"(rate(lab_http_request_duration_seconds_bucket[{RATE}])))"},
            {"record": RECORDED["error_ratio"],
             "expr": f'{by} (rate(lab_http_requests_total{{code=~"5.."}}[{RATE}])) / '
                     f"{by} (rate(lab_http_requests_total[{RATE}]))"},
            {"record": RECORDED["request_rate"],
             "expr": f"{by} (rate(lab_http_requests_total[{RATE}]))"},
        ]},
        {"name": "lab-alerts", "interval": "1s", "rules": [
            {"alert": "LabHighErrorRatio",
             "expr": f"{RECORDED['error_ratio']} > {ERROR_RATIO_ALERT}", "for": "2s",
             "labels": {"severity": "critical", "team": OWNER.split(":", 1)[1]},
             "annotations": {
                 "summary": "{{ $labels.service }}: {{ $value | humanizePercentage }} of "
                            "requests fail with 5xx",
                 "description": "More than 5% of requests to {{ $labels.service }} answer "
                                "5xx over the last 10 seconds."}},
            {"alert": "LabHighLatencyP95",
             "expr": f"{RECORDED['latency_p95_seconds']} > {P95_ALERT_SECONDS}", "for": "2s",
             "labels": {"severity": "warning", "team": OWNER.split(":", 1)[1]},
             "annotations": {
                 "summary": "{{ $labels.service }}: p95 latency {{ $value | humanizeDuration }}",
                 "description": "p95 latency of {{ $labels.service }} is above 150 ms."}},
        ]},
    ]}


def prometheus_config(targets: dict[str, int], alertmanager_port: int,
                      rules: Path) -> dict[str, Any]:
    """Scrapes each service as its own target, labelled like a Kubernetes pod."""
    return {
        "global": {"scrape_interval": "1s", "evaluation_interval": "1s",
                   "scrape_timeout": "1s"},
        "rule_files": [str(rules)],
        "alerting": {"alertmanagers": [{"static_configs": [
            {"targets": [f"127.0.0.1:{alertmanager_port}"]}]}]},
        "scrape_configs": [{"job_name": "lab", "static_configs": [
            {"targets": [f"127.0.0.1:{port}"],
             "labels": {"service": name, "namespace": NAMESPACE, "pod": f"{name}-0"}}
            for name, port in sorted(targets.items())]}],
    }


def alertmanager_config(receiver_url: str) -> dict[str, Any]:
    return {
        "route": {"receiver": "lab", "group_by": ["alertname", "service"],
                  "group_wait": "1s", "group_interval": "1s", "repeat_interval": "1h"},
        "receivers": [{"name": "lab", "webhook_configs": [
            {"url": receiver_url, "send_resolved": True}]}],
    }


def oncall_config(prometheus_url: str, alertmanager_url: str, control_url: str,
                  policy: Path) -> dict[str, Any]:
    """`oncall.yaml` for the lab: the ordinary live sources, and the executors."""
    apps = [s.name for s in SERVICES]
    queries = [{"signal": signal, "query": recorded}
               for signal, recorded in RECORDED.items()]
    return {
        "name": "oncall-lab",
        "window_minutes": 15,
        "changes_hours": 2,
        "step_seconds": 1,
        "timeout_seconds": 5,
        "retries": 1,
        "policy": str(policy),
        "sources": {
            "alertmanager": {"url": alertmanager_url, "filter": [f'namespace="{NAMESPACE}"']},
            "prometheus": {"url": prometheus_url, "queries": queries},
            "loki": {"url": control_url, "queries": [f'{{namespace="{NAMESPACE}"}}']},
            "jaeger": {"url": control_url, "services": apps, "limit": TRACE_LIMIT},
            "argocd": {"url": control_url, "applications": apps},
            "backstage": {"url": control_url},
        },
        "executors": {
            "argocd": {"url": control_url, "apps": {name: name for name in apps},
                       "timeout_seconds": 5, "retries": 1},
        },
    }


def policy() -> dict[str, Any]:
    """Rollbacks and config reverts of lab services run on `auto`; the rest needs a
    person (or is denied), as a cautious team would write it."""
    return {
        "autonomy": "execute",
        "actions": {"rollback": "auto", "config_revert": "auto", "escalate": "auto",
                    "restart": "approve", "scale": "approve", "traffic_shift": "approve",
                    "flag_disable": "approve", "failover": "deny", "cache_flush": "deny"},
        "freezes": [],
        "approvers": {"min": 1, "groups": ["group:lab-sre"]},
    }
