"""The quality gate: the shipped tool must meet the recorded thresholds on the bundled
corpus (evals/, held to evals/thresholds.yaml) and, when the real Train-Ticket cases sit
beside the checkout, on those too (held to evals/train-ticket-thresholds.yaml).

Each test runs the same evaluation as `oncall eval DIR --thresholds FILE`, in-process and
without baselines (the gate holds the tool, not the baselines). The two corpora are held
apart because they measure different things: the generated one covers every cause kind
and trap by design, the real one is small and messy, and pooling them would let a
regression on either hide behind the other.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from oncall.evaluate import evaluate
from oncall.evaluate.thresholds import check, load_thresholds
from tests.helpers import DATASETS, REPO

TIME_BUDGET_SECONDS = 90.0


def _gate(root: Path, thresholds: Path) -> None:
    limits = load_thresholds(thresholds)
    report = evaluate([root], with_baselines=False)
    failures = check(report.summary().values(), limits)
    assert not failures, f"{root.name} below thresholds:\n" + "\n".join(
        f.message for f in failures
    )
    assert report.seconds < TIME_BUDGET_SECONDS


def test_quality_gate_on_generated_corpus() -> None:
    _gate(REPO / "evals", REPO / "evals" / "thresholds.yaml")


@pytest.mark.skipif(not DATASETS.is_dir(), reason="Train-Ticket datasets not beside the checkout")
def test_quality_gate_on_train_ticket() -> None:
    _gate(DATASETS, REPO / "evals" / "train-ticket-thresholds.yaml")
