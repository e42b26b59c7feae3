"""The configuration the lab writes is what the real tools and oncall itself accept."""

from __future__ import annotations

import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml

from oncall.config import load_config
from oncall.lab import stack
from oncall.lab.settings import SERVICES
from oncall.remediate.executors.config import parse_executor_config
from oncall.remediate.policy import decide
from oncall.sources.policy import parse_policy
from tests.sources.live.servers import binary


def _write(path: Path, doc: object) -> Path:
    path.write_text(yaml.safe_dump(doc))
    return path


def test_promtool_accepts_the_rules_and_the_scrape_config(tmp_path: Path) -> None:
    promtool = binary("promtool")
    rules = _write(tmp_path / "rules.yml", stack.prometheus_rules())
    config = _write(tmp_path / "prometheus.yml", stack.prometheus_config(
        {s.name: 40000 + i for i, s in enumerate(SERVICES)}, 9093, rules))
    for argv in ([promtool, "check", "rules", str(rules)],
                 [promtool, "check", "config", str(config)]):
        done = subprocess.run(argv, capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stdout + done.stderr


def test_amtool_accepts_the_alertmanager_config(tmp_path: Path) -> None:
    amtool = binary("amtool")
    config = _write(tmp_path / "am.yml", stack.alertmanager_config("http://127.0.0.1:1/hooks"))
    done = subprocess.run([amtool, "check-config", str(config)], capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr


def test_every_service_is_a_labelled_scrape_target() -> None:
    config = stack.prometheus_config({"checkout": 1234}, 9093, Path("rules.yml"))
    target = config["scrape_configs"][0]["static_configs"][0]
    assert target == {"targets": ["127.0.0.1:1234"],
                      "labels": {"service": "checkout", "namespace": "lab", "pod": "checkout-0"}}
    assert config["global"]["scrape_interval"] == "1s"


def test_oncall_yaml_is_valid_and_names_the_signals_the_analysis_knows(tmp_path: Path) -> None:
    policy = _write(tmp_path / "policy.yaml", stack.policy())
    doc = stack.oncall_config("http://127.0.0.1:9090", "http://127.0.0.1:9093",
                              "http://127.0.0.1:8080", policy)
    path = _write(tmp_path / "oncall.yaml", doc)
    config = load_config(path)
    assert {s.kind for s in config.sources} == {"alertmanager", "prometheus", "loki", "argocd",
                                                "backstage", "jaeger"}
    jaeger = config.source("jaeger")
    assert jaeger is not None and jaeger.url == "http://127.0.0.1:8080"
    assert set(jaeger.services) == {s.name for s in SERVICES} and jaeger.limit == stack.TRACE_LIMIT
    prometheus = config.source("prometheus")
    assert prometheus is not None
    assert {q.signal for q in prometheus.queries} == {"latency_p95_seconds", "error_ratio",
                                                       "request_rate"}
    executors = parse_executor_config(doc["executors"], str(path))
    assert executors.argocd is not None
    assert set(executors.argocd.apps) == {s.name for s in SERVICES}


def test_the_lab_policy_lets_rollbacks_run_and_keeps_the_rest_with_people() -> None:
    policy = parse_policy(stack.policy(), "policy.yaml")
    now = datetime.now(UTC)
    assert decide("rollback", policy, now).decision == "auto"
    assert decide("restart", policy, now).decision == "approve"
    assert decide("failover", policy, now).decision == "deny"


@pytest.mark.parametrize("name", ["LabHighErrorRatio", "LabHighLatencyP95"])
def test_alerts_carry_the_labels_triage_groups_by(name: str) -> None:
    rules = stack.prometheus_rules()["groups"][1]["rules"]
    rule = next(r for r in rules if r["alert"] == name)
    assert rule["expr"].startswith("lab:") and rule["labels"]["severity"]
    assert "{{ $labels.service }}" in rule["annotations"]["summary"]
