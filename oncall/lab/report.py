"""What a lab run reports: the steps, what was injected, found, done and verified.

One record serves both the text summary and `--format json`, so the two never tell
different stories; `recovered` (verification passed) is the only success.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(slots=True)
class LabReport:
    """What happened; `recovered` is the only success."""

    fault: str
    status: str = "failed"  # recovered | not_recovered | failed
    message: str = ""
    audit: str = ""
    audit_ok: bool | None = None
    steps: list[dict[str, Any]] = field(default_factory=list)
    alerts: list[str] = field(default_factory=list)
    notified: int = 0
    incident: dict[str, Any] | None = None
    cause: dict[str, Any] | None = None
    remediation: dict[str, Any] | None = None
    outcome: dict[str, Any] | None = None
    injected: dict[str, Any] | None = None
    diagnosis_matched: bool | None = None
    processes: list[dict[str, Any]] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    # What the live triage read from the trace source: traces, spans, failed traces,
    # services (None when it read none)
    traces: dict[str, Any] | None = None
    workdir: str = ""  # removed at the end of the run
    elapsed_seconds: float = 0.0

    @property
    def recovered(self) -> bool:
        return self.status == "recovered"

    def as_dict(self) -> dict[str, Any]:
        return {"fault": self.fault, "status": self.status, "recovered": self.recovered,
                "message": self.message, "injected": self.injected,
                "incident": self.incident, "cause": self.cause,
                "diagnosis_matched": self.diagnosis_matched,
                "remediation": self.remediation, "outcome": self.outcome,
                "alerts": self.alerts, "notified": self.notified, "missing": self.missing,
                "traces": self.traces,
                "audit": self.audit, "audit_ok": self.audit_ok, "steps": self.steps,
                "processes": self.processes, "workdir": self.workdir,
                "elapsed_seconds": round(self.elapsed_seconds, 1)}
