"""`oncall act SCENARIO`: pick a proposed remediation, see the exact call, confirm, run.

The command triages the scenario, lists the incident's remediations with policy's
decision, and hands the chosen one to the action loop (`oncall.remediate.session`),
which checks policy, previews the exact command or API call with a dry run, asks the
person to type the action name (or `yes`), executes, verifies recovery, undoes and
escalates when it did not help, and writes every step to the audit log.

`interactive(result, snapshot, options)` is the same flow for a triage that already
ran, so `oncall triage` can offer it. Without a terminal nothing that needs a person
runs: with `--yes` only what policy marks `auto`, without it nothing at all.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from oncall.cli.common import user_errors
from oncall.errors import InputError

if TYPE_CHECKING:
    import httpx
    from rich.console import Console

    from oncall.model import Incident, Snapshot, Triage
    from oncall.remediate.executors import ExecutorConfig
    from oncall.remediate.session import ActOutcome, Confirmation, ConfirmRequest, Verifier
    from oncall.remediate.verify_loop import MetricsReader

# Exit codes (docs/action.md): 0 nothing went wrong, 1 the chosen move did not go
# through or did not help, 2 bad input (an `OncallError`, via `user_errors`).
FAILED = {"denied", "refused", "failed", "undone", "unverified"}


@dataclass(slots=True)
class ActOptions:
    """Everything `interactive` needs besides the triage. The seams at the end are for
    live systems (a Prometheus reader) and tests (a scripted person, mock HTTP)."""

    incident: str | None = None
    pick: int | None = None  # 1-based, as listed
    yes: bool = False
    dry_run: bool = False
    audit: Path | None = None
    executor_config: Path | None = None
    oncall_config: Path | None = None  # --config: its executors: section, its policy
    approved_by: tuple[str, ...] = ()
    poll_seconds: float = 30.0
    polls: int = 3
    verify_minutes: float | None = None
    scenario: Path | None = None  # recorded metrics to replay when there is no reader
    terminal: bool | None = None  # None: standard input and output are terminals
    ask: Callable[[str], str] | None = None  # None: read a line from the terminal
    console: Console | None = None
    reader: MetricsReader | None = None
    clock: Callable[[], float] | None = None
    sleep: Callable[[float], None] | None = None
    clients: Mapping[str, httpx.Client] = field(default_factory=dict)


def act_command(
    scenario: Annotated[Path, typer.Argument(help="A scenario directory (the scenario format).")],
    incident: Annotated[
        str | None, typer.Option("--incident", "-i", help="Incident id (default: the first).")
    ] = None,
    pick: Annotated[
        int | None, typer.Option("--pick", "-p", min=1, help="Remediation number, as listed.")
    ] = None,
    yes: Annotated[
        bool, typer.Option("--yes", "-y", help="Run what policy marks auto without asking; "
                           "never overrides deny, approvals still need a person.")
    ] = False,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Show the exact call and its dry run; run nothing.")
    ] = False,
    audit: Annotated[
        Path | None, typer.Option("--audit", help="The audit log (default: "
                                  "~/.local/share/oncall/audit.jsonl).")
    ] = None,
    executor_config: Annotated[
        Path | None, typer.Option("--executor-config", "-c", help="YAML with an executors: "
                                  "section (default: ~/.config/oncall/executors.yaml).")
    ] = None,
    approved_by: Annotated[
        list[str] | None, typer.Option("--approved-by", help="A further approver you attest "
                                       "(repeatable), when policy needs several.")
    ] = None,
    poll_seconds: Annotated[
        float, typer.Option(min=1, max=600, help="Seconds between verification polls.")
    ] = 30.0,
    polls: Annotated[
        int, typer.Option(min=1, max=100, help="Consecutive healthy polls that mean recovered.")
    ] = 3,
    verify_minutes: Annotated[
        float | None, typer.Option(min=0.1, max=240, help="Verification timeout (default: "
                                   "the remediation's own window).")
    ] = None,
    config: Annotated[
        Path | None, typer.Option("--config", help="oncall.yaml (its policy tightens the "
                                  "scenario's; its executors: section is used).")
    ] = None,
) -> None:
    """Act on a proposed remediation: policy check, preview, confirm, run, verify, undo."""
    from oncall.config import user_policy
    from oncall.pipeline import load_and_triage
    from oncall.sources import ScenarioSource

    with user_errors():
        snap, result = load_and_triage(ScenarioSource(scenario),
                                       user_policy=user_policy(config))
    options = ActOptions(incident=incident, pick=pick, yes=yes, dry_run=dry_run, audit=audit,
                         executor_config=executor_config, oncall_config=config,
                         approved_by=tuple(approved_by or ()),
                         poll_seconds=poll_seconds, polls=polls, verify_minutes=verify_minutes,
                         scenario=scenario)
    raise typer.Exit(code=interactive(result, snap, options))


def interactive(result: Triage, snap: Snapshot, options: ActOptions) -> int:
    """The confirm flow on a finished triage; returns the exit code (0 fine, 1 the move
    was denied, refused, failed or did not help, 2 bad input)."""
    from rich.console import Console

    console = options.console or Console()
    with user_errors():
        return _interactive(result, snap, options, console)


def _interactive(result: Triage, snap: Snapshot, options: ActOptions, console: Console) -> int:
    from rich.text import Text

    from oncall.audit import AuditLog
    from oncall.remediate.approvals import attested_names
    from oncall.remediate.executors import Router
    from oncall.remediate.session import ActSession, ActSettings

    approved_by = attested_names(options.approved_by)
    incident = _incident(result, options)
    if incident is None:
        console.print("No incident: nothing to act on.")
        return 0
    _show(console, incident)
    terminal = _is_terminal() if options.terminal is None else options.terminal
    ask = options.ask or (lambda prompt: console.input(prompt))
    audit = AuditLog(options.audit)
    config = _executor_config(options, console)
    router = Router(config, clients=options.clients)
    settings = ActSettings(yes=options.yes, dry_run=options.dry_run,
                           confirm=_prompt(console, ask, audit.actor) if terminal else None,
                           approvers=approved_by)
    session = ActSession(snap, incident, router, audit, settings, _verifier(options, snap))
    try:
        index = _choose(options, incident, terminal, ask, console)
        if index is None:
            session.propose()
            console.print(Text(f"Proposals recorded in {audit.path}."))
            return 0
        if options.reader is None and options.scenario is not None and not options.dry_run:
            console.print("Verification replays the scenario's recorded metrics after its "
                          "`now` (no live metrics reader).")
        outcome = session.act(index)
    finally:
        router.close()
    _report(console, outcome, audit.path)
    return exit_code(outcome, incident.remediations[index].action)


def exit_code(outcome: ActOutcome, action: str) -> int:
    """0 when nothing went wrong: proposed only, a dry run whose dry run did not fail,
    cancelled by the person, recovered, an escalation done as chosen. 1 when the chosen
    move was denied or refused (no executor, an invalid target, too few approvers),
    failed (its dry run included), or did not restore the signals (unverified, undone,
    or escalated after it did not help)."""
    if outcome.status == "escalated":
        return 0 if action == "escalate" else 1
    if outcome.status == "dry_run":
        return 1 if outcome.preview is not None and outcome.preview.dry_run_ok is False else 0
    return 1 if outcome.status in FAILED else 0


def _incident(result: Triage, options: ActOptions) -> Incident | None:
    if options.incident is None:
        return result.incidents[0] if result.incidents else None
    for incident in result.incidents:
        if incident.id == options.incident:
            return incident
    known = ", ".join(i.id for i in result.incidents) or "none"
    raise InputError(result.scenario, f"no incident {options.incident[:40]!r} (incidents: "
                     f"{known})", field="--incident")


def _choose(options: ActOptions, incident: Incident, terminal: bool,
            ask: Callable[[str], str], console: Console) -> int | None:
    """The 0-based remediation to act on, or None to only propose."""
    count = len(incident.remediations)
    if options.pick is not None:
        if not 1 <= options.pick <= count:
            raise InputError(incident.id, f"there is no remediation #{options.pick} "
                             f"(1-{count})", field="--pick")
        return options.pick - 1
    if not terminal or count == 0:
        if count:
            console.print("No terminal and no --pick: proposing only. Run `oncall act` at a "
                          "terminal, or pass --pick N --yes to run what policy marks auto.")
        return None
    answer = ask(f"Pick a remediation 1-{count} (Enter to stop): ").strip()
    if not answer:
        return None
    if not answer.isdigit() or not 1 <= int(answer) <= count:
        console.print(f"Not a number from 1 to {count}: nothing was done.")
        return None
    return int(answer) - 1


def _show(console: Console, incident: Incident) -> None:
    from rich.table import Table
    from rich.text import Text

    table = Table(title=Text(f"{incident.id}: {incident.title or ', '.join(incident.services)}"),
                  title_justify="left")
    for name in ("#", "action", "target", "risk", "policy", "command"):
        table.add_column(name, overflow="fold")
    for rank, rem in enumerate(incident.remediations, start=1):
        table.add_row(str(rank), Text(rem.action), Text(rem.target), Text(rem.risk),
                      Text(rem.decision), Text(rem.command or "(none: not executable)"))
    console.print(table)


def _prompt(console: Console, ask: Callable[[str], str],
            actor: str) -> Callable[[ConfirmRequest], Confirmation]:
    """The person at the terminal: sees the exact call and dry run, types to confirm."""
    from rich.text import Text

    from oncall.remediate.session import Confirmation

    def confirm(request: ConfirmRequest) -> Confirmation:
        rem, preview = request.remediation, request.preview
        verb = f"undo {rem.action}" if request.undo else rem.action
        dry = {True: "ok", False: "FAILED", None: "not available"}[preview.dry_run_ok]
        lines = [
            f"{verb} {rem.target}  (policy: {request.decision.decision}: "
            f"{request.decision.reason})",
            f"  executor: {preview.executor}",
            f"  call:     {preview.undo if request.undo else preview.call}",
        ]
        if not request.undo:
            lines += [f"  dry run:  {dry}: {preview.dry_run}", f"  undo:     {preview.undo}"]
            if preview.undo_kind == "impossible":
                lines.append("  WARNING: this call cannot be undone from here")
            if request.approvals_needed > 1:
                lines.append(f"  approvals: {request.approvals_needed} needed; you ({actor}) "
                             "and the --approved-by names")
        console.print(Text("\n".join(lines)))
        word = "undo" if request.undo else rem.action
        answer = ask(f"Type '{word}' or 'yes' to run it, anything else to cancel: ").strip()
        if answer in (word, "yes"):
            return Confirmation(True, (actor,))
        return Confirmation(False, note=f"{actor} did not confirm")

    return confirm


def _executor_config(options: ActOptions, console: Console) -> ExecutorConfig:
    from oncall.remediate.executors import ExecutorConfig
    from oncall.remediate.setup import find_executor_config

    config = find_executor_config(options.executor_config, options.oncall_config)
    if config is None:
        console.print("No executor config (--executor-config): nothing can run; see "
                      "docs/action.md.")
        return ExecutorConfig()
    return config


def _verifier(options: ActOptions, snap: Snapshot) -> Verifier:
    from oncall.remediate.setup import make_verifier

    timeout = options.verify_minutes * 60 if options.verify_minutes else None
    return make_verifier(snap, scenario=options.scenario, reader=options.reader,
                         clock=options.clock, sleep=options.sleep,
                         poll_seconds=options.poll_seconds, polls=options.polls,
                         timeout_seconds=timeout)


def _report(console: Console, outcome: ActOutcome, path: Path) -> None:
    from rich.text import Text

    if outcome.preview is not None and outcome.status == "dry_run":
        preview = outcome.preview
        console.print(Text(f"call:    {preview.call}\ndry run: {preview.dry_run}\n"
                           f"undo:    {preview.undo}"))
    if outcome.result is not None:
        console.print(Text(f"ran:     {outcome.result.call}\n         {outcome.result.detail}"))
    if outcome.verification is not None:
        console.print(Text(f"verify:  {outcome.verification.status}: "
                           f"{outcome.verification.reason}"))
    if outcome.undo is not None:
        console.print(Text(f"undo:    {outcome.undo.call}: {outcome.undo.detail}"))
    console.print(Text(f"outcome: {outcome.status}: {outcome.message}"))
    console.print(Text(f"audit:   {path}"))


def _is_terminal() -> bool:
    return sys.stdin.isatty() and sys.stdout.isatty()
