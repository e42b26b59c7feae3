"""A small infrastructure repository in git, and incident history records."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

MANIFEST = """\
# checkout: the order API
apiVersion: apps/v1
kind: Deployment
metadata:
  name: checkout
spec:
  replicas: 3   # sized for the spring sale
  strategy:
    type: RollingUpdate
    rollingUpdate:
      maxUnavailable: 1
  template:
    spec:
      containers:
        - name: app
          image: shop/checkout:4.2.0
          livenessProbe:
            httpGet: {path: /healthz, port: 8080}
            periodSeconds: 10
---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata:
  name: checkout
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: checkout}
  minReplicas: 2  # floor
  maxReplicas: 4
"""

CONFIG = """\
# checkout runtime settings
upstreams:
  payments:
    timeout_ms: 200   # lowered in cfg-2291
    retries: 2
log_level: info
"""

FLAGS = """{
  "flags": {
    "new-checkout-flow": {
      "state": "ENABLED",
      "variants": {"on": true, "off": false},
      "defaultVariant": "on"
    }
  }
}
"""

CERT = """\
apiVersion: cert-manager.io/v1
kind: Certificate
metadata:
  name: payments-tls
spec:
  secretName: payments-tls
  dnsNames: [payments.shop.internal]
  renewBefore: 24h
"""


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True,
                          check=True).stdout


@pytest.fixture
def infra(tmp_path: Path) -> Path:
    repo = tmp_path / "infra"
    for name, text in {"k8s/checkout.yaml": MANIFEST, "config/checkout.yaml": CONFIG,
                       "flags/flags.json": FLAGS, "certs/payments.yaml": CERT}.items():
        (repo / name).parent.mkdir(parents=True, exist_ok=True)
        (repo / name).write_text(text)
    git(repo.parent, "init", "-q", "-b", "main", str(repo))
    git(repo, "config", "user.email", "sre@example.com")
    git(repo, "config", "user.name", "SRE")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "initial")
    return repo


def record(root: Path, rid: str, service: str, kind: str, day: str, root_cause: str,
           revenue: float = 1000.0, change: dict[str, Any] | None = None,
           minutes: float = 30.0) -> Path:
    front: dict[str, Any] = {
        "id": rid, "title": f"{kind} on {service}", "type": "incident", "date": day,
        "services": [service], "alerts": ["HighLatencyP95"], "tags": [kind, "postmortem"],
        "root_cause": root_cause, "resolution": "rolled back", "incident": rid.lower(),
        "started_at": f"{day}T02:00:00Z",
        "cause": {"service": service, "kind": kind, "change": None},
        "impact": {"tier": 1, "users": 100.0, "revenue": revenue, "minutes": minutes},
    }
    if change:
        front["change"] = change
    path = root / "incidents" / f"{rid}.md"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("---\n" + yaml.safe_dump(front) + "---\n# " + rid + "\n")
    return path


@pytest.fixture
def history(tmp_path: Path) -> Path:
    root = tmp_path / "kb"
    for n, day in enumerate(["2026-09-02", "2026-10-07", "2026-11-11"]):
        record(root, f"INC-CAP-{n}", "checkout", "capacity", day,
               "checkout CPU saturated at peak, pods throttled", revenue=5000.0)
    diff = "- upstreams.payments.timeout_ms: 800\n+ upstreams.payments.timeout_ms: 200\n"
    for n, day in enumerate(["2026-10-01", "2026-11-20"]):
        record(root, f"INC-CFG-{n}", "checkout", "config", day,
               "payments timeout too low for checkout, retries storm",
               change={"id": f"cfg-{n}", "kind": "config", "summary": "lower timeout",
                       "diff": diff}, revenue=9000.0)
    record(root, "INC-OLD", "checkout", "capacity", "2025-01-01", "checkout CPU saturated")
    record(root, "INC-OTHER", "search", "capacity", "2026-11-01", "search CPU saturated")
    record(root, "INC-CFG-LOG", "checkout", "config", "2026-11-02",
           "debug logging flooded the disk", change={"id": "cfg-9", "diff": "- log_level: info\n"
                                                     "+ log_level: debug\n"})
    return root
