"""`oncall audit show` and `oncall audit verify`: read and check the audit log."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from oncall.cli.common import user_errors
from oncall.cli.triage import OutputFormat

app = typer.Typer(help="Read and verify the tamper-evident audit log.", no_args_is_help=True)

AUDIT_HELP = "The audit log (default: ~/.local/share/oncall/audit.jsonl)."


@app.command("show")
def show(
    audit: Annotated[Path | None, typer.Option("--audit", help=AUDIT_HELP)] = None,
    incident: Annotated[
        str | None, typer.Option("--incident", "-i", help="Only this incident's records.")
    ] = None,
    last: Annotated[int, typer.Option("--last", "-n", min=1, help="Newest N records.")] = 50,
    output_format: Annotated[
        OutputFormat, typer.Option("--format", "-f", help="text for people, json for machines.")
    ] = OutputFormat.text,
) -> None:
    """List audit records, newest last; the head hash is printed for safekeeping."""
    from oncall.audit import existing_log

    with user_errors():
        log = existing_log(audit)
        records = [r for r in log.records() if incident is None or r.get("incident") == incident]
        head = log.head()
    shown = records[-last:]
    if output_format is OutputFormat.json:
        body = {"path": str(log.path), "head": head, "records": shown}
        sys.stdout.write(json.dumps(body, indent=2, default=str) + "\n")
        return
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    if not log.path.exists():
        typer.echo(f"{log.path}: no audit log yet (nothing has been recorded)")
        return
    table = Table(title=Text(f"{log.path}: {len(records)} record(s)"), title_justify="left")
    for name in ("#", "at", "actor", "event", "incident", "what"):
        table.add_column(name, overflow="fold")
    for record in shown:
        raw = record.get("data")
        data: dict[str, object] = raw if isinstance(raw, dict) else {}
        what = ", ".join(f"{k}={v}" for k, v in list(data.items())[:6])
        table.add_row(str(record.get("seq")), Text(str(record.get("at"))),
                      Text(str(record.get("actor"))), Text(str(record.get("event"))),
                      Text(str(record.get("incident") or "")), Text(what))
    console = Console()
    console.print(table)
    console.print(Text(f"head {head}"))


@app.command("verify")
def verify(
    audit: Annotated[Path | None, typer.Option("--audit", help=AUDIT_HELP)] = None,
    expect_head: Annotated[
        str | None,
        typer.Option("--expect-head", help="The head hash recorded earlier (catches truncation)."),
    ] = None,
) -> None:
    """Exit 0 when the chain is intact; 1 naming the first edited, moved or missing record."""
    from oncall.audit import GENESIS, existing_log

    with user_errors():
        log = existing_log(audit)
        if not log.path.exists():  # the default log, before anything was recorded
            if expect_head is not None and expect_head != GENESIS:
                sys.stderr.write(f"oncall: {log.path}: there is no audit log, but "
                                 "--expect-head names records: the log was removed or "
                                 "moved\n")
                raise typer.Exit(code=1)
            typer.echo(f"{log.path}: no audit log yet (nothing has been recorded), "
                       "nothing to verify")
            return
        verdict = log.verify(expect_head)
    if verdict.problem is not None:
        sys.stderr.write(f"oncall: {log.path}: {verdict.problem}\n")
        raise typer.Exit(code=1)
    typer.echo(f"{log.path}: {verdict.records} record(s), chain intact, head {verdict.head}")
