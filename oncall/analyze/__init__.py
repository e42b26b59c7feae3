"""Case analysis: turn traces, metrics, logs and changes into ranked, evidenced causes."""

from oncall.analyze.rank import analyze_incident

__all__ = ["analyze_incident"]
