"""`oncall triage SCENARIO`: the page-time summary."""

from __future__ import annotations

import json
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from oncall.cli.common import user_errors


class OutputFormat(StrEnum):
    text = "text"
    json = "json"


def triage(
    scenario: Annotated[Path, typer.Argument(help="A scenario directory (the scenario format).")],
    output_format: Annotated[
        OutputFormat, typer.Option("--format", "-f", help="text for people, json for machines.")
    ] = OutputFormat.text,
    knowledge: Annotated[
        list[Path] | None,
        typer.Option("--knowledge", "-k", help="More runbook/incident folders (repeatable)."),
    ] = None,
    evidence: Annotated[int, typer.Option(help="Evidence lines shown per cause.")] = 3,
    causes: Annotated[int, typer.Option(help="Likely causes shown per incident.")] = 3,
) -> None:
    """Cluster the alerts into incidents, rank causes, find runbooks, propose safe moves."""
    from oncall.export import triage_to_dict
    from oncall.pipeline import load_knowledge
    from oncall.pipeline import triage as run_triage
    from oncall.sources import ScenarioSource

    with user_errors():
        extra = load_knowledge(knowledge or [])
        result = run_triage(ScenarioSource(scenario), extra_knowledge=extra)
    if output_format is OutputFormat.json:
        sys.stdout.write(json.dumps(triage_to_dict(result), indent=2) + "\n")
        return
    from oncall.cli.render import render_triage

    render_triage(result, evidence_lines=evidence, causes=causes)
