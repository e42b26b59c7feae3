"""`oncall ask "question" [SCENARIO]`: an answer with sources, or a plain "not known".

Needs a model (`ONCALL_LLM_MODEL` or `llm.model` in oncall.yaml, or `--model`); without
one it stops at once with exit 2 and says how to configure one. Everything heavy
(the pipeline, the knowledge index, litellm) is imported inside the command.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from oncall.cli.common import user_errors
from oncall.cli.triage import OutputFormat
from oncall.errors import InputError

if TYPE_CHECKING:
    from oncall.llm.ask import Answer
    from oncall.llm.context import Context


def ask_command(
    question: Annotated[str, typer.Argument(help="What you want to know, in words.")],
    scenario: Annotated[
        Path | None, typer.Argument(help="A scenario directory to answer about (optional).")
    ] = None,
    knowledge: Annotated[
        list[Path] | None,
        typer.Option("--knowledge", "-k", help="More runbook/incident folders (repeatable)."),
    ] = None,
    index: Annotated[
        Path | None,
        typer.Option("--index", help="Knowledge index built by `oncall index` (default: "
                     "the user's index when one exists)."),
    ] = None,
    lexical: Annotated[
        bool, typer.Option("--lexical", help="BM25 retrieval only, even with the model installed.")
    ] = False,
    model: Annotated[
        str | None, typer.Option("--model", help="LLM to ask (litellm name, e.g. "
                                 "ollama/llama3.1); default ONCALL_LLM_MODEL.")
    ] = None,
    api_base: Annotated[
        str | None, typer.Option("--api-base", help="Its endpoint, e.g. http://127.0.0.1:11434; "
                                 "default ONCALL_LLM_API_BASE.")
    ] = None,
    output_format: Annotated[
        OutputFormat, typer.Option("--format", "-f", help="text for people, json for machines.")
    ] = OutputFormat.text,
) -> None:
    """Answer a question from the incident context and the knowledge, citing sources."""
    from oncall.llm.settings import LLMSettings

    with user_errors():
        settings = LLMSettings.resolve(model=model, api_base=api_base).require("--model")
        if not question.strip():
            raise InputError("question", "is empty")
        from oncall.llm.ask import Answer, ask
        from oncall.llm.client import LlmClient
        from oncall.llm.gather import gather

        found = gather(question, scenario, knowledge or [], index, lexical)
        for what in found.unavailable:
            typer.echo(f"oncall: {what}; answering without it", err=True)
        completion = None
        if not found.context.sources:
            answer = Answer(False, "", note="nothing to answer from: give a SCENARIO, a -k "
                            "folder, or build an index with `oncall index`")
        else:
            answer, completion = ask(LlmClient(settings), question, found.context)
    if output_format is OutputFormat.json:
        body: dict[str, Any] = {
            "question": question,
            "model": settings.model,
            "known": answer.known,
            "answer": answer.text if answer.known else None,
            "missing": answer.text if not answer.known else None,
            "note": answer.note or None,
            "citations": [_cited(found.context, c) for c in answer.citations],
            "searched": found.searched,
            "unavailable": found.unavailable,
            "sources_offered": len(found.context.sources),
            "raw": answer.raw or None,
            "usage": None if completion is None else {
                "prompt_tokens": completion.prompt_tokens,
                "completion_tokens": completion.completion_tokens,
                "cost_usd": completion.cost_usd,
                "attempts": completion.attempts,
            },
        }
        sys.stdout.write(json.dumps(body, indent=2) + "\n")
        return
    _print_answer(answer, found.context, settings.model or "")


def _cited(context: Context, source_id: str) -> dict[str, str]:
    source = context.get(source_id)
    return {"id": source_id, "kind": source.kind if source else "",
            "title": source.title if source else ""}


def _print_answer(answer: Answer, context: Context, model: str) -> None:
    from rich.console import Console
    from rich.text import Text

    from oncall.llm.show import safe

    console = Console()
    if not answer.known:
        console.print(Text("Not known from the incident context and knowledge given.",
                           style="bold yellow"))
        if answer.text:
            console.print(Text(safe(answer.text)))
        if answer.note:
            console.print(Text(f"({safe(answer.note)})", style="dim"))
        return
    console.print(Text(safe(answer.text)))
    console.print(Text(f"\nSources (answer drafted by {safe(model)}; verify before acting):",
                       style="bold"))
    for source_id in answer.citations:
        source = context.get(source_id)
        line = Text(f"  [{safe(source_id)}] ")
        if source is not None:
            detail = source.title if source.kind != "evidence" else source.text
            line.append(safe(detail[:160].replace("\n", " ")), style="dim")
        console.print(line)
