"""`oncall report`: MTTR, autonomous resolution, actions by route, noise and tickets avoided.

Reads the audit log and saved triages (`--triages` takes files and folders; in a folder
every `*.json` that is an oncall triage counts and other JSON is passed over), computes
the numbers defined in `oncall.itsm.report`, and prints a table, the JSON, or a
self-contained HTML page to share (`--format html --out report.html`).
"""

from __future__ import annotations

import json
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from oncall.cli.common import user_errors
from oncall.errors import InputError, OncallError

AUDIT_HELP = "The audit log (default: ~/.local/share/oncall/audit.jsonl)."


class ReportFormat(StrEnum):
    text = "text"
    json = "json"
    html = "html"


def report_command(
    audit: Annotated[Path | None, typer.Option("--audit", help=AUDIT_HELP)] = None,
    triages: Annotated[
        list[Path] | None,
        typer.Option("--triages", "-t", help="Saved triage files or folders (repeatable)."),
    ] = None,
    output_format: Annotated[
        ReportFormat, typer.Option("--format", "-f", help="text, json, or a shareable html.")
    ] = ReportFormat.text,
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Write here, not stdout.")
                   ] = None,
) -> None:
    """Operating numbers from the audit log and saved triages."""
    from oncall.audit import existing_log
    from oncall.itsm.report import build_report

    with user_errors():
        bodies = load_triages(triages or [])
        log = existing_log(audit)
        report = build_report(log.records(), bodies)
        if output_format is ReportFormat.json:
            text = json.dumps(report.as_dict(), indent=2) + "\n"
        elif output_format is ReportFormat.html:
            from oncall.itsm.page import render_html

            text = render_html(report)
        else:
            text = _text(report, plain=out is not None)
        if out is None:
            sys.stdout.write(text)
            return
        try:
            out.write_text(text, encoding="utf-8")
        except OSError as exc:
            raise InputError(str(out), f"cannot be written ({exc.strerror})",
                             field="--out") from None
    typer.echo(f"wrote {out}", err=True)


def load_triages(paths: list[Path]) -> list[tuple[str, dict[str, Any]]]:
    """Named files must be triages; in a folder, JSON that is no triage is passed over."""
    from oncall.cli.ticket import read_triage
    from oncall.itsm.content import views

    out: list[tuple[str, dict[str, Any]]] = []
    for path in paths:
        if path.is_dir():
            for candidate in sorted(path.glob("*.json")):
                try:
                    body = read_triage(candidate)
                    views(body, str(candidate))
                except OncallError:
                    continue
                out.append((str(candidate), body))
        elif path.exists():
            body = read_triage(path)
            views(body, str(path))
            out.append((str(path), body))
        else:
            raise InputError(str(path), "not found", field="--triages")
    return out


def _text(report: Any, plain: bool) -> str:
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    from oncall.itsm.outcomes import ROUTES
    from oncall.itsm.page import ROUTE_LABELS

    def pct(value: float | None) -> str:
        return "-" if value is None else f"{value:.1%}"

    def mins(value: float | None) -> str:
        return "-" if value is None else f"{value:.1f} min"

    console = Console(width=110, color_system=None) if plain else Console()
    summary = Table(title="operating report", title_justify="left")
    for name in ("metric", "value", "basis"):
        summary.add_column(name, overflow="fold")
    resolved = len(report.resolved)
    summary.add_row("MTTR (first alert -> verified recovery)", mins(report.mttr_minutes),
                    f"{len(report.repair_minutes)} incident(s); median "
                    f"{mins(report.median_minutes)}; {report.resolved_without_start} "
                    "resolved without a saved triage")
    summary.add_row("autonomous resolution rate", pct(report.autonomous_rate),
                    f"{report.autonomous} of {resolved} resolved")
    for route in ROUTES:
        summary.add_row(f"actions {ROUTE_LABELS[route]}", pct(report.share(route)),
                        f"{report.routes[route]} of {report.attempts} attempt(s)")
    summary.add_row("noise reduction", pct(report.noise_reduction),
                    f"{report.alerts} alert(s) -> {report.incidents_seen} incident(s)")
    summary.add_row("tickets avoided", str(report.tickets_avoided),
                    f"{report.tickets_opened} ticket(s) opened by oncall")
    incidents = Table(title="incidents", title_justify="left")
    for name in ("incident", "title", "time to recover", "by", "route"):
        incidents.add_column(name, overflow="fold")
    for row in report.incidents:
        incidents.add_row(Text(row.id), Text(row.title), mins(row.minutes),
                          Text(row.resolved_by or "-"), Text(row.route or "-"))
    with console.capture() as capture:
        console.print(summary)
        console.print(Text(f"{report.triages} triage(s), {report.audit_records} audit "
                           "record(s)"))
        if report.incidents:
            console.print(incidents)
    return capture.get()
