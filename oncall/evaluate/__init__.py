"""Evaluation: how well `oncall triage` matches the ground truth of scenarios.

The scenario contract lets a scenario carry `expected.yaml`; this package runs the real
pipeline on such scenarios, scores it with plain, documented metrics, scores simple
baselines on the same cases for comparison, and checks the result against thresholds so
CI catches regressions. Nothing here is imported by the product stages.
"""

from oncall.evaluate.runner import Report, evaluate

__all__ = ["Report", "evaluate"]
