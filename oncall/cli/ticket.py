"""`oncall ticket sync TRIAGE.json`: one ticket per incident in the configured systems.

Reads a saved triage (`oncall triage SCENARIO --format json`), the `itsm:` section of
the configuration (`--config FILE`, else `$ONCALL_CONFIG`, else oncall.yaml in the XDG
config directory) and the credentials from the environment, then opens or updates the
ServiceNow incident and the Jira issue, triggers the PagerDuty alert and posts the Slack
update. `--resolve` closes them, for the incidents whose recovery the audit log shows
verified (or with `--close-notes`, a person's own words). `--dry-run` sends nothing and
prints every request a real run would send, secrets replaced by `***`.

Exit 0 when every configured system did its part, 1 when one failed or lacked its
credentials (the others still ran), 2 for bad input or configuration.
"""

from __future__ import annotations

import json
import os
import sys
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from oncall.cli.common import user_errors
from oncall.errors import InputError

if TYPE_CHECKING:
    from oncall.itsm.build import Built
    from oncall.itsm.sync import SyncResult

app = typer.Typer(help="Tickets and pages: ServiceNow, Jira, PagerDuty, Slack.",
                  no_args_is_help=True)

AUDIT_HELP = "The audit log (default: ~/.local/share/oncall/audit.jsonl)."


class TicketFormat(StrEnum):
    text = "text"
    json = "json"


@app.command("sync")
def sync_command(
    triage_file: Annotated[
        Path, typer.Argument(help="A saved triage: `oncall triage SCENARIO --format json`.")
    ],
    config: Annotated[
        Path | None, typer.Option("--config", "--itsm-config", "-c",
                                  help="YAML with an itsm: section (default: oncall.yaml).")
    ] = None,
    resolve: Annotated[
        bool, typer.Option("--resolve", help="Resolve the tickets of verified recoveries.")
    ] = False,
    close_notes: Annotated[
        str | None, typer.Option("--close-notes",
                                 help="With --resolve: resolve by hand, with these notes.")
    ] = None,
    acknowledge: Annotated[
        bool, typer.Option("--ack", help="Also acknowledge the PagerDuty alert.")
    ] = False,
    incident: Annotated[
        str | None, typer.Option("--incident", "-i", help="Only this incident.")
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Send nothing; print what would be sent.")
    ] = False,
    audit: Annotated[Path | None, typer.Option("--audit", help=AUDIT_HELP)] = None,
    output_format: Annotated[
        TicketFormat, typer.Option("--format", "-f", help="text for people, json for machines.")
    ] = TicketFormat.text,
) -> None:
    """Open, update or resolve one ticket per incident (never one per alert)."""
    from oncall.audit import AuditLog
    from oncall.itsm.build import build
    from oncall.itsm.config import default_itsm_path, load_itsm_file
    from oncall.itsm.sync import Ticketing

    with user_errors():
        if close_notes is not None and not resolve:
            raise InputError("--close-notes", "only goes with --resolve")
        body = read_triage(triage_file)
        if incident is not None:
            body = _only(body, incident, str(triage_file))
        path = config or default_itsm_path()
        itsm = load_itsm_file(path)
        if not itsm.configured:
            raise InputError(str(path), "configures no system (servicenow, pagerduty, jira, "
                             "slack)", field="itsm")
        log = AuditLog(audit)
        notes = _close_notes(body, log, close_notes) if resolve else {}
        built = build(itsm, os.environ, dry_run=dry_run, resolving=resolve)
        try:
            ticketing = Ticketing(built.integrations, unavailable=built.unavailable,
                                  not_configured=built.not_configured,
                                  audit=log, record=not dry_run,
                                  prefix=itsm.correlation_prefix, secrets=built.secrets)
            source = str(triage_file)
            result = (ticketing.resolve(body, notes, source=source) if resolve
                      else ticketing.sync(body, source=source, acknowledge=acknowledge))
        finally:
            if built.client is not None:
                built.client.close()
    if output_format is TicketFormat.json:
        out = result.as_dict()
        out["dry_run"] = dry_run
        if dry_run:
            out["requests"] = [built.describe(r) for r in built.recorder.sent] \
                if built.recorder else []
            out["warnings"] = built.warnings
        sys.stdout.write(json.dumps(out, indent=2) + "\n")
    else:
        _print(result, built, dry_run)
    if not dry_run and not result.ok:
        raise typer.Exit(code=1)


def read_triage(path: Path) -> dict[str, Any]:
    try:
        body = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(str(path), "not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(str(path), f"cannot be read ({exc})") from None
    except ValueError as exc:
        raise InputError(str(path), f"is not JSON ({exc})") from None
    if not isinstance(body, dict):
        raise InputError(str(path), "is not an oncall triage (expected a JSON object)")
    return body


def _only(body: dict[str, Any], incident: str, source: str) -> dict[str, Any]:
    kept = [i for i in body.get("incidents") or [] if isinstance(i, dict)
            and i.get("id") == incident]
    if not kept:
        raise InputError(source, f"no incident {incident!r}", field="incidents")
    return {**body, "incidents": kept}


def _close_notes(body: dict[str, Any], log: Any, manual: str | None) -> dict[str, str]:
    """Close notes per incident: a person's `--close-notes`, else what the audit log
    shows was run and verified; incidents without either are not resolved."""
    from oncall.itsm.outcomes import close_notes, outcomes

    ids = [str(i.get("id")) for i in body.get("incidents") or [] if isinstance(i, dict)]
    if manual is not None:
        if not manual.strip():
            raise InputError("--close-notes", "is empty")
        return dict.fromkeys(ids, manual.strip())
    known = outcomes(log.records())
    notes: dict[str, str] = {}
    for ident in ids:
        text = close_notes(known[ident]) if ident in known else None
        if text:
            notes[ident] = text
    return notes


def _print(result: SyncResult, built: Built, dry_run: bool) -> None:
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    console = Console()
    if dry_run and built.recorder is not None:
        console.print(Text(f"dry run: nothing was sent; {len(built.recorder.sent)} "
                           "request(s) a real run would send:", style="bold"))
        for request in built.recorder.sent:
            console.print(Text(built.describe(request)))
        for warning in built.warnings:
            console.print(Text(f"warning: {warning}", style="yellow"))
    table = Table(title="dry run" if dry_run else "ticket sync", title_justify="left")
    for name in ("system", "incident", "action", "ticket", "detail"):
        table.add_column(name, overflow="fold")
    for a in result.actions:
        style = "red" if not a.ok else "green" if a.action in ("created", "resolved") else ""
        table.add_row(Text(a.system), Text(a.incident), Text(a.action, style=style),
                      Text(a.ticket), Text(a.detail))
    console.print(table)
    for line in result.unavailable:
        console.print(Text(f"not synced: {line}", style="red"))
    if result.not_configured:
        console.print(Text(f"not configured: {', '.join(result.not_configured)}",
                           style="dim"))
