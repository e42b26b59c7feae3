"""`oncall index PATH...`: bring the local knowledge index up to date (or `--stats`)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from oncall.cli.common import user_errors
from oncall.cli.triage import OutputFormat
from oncall.errors import InputError

INDEX_HELP = "The index folder (default: ~/.local/share/oncall/index; ONCALL_CHROMA_URL " \
             "selects a shared chroma server instead)."


def index_command(
    paths: Annotated[
        list[Path] | None,
        typer.Argument(help="Runbook, incident and known-error folders or files."),
    ] = None,
    index: Annotated[Path | None, typer.Option("--index", help=INDEX_HELP)] = None,
    stats: Annotated[bool, typer.Option("--stats", help="Show what the index holds.")] = False,
    lexical: Annotated[
        bool, typer.Option("--lexical", help="Skip embeddings: BM25 only.")
    ] = False,
    output_format: Annotated[
        OutputFormat, typer.Option("--format", "-f", help="text for people, json for machines.")
    ] = OutputFormat.text,
) -> None:
    """Index runbooks, past incidents and known errors for `oncall search` and triage."""
    import sqlite3

    from oncall.knowledge.chunk import check_root
    from oncall.knowledge.hybrid import LEXICAL_NOTE, note_once
    from oncall.knowledge.store import KnowledgeIndex

    with user_errors():
        if not paths and not stats:
            raise InputError("oncall index", "give at least one PATH to index, or --stats")
        for path in paths or []:
            check_root(path)  # before the index is opened (or created)
        # --stats alone only looks: it neither creates an index nor touches one
        store = KnowledgeIndex.open(index, lexical=lexical, read_only=not paths)
        report = None
        try:
            if paths:
                if store.mode == "lexical" and not lexical:
                    note_once(LEXICAL_NOTE.replace("ranking by", "indexing for"))
                report = _run(store, paths, output_format is OutputFormat.text)
            info = store.stats() if stats else None
        except sqlite3.Error as exc:  # a page of the file is corrupt, the disk is full
            doing = "update" if paths else "read"
            raise InputError(store.location, f"cannot {doing} the index database ({exc})"
                             ) from None
        finally:
            store.close()
    if output_format is OutputFormat.json:
        out: dict[str, Any] = {}
        if report is not None:
            from dataclasses import asdict

            out["report"] = asdict(report)
        if info is not None:
            out["stats"] = info
        sys.stdout.write(json.dumps(out, indent=2) + "\n")
        return
    if report is not None:
        typer.echo(
            f"indexed {report.files_seen} file(s): {report.added} added, {report.updated} "
            f"updated, {report.unchanged} unchanged, {report.removed} removed; "
            f"{report.chunks_written} chunk(s) written, {report.embedded} embedded "
            f"in {report.seconds:.1f} s [{report.mode}]")
    if info is not None:
        _render_stats(info)


def _run(store: Any, paths: list[Path], show: bool) -> Any:
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
    )

    console = Console(stderr=True)
    columns = (TextColumn("{task.description:<9}"), BarColumn(), MofNCompleteColumn(),
               TimeElapsedColumn())
    # Only on a terminal: elsewhere the bar draws nothing but still ends with a newline,
    # which would put a blank line before an error message.
    live = show and console.is_terminal
    with Progress(*columns, console=console, transient=True, disable=not live) as bar:
        tasks: dict[str, Any] = {}

        def progress(phase: str, done: int, total: int) -> None:
            if phase not in tasks:
                tasks[phase] = bar.add_task(phase, total=total)
            bar.update(tasks[phase], completed=done, total=total)

        return store.index_paths(paths, progress)


def _render_stats(info: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(show_header=False, box=None)
    for key in ("location", "storage", "mode", "model", "files", "documents", "chunks",
                "embedded_chunks"):
        table.add_row(key.replace("_", " "), str(info.get(key) if info.get(key) is not None
                                                 else "-"))
    types = ", ".join(f"{k}: {v}" for k, v in sorted(info.get("by_type", {}).items()))
    table.add_row("by type", types or "-")
    if info.get("bytes_on_disk"):
        table.add_row("on disk", f"{info['bytes_on_disk'] / 1024 / 1024:.1f} MiB")
    Console().print(table)
