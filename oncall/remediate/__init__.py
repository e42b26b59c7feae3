"""Action: plan remediations for the likeliest causes and check them against policy."""

from oncall.remediate.planner import plan_remediations
from oncall.remediate.policy import decide

__all__ = ["decide", "plan_remediations"]
