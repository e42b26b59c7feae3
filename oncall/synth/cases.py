"""The case list: the three bundled examples and the evaluation mix.

The eval mix is a fixed design, not a random draw: every (kind, shape) pair appears once
per 48 cases, so each root-cause kind meets each difficulty (culprit visible only via
callers, two concurrent incidents, alert storm, a missing source, partial pod subsets)
and no single rule ("blame the newest change", "blame the loudest service") can pass.
Per-case details (world, culprit, variant, decoys) come from the case's own seed.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

from oncall.synth.faults import KINDS

SHAPES = ("direct", "callers-only", "two-incidents", "storm", "missing", "partial")
MISSING = ("traces.json", "logs.json", "metrics.json", "catalog.yaml")


@dataclass(slots=True)
class CaseSpec:
    name: str
    seed: str
    kind: str
    shape: str = "direct"
    template: str | None = None
    size: tuple[int, int] = (6, 16)
    pods: tuple[int, int] = (2, 4)
    variant: str | None = None
    partial: bool = False
    callers_only: bool = False
    second: str | None = None  # kind of a concurrent, unrelated incident
    storm: bool = False
    missing: tuple[str, ...] = ()
    freeze: bool = False
    decoys: int | None = None  # None: 2-6
    otlp: bool = False
    now: str | None = None
    culprit: str | None = None
    description: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)  # example-specific pins
    min_alerts: int = 0
    max_alerts: int = 10_000


def examples() -> list[CaseSpec]:
    return [
        CaseSpec(
            name="checkout-latency",
            seed="example:checkout-latency",
            kind="config",
            template="webshop",
            size=(12, 12),
            pods=(3, 4),
            variant="timeout",
            partial=True,
            now="2026-03-14T02:19:00Z",
            culprit="checkout",
            decoys=4,
            description="p95 of checkout climbs after a config push to a subset of pods",
            extra={
                "change_id": "cfg-2291",
                "callee": "payments",
                "timeouts": (800, 200),
                "change_minutes": 12,
                "onset_minutes": 9,
                "include": [
                    "frontend",
                    "api-gateway",
                    "checkout",
                    "payments",
                    "cart",
                    "inventory",
                    "orders-db",
                    "redis-cache",
                ],
                "checkout_fast": True,
                "keep_pods": True,
                "cert_decoy": True,
                "budget": 880_000,
                "metrics_budget": 400_000,
                "noise_many": True,
                "policy": {"config_revert": "approve"},
                "autonomy": "execute",
            },
            min_alerts=36,
            max_alerts=46,
        ),
        CaseSpec(
            name="bad-deploy-5xx",
            seed="example:bad-deploy-5xx",
            kind="deploy",
            template="bank",
            size=(8, 9),
            pods=(2, 3),
            variant="errors",
            now="2026-05-06T14:42:00Z",
            culprit="ledger",
            decoys=3,
            description="5xx errors climb across the retail-banking API; several teams paged",
            extra={"decoy_config": True, "policy": {"rollback": "approve"}, "autonomy": "execute"},
            min_alerts=12,
        ),
        CaseSpec(
            name="alert-storm",
            seed="example:alert-storm",
            kind="dependency",
            shape="storm",
            template="rides",
            size=(19, 20),
            pods=(3, 4),
            variant="down",
            storm=True,
            second="capacity",
            now="2026-08-21T18:07:00Z",
            culprit="trips-db",
            decoys=4,
            description="alert storm on the ride-hailing platform: dozens of pages within minutes",
            extra={
                "second_variant": "hot-pod",
                "policy": {"failover": "approve", "scale": "auto"},
                "autonomy": "execute",
            },
            min_alerts=60,
        ),
    ]


def eval_mix(seed: int, count: int) -> list[CaseSpec]:
    """`count` cases; each block of 48 holds every (kind, shape) pair exactly once."""
    rng = random.Random(f"mix:{seed}")
    pairs = [(k, s) for k in KINDS for s in SHAPES]
    order: list[tuple[str, str]] = []
    while len(order) < count:
        block = list(pairs)
        rng.shuffle(block)
        order += block
    specs = []
    missing_i = 0
    for i, (kind, shape) in enumerate(order[:count]):
        n = i + 1
        spec = CaseSpec(
            name=f"{n:03d}-{kind}-{shape}", seed=f"eval:{seed}:{n}", kind=kind, shape=shape
        )
        crng = random.Random(f"eval:{seed}:{n}:spec")
        if shape == "callers-only":
            spec.callers_only = True
        elif shape == "two-incidents":
            spec.second = crng.choice([k for k in KINDS if k != kind])
            spec.size = (12, 18)
        elif shape == "storm":
            spec.storm = True
            spec.size = (17, 20)
            spec.pods = (3, 4)
        elif shape == "missing":
            spec.missing = (MISSING[missing_i % len(MISSING)],)
            missing_i += 1
        elif shape == "partial":
            spec.partial = True
        if shape != "partial" and crng.random() < 0.25:
            spec.partial = True
        spec.freeze = n % 5 == 3 or crng.random() < 0.08
        spec.decoys = 0 if n % 9 == 4 else None
        spec.otlp = n % 7 == 3 and "traces.json" not in spec.missing
        if n % 11 == 6 and shape != "missing":
            spec.missing = ("logs.json",)
        specs.append(spec)
    return specs
