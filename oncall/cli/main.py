"""The `oncall` command: one Typer app with a sub-command per capability.

Heavy libraries (chromadb, litellm, textual, onnxruntime, torch) are imported inside
the commands that use them so `oncall --help` and `oncall triage` start fast.
"""

from __future__ import annotations

import typer

from oncall import __version__
from oncall.cli import act as act_cmd
from oncall.cli import ask as ask_cmd
from oncall.cli import audit as audit_cmd
from oncall.cli import change as change_cmd
from oncall.cli import config as config_cmd
from oncall.cli import dashboard as dashboard_cmd
from oncall.cli import eval as eval_cmd
from oncall.cli import index as index_cmd
from oncall.cli import lab as lab_cmd
from oncall.cli import model as model_cmd
from oncall.cli import postmortem as postmortem_cmd
from oncall.cli import report as report_cmd
from oncall.cli import search as search_cmd
from oncall.cli import snapshot as snapshot_cmd
from oncall.cli import ticket as ticket_cmd
from oncall.cli import triage as triage_cmd
from oncall.cli import watch as watch_cmd

app = typer.Typer(
    name="oncall",
    help="An on-call copilot: alerts to incidents, likely causes with evidence, safe moves.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
# The order is the order of `oncall --help`: the page first, then knowledge, then the rest.
app.command(name="triage")(triage_cmd.triage)
app.command(name="act")(act_cmd.act_command)
app.command(name="dashboard")(dashboard_cmd.dashboard)
app.command(name="ask")(ask_cmd.ask_command)
app.command(name="watch")(watch_cmd.watch_command)
app.command(name="snapshot")(snapshot_cmd.snapshot_command)
app.add_typer(config_cmd.app, name="config")
app.command(name="index")(index_cmd.index_command)
app.command(name="search")(search_cmd.search_command)
app.command(name="postmortem")(postmortem_cmd.postmortem_command)
app.add_typer(model_cmd.app, name="model")
app.add_typer(audit_cmd.app, name="audit")
app.command(name="recurring")(change_cmd.recurring_command)
app.add_typer(change_cmd.app, name="change")
app.add_typer(ticket_cmd.app, name="ticket")
app.command(name="report")(report_cmd.report_command)
app.command(name="eval")(eval_cmd.eval_command)
app.command(name="lab")(lab_cmd.lab_command)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"oncall {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    """An on-call copilot for the command line."""


def run() -> None:
    app()
