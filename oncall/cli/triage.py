"""`oncall triage SCENARIO`: the page-time summary."""

from __future__ import annotations

import json
import sys
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from oncall.cli.common import live_reader, user_errors
from oncall.errors import InputError, OncallError

if TYPE_CHECKING:
    from oncall.model import Snapshot, Triage


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
        Path | None, typer.Option("--config", "-c", help="oncall.yaml (live sources, llm).")
    ] = None,
    act: Annotated[
        bool, typer.Option("--act", help="After the summary, pick a remediation and act on it "
                           "through policy, confirmation and the executors (as `oncall act`).")
    ] = False,
    llm: Annotated[
        bool, typer.Option("--llm", help="Also ask the configured LLM (oncall.yaml llm: or "
                           "ONCALL_LLM_MODEL) for a cited narrative and a second opinion.")
    ] = False,
) -> None:
    """Cluster the alerts into incidents, rank causes, find runbooks, propose safe moves."""
    from oncall.export import triage_to_dict
    from oncall.knowledge.select import choose_retriever, user_index_exists
    from oncall.knowledge.store import chroma_url
    from oncall.pipeline import load_and_triage, load_knowledge
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
                snap, result = load_and_triage(source, extra, factory)
        else:
            from oncall.config import user_policy

            snap, result = load_and_triage(ScenarioSource(scenario), extra, factory,
                                           user_policy(config))
        notes = None
        if llm:
            from oncall.config import config_section
            from oncall.llm.assist import augment_triage
            from oncall.llm.settings import LLMSettings

            settings = LLMSettings.resolve(file_section=config_section("llm", config))
            notes = augment_triage(result, settings, policy=result.policy, docs=extra)
    if output_format is OutputFormat.json:
        doc = triage_to_dict(result)
        if notes is not None:
            doc["llm"] = notes.to_dict(result)
        body = json.dumps(doc, indent=2, allow_nan=False)
        sys.stdout.write(body + "\n")
        return
    from oncall.cli.render import render_triage

    render_triage(result, evidence_lines=evidence, causes=causes)
    if notes is not None:
        from oncall.llm.show import render_llm_notes

        render_llm_notes(notes, result)
    if act:
        raise typer.Exit(code=_act(result, snap, scenario, config))


def _act(result: Triage, snap: Snapshot, scenario: Path | None, config: Path | None) -> int:
    """`--act`: as `oncall act`, with the executors and policy of `--config`. Live,
    recovery is read from the configured Prometheus; from a scenario, its recording after
    `now` is replayed."""
    from oncall.cli.act import ActOptions, interactive

    reader = None
    if scenario is None:
        with user_errors():
            reader = live_reader(config, "that runs")
    try:
        return interactive(result, snap, ActOptions(scenario=scenario, oncall_config=config,
                                                    reader=reader))
    finally:
        if reader is not None:
            reader.close()
