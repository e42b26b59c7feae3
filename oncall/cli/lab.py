"""`oncall lab`: run the whole loop against real Prometheus and Alertmanager on 127.0.0.1.

Starts the demo services, Prometheus, Alertmanager and traffic; injects a fault; waits
for the alerts; triages live; runs the top remediation under the lab policy; verifies
recovery from Prometheus; writes the audit log; tears everything down. Progress goes
to stderr, the summary (or `--format json`) to stdout. Exit 0 only when recovery was
verified, 1 when it was not (or the run failed), 2 for bad input or a missing binary.
"""

from __future__ import annotations

import json
import signal
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Annotated

import typer

from oncall.cli.common import user_errors
from oncall.cli.triage import OutputFormat

if TYPE_CHECKING:
    from oncall.lab.report import LabReport

FAULT_HELP = "config-timeout (default), bad-deploy-errors or capacity."


def lab_command(
    fault: Annotated[str, typer.Option("--fault", help=f"The fault to inject: {FAULT_HELP}")]
    = "config-timeout",
    timeout: Annotated[
        float, typer.Option("--timeout", min=30, max=3600,
                            help="Give up after this many seconds (the whole run).")
    ] = 240.0,
    warmup: Annotated[
        float, typer.Option("--warmup", min=5, max=1800,
                            help="Seconds of healthy traffic before the fault (baseline).")
    ] = 20.0,
    rate: Annotated[
        float, typer.Option("--rate", min=1, max=200, help="Requests per second of traffic.")
    ] = 20.0,
    audit: Annotated[
        Path | None, typer.Option("--audit", help="The audit log (default: a new temporary "
                                  "directory, printed at the end).")
    ] = None,
    keep: Annotated[
        bool, typer.Option("--keep", help="Leave everything running after the run, until "
                           "Ctrl-C; then clean up.")
    ] = False,
    output_format: Annotated[
        OutputFormat, typer.Option("--format", "-f", help="text for people, json for machines.")
    ] = OutputFormat.text,
) -> None:
    """Break a loopback lab on purpose, then triage, fix and verify it end to end."""
    from oncall.lab.run import LabOptions, check_prerequisites, run_lab

    with user_errors():
        check_prerequisites(fault)
        options = LabOptions(fault=fault, timeout_seconds=timeout, warmup_seconds=warmup,
                             rate=rate, audit=audit, progress=_progress,
                             hold=_hold if keep else None)
        with _sigterm_as_interrupt():
            report = run_lab(options)
    if output_format is OutputFormat.json:
        typer.echo(json.dumps(report.as_dict(), indent=2))
    else:
        _summary(report)
    raise typer.Exit(code=0 if report.recovered else 1)


def _progress(line: str) -> None:
    typer.echo(line, err=True)


def _hold(urls: dict[str, str]) -> None:
    typer.echo("--keep: still running (Ctrl-C to stop and clean up):", err=True)
    for name, url in urls.items():
        typer.echo(f"  {name:<13}{url}", err=True)
    while True:
        time.sleep(1.0)


@contextmanager
def _sigterm_as_interrupt() -> Iterator[None]:
    """SIGTERM unwinds like Ctrl-C, so the lab's `finally` stops what it started."""
    def interrupt(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    try:
        previous = signal.signal(signal.SIGTERM, interrupt)
    except ValueError:  # not the main thread: the lab's atexit hook still cleans up
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _summary(report: LabReport) -> None:
    ok = report.recovered
    lines = [f"lab: {report.fault}: {'RECOVERED' if ok else report.status.upper()} in "
             f"{report.elapsed_seconds:.0f} s"]
    if report.injected:
        lines.append(f"injected:  {report.injected['description']} "
                     f"({report.injected['change']})")
    if report.alerts:
        lines.append(f"alerts:    {', '.join(report.alerts)}")
    if report.incident:
        lines.append(f"incident:  {report.incident['id']} {report.incident['title']}")
    if report.cause:
        cause = report.cause
        lines.append(f"cause:     {cause['kind']} on {cause['service']} "
                     f"({cause['change'] or 'no change'}), score {cause['score']:.2f}; "
                     f"matches the injected fault: {'yes' if report.diagnosis_matched else 'no'}")
        lines += [f"           - {line}" for line in cause["evidence"][:4]]
    if report.remediation:
        rem = report.remediation
        lines.append(f"action:    {rem['action']} {rem['target']} (policy {rem['decision']})")
    if report.outcome:
        if report.outcome.get("call"):
            lines.append(f"ran:       {report.outcome['call']}")
        verification = report.outcome.get("verification")
        if verification:
            last = ", ".join(f"{k} {v:.4g}" if isinstance(v, float) else f"{k} no data"
                             for k, v in verification.get("last", {}).items())
            lines.append(f"verified:  {verification['status']} after "
                         f"{verification['polls']} poll(s): {last}")
    if report.missing:
        lines.append(f"missing:   {'; '.join(report.missing)}")
    lines.append(f"result:    {report.message}")
    audit = "intact" if report.audit_ok else "NOT VERIFIED" if report.audit_ok is False \
        else "not written"
    lines.append(f"audit:     {report.audit} ({audit}; oncall audit show --audit "
                 f"{report.audit})")
    typer.echo("\n".join(lines))
