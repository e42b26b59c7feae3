"""`oncall dashboard SCENARIO | --live`: the triage as a keyboard-driven terminal dashboard.

Everything a user can get wrong is checked before the app starts, so it ends the way
`oncall triage` does (one line, exit 2) instead of inside a full-screen app: the
scenario is read, the `oncall.yaml` of `--live`, the executor config and the audit key
are validated. Executors are found as for `oncall act` (`remediate.setup`), so both
act through the same config; without any, the dashboard approves and the person runs
the command.
The first live fetch happens inside the app, in a worker, since a slow source must be
a notice rather than a blank terminal. Textual is imported only after all that, inside
this command, so `import oncall.cli.main` stays light.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from oncall.cli.common import live_reader, user_errors


def dashboard(
    scenario: Annotated[
        Path | None, typer.Argument(help="A scenario directory (the scenario format).")
    ] = None,
    knowledge: Annotated[
        list[Path] | None,
        typer.Option("--knowledge", "-k", help="More runbook/incident folders (repeatable)."),
    ] = None,
    lexical: Annotated[
        bool, typer.Option("--lexical", help="BM25 retrieval only, even with the model installed.")
    ] = False,
    audit: Annotated[
        Path | None,
        typer.Option("--audit", help="Audit log of every preview, approval, run and undo "
                     "(default: ~/.local/share/oncall/audit.jsonl)."),
    ] = None,
    executor_config: Annotated[
        Path | None, typer.Option("--executor-config", help="YAML with an executors: "
                                  "section (default: ~/.config/oncall/executors.yaml, else "
                                  "executors: in oncall.yaml).")
    ] = None,
    approved_by: Annotated[
        list[str] | None, typer.Option("--approved-by", help="A further approver you attest "
                                       "(repeatable), when policy needs several.")
    ] = None,
    live: Annotated[
        bool, typer.Option("--live", help="Pull from the sources in oncall.yaml instead.")
    ] = False,
    config: Annotated[
        Path | None, typer.Option("--config", "-c", help="oncall.yaml for --live.")
    ] = None,
    refresh: Annotated[
        float, typer.Option(min=0, help="Seconds between --live refreshes (0: only on r).")
    ] = 30.0,
) -> None:
    """Browse incidents, causes, runbooks and remediations; preview, approve, run, undo."""
    from oncall.audit import AuditLog
    from oncall.errors import OncallError
    from oncall.knowledge.select import choose_retriever
    from oncall.knowledge.store import chroma_url
    from oncall.pipeline import load_knowledge
    from oncall.remediate.approvals import attested_names
    from oncall.remediate.setup import find_executor_config, make_verifier
    from oncall.sources import ScenarioSource
    from oncall.tui.data import SourceLoader

    with user_errors():
        if live == (scenario is not None):
            raise OncallError("give a SCENARIO directory or --live (not both)")
        extra = load_knowledge(knowledge or [])
        factory = choose_retriever(None, lexical=lexical, chroma_url=chroma_url())
        log = AuditLog(audit)  # a bad audit key file is an input error, before the app
        executors = find_executor_config(executor_config, config)
        approvers = attested_names(approved_by or ())
        reader = None
        if scenario is not None:
            from oncall.config import user_policy

            source = ScenarioSource(scenario)
            loader = SourceLoader(source, extra, factory, first=source.snapshot(),
                                  user_policy=user_policy(config))
        else:
            from oncall.sources.live import build_live_source

            live_source = build_live_source(config)
            if executors is not None:
                reader = live_reader(config, "run from the dashboard")

    from oncall.tui.app import DashboardApp
    from oncall.tui.runner import RemediationRunner

    # A scenario's recording after `now` replays as the metrics after the action; live,
    # recovery is read from the configured Prometheus (without one a run ends unverified,
    # and says so).
    runner = None if executors is None else RemediationRunner(
        executors, log, lambda snap: make_verifier(snap, scenario=scenario, reader=reader),
        approved_by=approvers)
    if scenario is not None:
        DashboardApp(loader, audit=log, executor=runner).run()
        return
    try:
        with live_source:
            loader = SourceLoader(live_source, extra, factory)
            DashboardApp(loader, audit=log, executor=runner,
                         refresh_seconds=refresh or None).run()
    finally:
        if reader is not None:
            reader.close()
