"""Rich rendering of a triage: what a responder reads first, at the top."""

from __future__ import annotations

from collections import Counter

from rich.console import Console, Group, RenderableType
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from oncall.model import Incident, Triage

DECISION_STYLE = {"auto": "bold green", "approve": "bold yellow", "deny": "bold red"}


def render_triage(
    result: Triage, evidence_lines: int = 3, causes: int = 3, console: Console | None = None
) -> None:
    console = console or Console()
    stats = result.stats
    header = Text()
    header.append(f"{result.scenario}", style="bold")
    header.append(f"  at {result.now:%Y-%m-%d %H:%M:%S}Z\n")
    header.append(
        f"{stats.firing} firing alert(s) -> {stats.incidents} incident(s), {stats.noise} noise "
        f"({stats.reduction:.0%} fewer things to read)"
    )
    if result.missing:
        header.append("\nmissing: " + "; ".join(result.missing), style="yellow")
    console.print(Panel(header, title="oncall triage", border_style="cyan"))
    if not result.incidents:
        console.print("[green]No incident: every firing alert is noise or nothing is firing.[/]")
    for number, incident in enumerate(result.incidents, start=1):
        console.print(_incident_panel(number, incident, evidence_lines, causes))
    if result.noise:
        reasons = Counter(n.reason for n in result.noise)
        lines = ", ".join(f"{count} {reason}" for reason, count in reasons.most_common())
        console.print(Text(f"Noise set aside: {lines}.", style="dim"))


def _incident_panel(number: int, incident: Incident, evidence_lines: int, causes: int) -> Panel:
    facts = Table.grid(padding=(0, 1))
    facts.add_column(style="bold")
    facts.add_column()
    facts.add_row("Services", Text(", ".join(incident.services)))
    facts.add_row("Alerts", Text(f"{len(incident.alerts)} ({_alert_names(incident)})"))
    owner = incident.owner or "unknown (not in the catalog)"
    if incident.escalation:
        owner += f"  escalate: {incident.escalation}"
    facts.add_row("Owner", Text(owner))
    if incident.impact:
        facts.add_row("Impact", Text(incident.impact.summary))
    parts: list[RenderableType] = [facts, Text(incident.narrative, style="italic")]
    if incident.hypotheses:
        parts.append(_causes(incident, evidence_lines, causes))
    if incident.remediations:
        parts.append(_remediations(incident))
    if incident.runbooks:
        parts.append(_runbooks(incident))
    critical = incident.impact is not None and incident.impact.tier == 1
    return Panel(Group(*parts), title=Text(f"#{number} {incident.title}"), title_align="left",
                 border_style="red" if critical else "yellow")


def _alert_names(incident: Incident) -> str:
    names = Counter(a.name for a in incident.alerts)
    return ", ".join(f"{name} x{n}" if n > 1 else name for name, n in names.most_common(4))


def _causes(incident: Incident, evidence_lines: int, limit: int) -> Table:
    more = len(incident.hypotheses) - limit
    title = "Likely causes" + (f" (top {limit}; {more} more with --causes)" if more > 0 else "")
    table = Table(title=title, title_justify="left", expand=True)
    table.add_column("#", width=2)
    table.add_column("Cause", ratio=1)
    table.add_column("Score", width=5, justify="right")
    table.add_column("Evidence", ratio=3)
    for rank, hyp in enumerate(incident.hypotheses[:limit], start=1):
        cause = f"{hyp.kind} on {hyp.service}"
        if hyp.change:
            cause += f"\nchange {hyp.change}"
        if hyp.pod:
            cause += f"\npod {hyp.pod}"
        lines = hyp.evidence[:evidence_lines]
        table.add_row(str(rank), Text(cause), f"{hyp.score:.2f}",
                      Text("\n".join(f"- {e}" for e in lines)))
    return table


def _remediations(incident: Incident) -> Table:
    table = Table(title="Proposed remediations (nothing runs without policy)",
                  title_justify="left", expand=True)
    table.add_column("Action", ratio=1)
    table.add_column("Risk", width=6)
    table.add_column("Policy", ratio=2)
    table.add_column("Command / verify", ratio=3)
    for rem in incident.remediations:
        policy = Text(rem.decision, style=DECISION_STYLE.get(rem.decision, ""))
        policy.append(f"\n{rem.reason}", style="dim")
        verify = ", ".join(f"{k} {v}" for k, v in rem.verify.items()) or "-"
        risk = rem.risk + ("" if rem.reversible else "\nirreversible")
        check = f"{rem.command}\nverify: {verify} within {rem.verify_within_minutes} min"
        table.add_row(Text(f"{rem.action} {rem.target}"), risk, policy, Text(check))
    return table


def _runbooks(incident: Incident) -> Table:
    table = Table(title="Runbooks and past incidents", title_justify="left", expand=True)
    table.add_column("Id", ratio=1)
    table.add_column("Title", ratio=2)
    table.add_column("Score", width=5, justify="right")
    for hit in incident.runbooks[:5]:
        title = Text(hit.title + (f"\n§ {hit.section}" if hit.section else ""))
        ident = Text(hit.id)
        ident.append(f"\n{hit.doc_type}", style="dim")
        table.add_row(ident, title, f"{hit.score:.2f}")
    return table
