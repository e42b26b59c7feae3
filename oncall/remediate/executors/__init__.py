"""Executors: the toolchains a confirmed remediation runs through, each with a dry run
(`preview`), `execute` and `undo`. See docs/action.md."""

from oncall.remediate.executors.base import (
    ActionRequest,
    ExecutionFailed,
    Executor,
    Preview,
    Refused,
    Result,
)
from oncall.remediate.executors.config import ExecutorConfig, load_executor_config
from oncall.remediate.executors.request import build_request
from oncall.remediate.executors.router import Router

__all__ = [
    "ActionRequest",
    "ExecutionFailed",
    "Executor",
    "ExecutorConfig",
    "Preview",
    "Refused",
    "Result",
    "Router",
    "build_request",
    "load_executor_config",
]
