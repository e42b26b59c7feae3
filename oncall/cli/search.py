"""`oncall search "query"`: ranked runbooks, past incidents and known errors."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from oncall.cli.common import user_errors
from oncall.cli.index import INDEX_HELP
from oncall.cli.triage import OutputFormat
from oncall.errors import InputError

DOC_TYPES = ("runbook", "incident", "known_error")


def search_command(
    query: Annotated[str, typer.Argument(help="What is happening, in words or alert names.")],
    service: Annotated[
        list[str] | None,
        typer.Option("--service", "-s", help="Only documents for this service (or for all)."),
    ] = None,
    doc_type: Annotated[
        list[str] | None,
        typer.Option("--type", "-t", help="Only this doc type: runbook, incident, known_error."),
    ] = None,
    limit: Annotated[int, typer.Option("--limit", "-n", help="How many hits.")] = 5,
    index: Annotated[Path | None, typer.Option("--index", help=INDEX_HELP)] = None,
    lexical: Annotated[
        bool, typer.Option("--lexical", help="BM25 only, even with the model installed.")
    ] = False,
    output_format: Annotated[
        OutputFormat, typer.Option("--format", "-f", help="text for people, json for machines.")
    ] = OutputFormat.text,
) -> None:
    """Search the knowledge index: dense + BM25 fused, filtered by service and type."""
    import sqlite3

    from oncall.knowledge.hybrid import LEXICAL_NOTE, note_once
    from oncall.knowledge.store import KnowledgeIndex, chroma_url

    with user_errors():
        if not query.strip():
            raise InputError("query", "is empty")
        if limit < 1 or limit > 100:
            raise InputError("--limit", f"must be between 1 and 100, got {limit}")
        for kind in doc_type or []:
            if kind not in DOC_TYPES:
                raise InputError("--type", f"unknown doc type {kind!r} "
                                 f"(expected one of {', '.join(DOC_TYPES)})")
        if index is not None and not chroma_url() and not (index / "oncall.sqlite3").is_file():
            raise InputError(str(index), "no index here; run `oncall index PATH --index ...`")
        store = KnowledgeIndex.open(index, lexical=lexical, read_only=True)  # never written
        if store.note:
            note_once(store.note)
        elif store.mode == "lexical" and not lexical:
            note_once(LEXICAL_NOTE)
        try:
            if not store.stats()["chunks"]:
                raise InputError(store.location,
                                 "the index is empty; run `oncall index PATH` first")
            hits = store.search(query, services=service or [], doc_types=doc_type or [],
                                limit=limit, lexical=lexical)
        except sqlite3.Error as exc:  # a corrupt page found only now
            raise InputError(store.location, f"cannot read the index database ({exc})") from None
        finally:
            store.close()
        mode = "lexical" if lexical else store.mode
    if output_format is OutputFormat.json:
        body = {"query": query, "mode": mode, "hits": [h.as_dict() for h in hits]}
        sys.stdout.write(json.dumps(body, indent=2) + "\n")
        return
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    console = Console()
    if not hits:
        console.print(Text(f"no matches ({mode})"))
        return
    table = Table(title=Text(f"{len(hits)} hit(s), {mode}"), title_justify="left")
    for name in ("#", "score", "id", "type", "title / section", "path"):
        table.add_column(name, overflow="fold")
    for rank, hit in enumerate(hits, start=1):
        where = Text(hit.title)
        if hit.section:
            where.append(f"\n§ {hit.section}", style="dim")
        table.add_row(str(rank), f"{hit.score:.3f}", Text(hit.id), Text(hit.doc_type), where,
                      Text(hit.path))
    console.print(table)
