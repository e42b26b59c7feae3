"""`oncall config check`: is the configuration valid, and which sources answer?

Run it before the page, not during: it validates `oncall.yaml`, the policy file it
names and its `executors:`, `itsm:` and `llm:` sections with the readers `act`,
`ticket` and `--llm` use (one line and exit 2 when a field is wrong), then makes one
cheap request per source (Prometheus also runs each configured query once) and says
what answered. Exit 1 when any source is down, so it can gate a deploy of the on-call
setup.
"""

from __future__ import annotations

import json
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from oncall.cli.common import user_errors

app = typer.Typer(help="The live-source configuration (oncall.yaml).", no_args_is_help=True,
                  add_completion=False)

CONFIG_HELP = ("oncall.yaml to use (default: $ONCALL_CONFIG, else "
               "$XDG_CONFIG_HOME/oncall/oncall.yaml).")


class CheckFormat(StrEnum):
    text = "text"
    json = "json"


@app.command("check")
def check(
    config: Annotated[Path | None, typer.Option("--config", "-c", help=CONFIG_HELP)] = None,
    output_format: Annotated[
        CheckFormat, typer.Option("--format", "-f", help="text for people, json for machines.")
    ] = CheckFormat.text,
) -> None:
    """Validate the configuration and try each source once."""
    from oncall.config import load_config
    from oncall.errors import SourceUnavailable
    from oncall.sources.live.build import build_client, build_connector

    rows: list[dict[str, str | bool]] = []
    with user_errors():
        cfg = load_config(config)
        policy = _policy(cfg.policy)
        sections = _sections(config)
        for source in cfg.sources:
            with build_client(source) as client:
                connector = build_connector(source, client)
                try:
                    detail, ok = connector.probe(), True
                except SourceUnavailable as exc:
                    detail, ok = str(exc).split("): ", 1)[-1], False
            rows.append({"source": source.kind, "part": source.part, "url": source.url,
                         "ok": ok, "detail": detail})
    where = str(cfg.path) if cfg.path else "environment (ONCALL_*_URL)"
    if output_format is CheckFormat.json:
        body = {"config": where, "policy": policy, **sections, "sources": rows}
        sys.stdout.write(json.dumps(body, indent=2) + "\n")
    else:
        typer.echo(f"config: {where}")
        if policy is not None:
            typer.echo(f"policy: {policy['path']}  {policy['summary']}")
        for name, value in sections.items():
            typer.echo(f"{name}: {', '.join(value) if value else 'none configured'}")
        width = max(len(str(r["source"])) for r in rows)
        for row in rows:
            mark = "ok  " if row["ok"] else "DOWN"
            typer.echo(f"  {mark}  {str(row['source']).ljust(width)}  {row['url']}  "
                       f"{row['detail']}")
        answered = sum(1 for r in rows if r["ok"])
        typer.echo(f"{answered} of {len(rows)} source(s) answer")
    if not all(r["ok"] for r in rows):
        raise typer.Exit(code=1)


def _policy(path: Path | None) -> dict[str, str] | None:
    """The organisation policy the file names, read by the reader `triage --live` uses
    (so a policy that would stop triage stops the check, exit 2), summarised."""
    if path is None:
        return None
    from oncall.sources.policy import read_policy_file

    policy = read_policy_file(path)[1]
    summary = (f"autonomy {policy.autonomy}, {len(policy.actions)} action rule(s), "
               f"{len(policy.freezes)} freeze(s), {len(policy.change_windows)} change "
               f"window(s), {policy.approvers_min} approver(s)")
    return {"path": str(path), "autonomy": policy.autonomy, "summary": summary}


def _sections(config: Path | None) -> dict[str, list[str]]:
    """What the rest of the file configures, each read by the reader its command uses,
    so a field `act`, `ticket` or `--llm` would refuse stops the check now (exit 2)."""
    from oncall.config import config_path, config_section
    from oncall.itsm.config import parse_itsm
    from oncall.llm.settings import LLMSettings
    from oncall.remediate.setup import find_executor_config

    executors = find_executor_config(None, config)
    itsm = config_section("itsm", config)
    llm = LLMSettings.resolve(file_section=config_section("llm", config))
    executor_names: list[str] = []
    if executors is not None:
        executor_names = [name for name in ("kubernetes", "argocd", "flags")
                          if getattr(executors, name) is not None]
        executor_names += [f"webhook {n}" for n in executors.webhooks]
        executor_names += [f"command {n}" for n in executors.commands]
    systems = list(parse_itsm(itsm, str(config_path(config))).configured) if itsm else []
    return {"executors": executor_names, "itsm": systems,
            "llm": [llm.model] if llm.model else []}
