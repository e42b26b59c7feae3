"""The responder's half of a lab run: triage live, act on the top move, verify.

This is what `oncall triage --live` and `oncall act` do, in one function and without
a person: the generated `oncall.yaml` is read without environment overrides (an
`ONCALL_PROMETHEUS_URL` exported for real work must not point the lab at production),
the live source is triaged by `pipeline.load_and_triage`, and the first incident's top
remediation goes through `ActSession` with `--yes` semantics, so policy alone decides
whether it may run. Recovery is read from Prometheus by `PrometheusReader`, every
step lands in the audit log, and the report says whether the top cause is the fault
that was injected (known only to the caller, compared only after the triage).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from oncall.audit import AuditLog
from oncall.config import load_config
from oncall.lab.procs import LabError
from oncall.lab.report import LabReport
from oncall.model import Span
from oncall.pipeline import load_and_triage
from oncall.remediate.executors import Router
from oncall.remediate.executors.config import parse_executor_config
from oncall.remediate.planner import order_causes
from oncall.remediate.session import ActSession, ActSettings, Verifier
from oncall.sources.live import live_source_from
from oncall.sources.live.reader import PrometheusReader

POLL_SECONDS = 2.0
POLLS = 3
VERIFY_MAX_SECONDS = 90.0
READER_LOOKBACK_SECONDS = 60.0


def traces_read(spans: list[Span] | None) -> dict[str, Any] | None:
    """What the triage read from the trace source, for the report: how many traces and
    spans, how many traces failed, and per service its spans and failed spans."""
    if not spans:
        return None
    services: dict[str, dict[str, int]] = {}
    for span in spans:
        counts = services.setdefault(span.service, {"spans": 0, "error_spans": 0})
        counts["spans"] += 1
        counts["error_spans"] += span.error
    return {"traces": len({s.trace_id for s in spans}), "spans": len(spans),
            "failed_traces": len({s.trace_id for s in spans if s.error}),
            "services": dict(sorted(services.items()))}


def respond(report: LabReport, config_path: Path, audit_path: Path,
            remaining: Callable[[], float], step: Callable[[str], None]) -> None:
    """Fills `report` with the incident, cause, move and outcome; `LabError` when there is
    nothing to act on or no time left to verify. `remaining()` is the time verification
    may still take."""
    config = load_config(config_path, env={})
    with live_source_from(config) as source:
        snap, result = load_and_triage(source)
    report.missing = list(result.missing)
    report.traces = traces_read(snap.spans)
    if not result.incidents:
        raise LabError("triage found no incident in the firing alerts")
    incident = result.incidents[0]
    top = order_causes(incident.hypotheses)[0] if incident.hypotheses else None
    report.incident = {"id": incident.id, "title": incident.title,
                       "services": list(incident.services), "alerts": len(incident.alerts)}
    if top is not None:
        report.cause = {"service": top.service, "kind": top.kind, "change": top.change,
                        "score": top.score, "evidence": list(top.evidence[:6])}
    injected = report.injected or {}
    report.diagnosis_matched = top is not None and (
        top.service == injected.get("service") and top.change == injected.get("change"))
    read = (f"; read {report.traces['traces']} trace(s), {report.traces['failed_traces']} "
            "failed" if report.traces else "; read no traces")
    step(f"triage: {incident.id} {incident.title}; top cause "
         + (f"{top.kind} on {top.service} ({top.change or 'no change'}), score {top.score:.2f}"
            if top else "none") + read)
    if not incident.remediations:
        raise LabError(f"triage proposed no remediation for {incident.id}")
    rem = incident.remediations[0]
    report.remediation = {"action": rem.action, "target": rem.target,
                          "command": rem.command, "decision": rem.decision,
                          "verify": dict(rem.verify)}
    step(f"top remediation: {rem.action} {rem.target} (policy: {rem.decision}); verify "
         f"{', '.join(f'{k} {v}' for k, v in rem.verify.items()) or 'nothing'}")
    raw = yaml.safe_load(config_path.read_text(encoding="utf-8"))
    executors = parse_executor_config(raw["executors"], str(config_path))
    verify_seconds = min(VERIFY_MAX_SECONDS, remaining())
    if verify_seconds < POLL_SECONDS * POLLS:
        raise LabError("the --timeout ran out before the remediation could be verified")
    reader = PrometheusReader.from_config(config, lookback_seconds=READER_LOOKBACK_SECONDS)
    router = Router(executors)
    try:
        verifier = Verifier(reader, time.time, time.sleep, POLL_SECONDS, POLLS, verify_seconds)
        session = ActSession(snap, incident, router, AuditLog(audit_path),
                             ActSettings(yes=True), verifier)
        outcome = session.act(0)
    finally:
        router.close()
        reader.close()
    report.outcome = {
        "status": outcome.status, "message": outcome.message,
        "call": outcome.result.call if outcome.result else None,
        "detail": outcome.result.detail if outcome.result else None,
        "verification": outcome.verification.as_dict() if outcome.verification else None,
    }
    report.audit_ok = AuditLog(audit_path).verify().ok
    if outcome.status == "recovered":
        report.status = "recovered"
        report.message = (f"{rem.action} {rem.target}: recovery verified from Prometheus "
                          f"({outcome.message})")
    else:
        report.status = "not_recovered" if outcome.executed else "failed"
        report.message = f"{rem.action} {rem.target}: {outcome.status}: {outcome.message}"
    step(f"{outcome.status}: {outcome.message}")
