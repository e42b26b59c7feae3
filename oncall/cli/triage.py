"""`oncall triage SCENARIO`: the page-time summary."""

from __future__ import annotations

import json
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from oncall.cli.common import user_errors
from oncall.errors import InputError, OncallError


class OutputFormat(StrEnum):
    text = "text"
    json = "json"


def triage(
    scenario: Annotated[
        Path | None, typer.Argument(help="A scenario directory (the scenario format).")
    ] = None,
    output_format: Annotated[
        OutputFormat, typer.Option("--format", "-f", help="text for people, json for machines.")
    ] = OutputFormat.text,
    knowledge: Annotated[
        list[Path] | None,
        typer.Option("--knowledge", "-k", help="More runbook/incident folders (repeatable)."),
    ] = None,
    evidence: Annotated[
        int, typer.Option(min=0, max=50, help="Evidence lines shown per cause.")
    ] = 3,
    causes: Annotated[
        int, typer.Option(min=1, max=20, help="Likely causes shown per incident.")
    ] = 3,
    index: Annotated[
        Path | None,
        typer.Option("--index", help="Knowledge index built by `oncall index` (default: "
                     "the user's index when one exists)."),
    ] = None,
    lexical: Annotated[
        bool, typer.Option("--lexical", help="BM25 retrieval only, even with the model installed.")
    ] = False,
    live: Annotated[
        bool, typer.Option("--live", help="Pull from the sources in oncall.yaml instead.")
    ] = False,
    config: Annotated[
        Path | None, typer.Option("--config", "-c", help="oncall.yaml for --live.")
    ] = None,
) -> None:
    """Cluster the alerts into incidents, rank causes, find runbooks, propose safe moves."""
    from oncall.export import triage_to_dict
    from oncall.knowledge.select import choose_retriever, user_index_exists
    from oncall.knowledge.store import chroma_url
    from oncall.pipeline import load_knowledge
    from oncall.pipeline import triage as run_triage
    from oncall.sources import ScenarioSource

    with user_errors():
        if index is not None and not chroma_url() and not user_index_exists(index):
            raise InputError(str(index), "no index here; run `oncall index PATH --index ...`")
        extra = load_knowledge(knowledge or [])
        factory = choose_retriever(index, lexical=lexical, chroma_url=chroma_url())
        if live == (scenario is not None):
            raise OncallError("give a SCENARIO directory or --live (not both)")
        if scenario is None:
            from oncall.sources.live import build_live_source

            with build_live_source(config) as source:
                result = run_triage(source, extra_knowledge=extra, retriever_factory=factory)
        else:
            result = run_triage(ScenarioSource(scenario), extra_knowledge=extra,
                                retriever_factory=factory)
    if output_format is OutputFormat.json:
        body = json.dumps(triage_to_dict(result), indent=2, allow_nan=False)
        sys.stdout.write(body + "\n")
        return
    from oncall.cli.render import render_triage

    render_triage(result, evidence_lines=evidence, causes=causes)
