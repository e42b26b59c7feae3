"""`oncall postmortem TRIAGE.json`: write the resolved incident up and index it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from oncall.cli.common import user_errors
from oncall.cli.index import INDEX_HELP
from oncall.errors import InputError


def postmortem_command(
    triage_file: Annotated[
        Path, typer.Argument(help="A saved triage: `oncall triage SCENARIO --format json`.")
    ],
    resolution: Annotated[
        str, typer.Option("--resolution", "-r", help="What was done and what it changed.")
    ],
    incident: Annotated[
        str | None, typer.Option("--incident", "-i", help="Incident id (default: the first).")
    ] = None,
    action: Annotated[
        list[str] | None,
        typer.Option("--action", "-a", help="A move taken, 'ACTION TARGET' (repeatable)."),
    ] = None,
    root_cause: Annotated[
        str | None,
        typer.Option("--root-cause", help="The real cause, when the ranked one was wrong."),
    ] = None,
    kind: Annotated[
        str | None, typer.Option("--kind", help="Cause kind of --root-cause (deploy, config...).")
    ] = None,
    verified: Annotated[
        bool, typer.Option("--verified/--not-verified", help="Did the signals recover?")
    ] = True,
    resolved_at: Annotated[
        str | None, typer.Option("--resolved-at", help="When it was resolved (RFC 3339).")
    ] = None,
    out: Annotated[
        Path, typer.Option("--out", "-o", help="Folder for the record.")
    ] = Path("knowledge/incidents"),
    force: Annotated[
        bool, typer.Option("--force", help="Replace an existing record of this incident.")
    ] = False,
    index: Annotated[Path | None, typer.Option("--index", help=INDEX_HELP)] = None,
    no_index: Annotated[
        bool, typer.Option("--no-index", help="Only write the record file.")
    ] = False,
    lexical: Annotated[
        bool, typer.Option("--lexical", help="Index for BM25 only (no embeddings).")
    ] = False,
) -> None:
    """Record a resolved incident as a past incident, so the next similar page finds it."""
    from oncall.knowledge.postmortem import (
        Outcome,
        build_record,
        check_resolved_at,
        incident_start,
        parse_action,
        pick_incident,
    )

    with user_errors():
        body = _read_json(triage_file)
        chosen = pick_incident(body, str(triage_file), incident)  # the shape, validated
        if resolved_at:
            check_resolved_at(resolved_at, incident_start(body, chosen, str(triage_file)))
        outcome = Outcome(resolution=resolution, actions=[parse_action(a) for a in action or []],
                          verified=verified, root_cause=root_cause or "", kind=kind or "",
                          resolved_at=resolved_at or "")
        changes = body.get("changes")
        record = build_record(chosen, outcome, str(body.get("scenario") or ""),
                              str(body.get("now") or ""),
                              changes if isinstance(changes, list) else [])
        target = out / record.filename
        if target.exists() and not force:
            raise InputError(str(target), "already exists; pass --force to replace it")
        try:
            out.mkdir(parents=True, exist_ok=True)
            target.write_text(record.text, encoding="utf-8")
        except OSError as exc:
            raise InputError(str(target), f"cannot be written ({exc.strerror})") from None
        typer.echo(f"wrote {target} ({record.id})")
        if no_index:
            return
        from oncall.knowledge.hybrid import LEXICAL_NOTE, note_once
        from oncall.knowledge.store import KnowledgeIndex

        store = KnowledgeIndex.open(index, lexical=lexical)
        if store.mode == "lexical" and not lexical:
            note_once(LEXICAL_NOTE.replace("ranking by", "indexing for"))
        report = store.index_paths([target])
        store.close()
        typer.echo(f"indexed into {store.location} [{report.mode}]: "
                   f"{report.chunks_written} chunk(s)")


def _read_json(path: Path) -> dict[str, object]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(str(path), "no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(str(path), f"cannot be read ({exc})") from None
    try:
        body = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(str(path), f"invalid JSON at line {exc.lineno}: {exc.msg}") from None
    if not isinstance(body, dict):
        raise InputError(str(path), "is not an oncall triage (expected a JSON object)")
    return body
