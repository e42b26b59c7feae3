"""Action: plan remediations for the likeliest causes and check them against policy."""

from oncall.remediate.planner import order_causes, plan_remediations
from oncall.remediate.policy import decide
from oncall.remediate.stage import plan_incident

__all__ = ["decide", "order_causes", "plan_incident", "plan_remediations"]
