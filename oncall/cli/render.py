"""Rich rendering of a triage: what a responder reads first, at the top.

Every string that came from the scenario (labels, log lines, change summaries, runbook
titles) is data: it goes into `Text`, never through rich markup, and passes `_s`, which
shows control characters as escapes and cuts runaway lengths. A log line must not be
able to restyle the screen, move the cursor or fake a "policy: auto" line.
"""

from __future__ import annotations

from collections import Counter

from rich.console import Console, Group, RenderableType
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from oncall.model import Incident, Triage
from oncall.sources.fields import printable

# One value longer than this is noise on a terminal; the JSON output keeps it whole.
MAX_SHOWN_CHARS = 2000
DECISION_STYLE = {"auto": "bold green", "approve": "bold yellow", "deny": "bold red"}


def render_triage(
    result: Triage, evidence_lines: int = 3, causes: int = 3, console: Console | None = None
) -> None:
    console = console or Console()
    stats = result.stats
    header = Text()
    header.append(_s(result.scenario), style="bold")
    header.append(f"  at {result.now:%Y-%m-%d %H:%M:%S}Z\n")
    header.append(
        f"{stats.firing} firing alert(s) -> {stats.incidents} incident(s), {stats.noise} noise "
        f"({stats.reduction:.0%} fewer things to read)"
    )
    if result.missing:
        header.append("\nmissing: " + _s("; ".join(result.missing)), style="yellow")
    console.print(Panel(header, title="oncall triage", border_style="cyan"))
    if not result.incidents:
        console.print("[green]No incident: every firing alert is noise or nothing is firing.[/]")
    for number, incident in enumerate(result.incidents, start=1):
        console.print(_incident_panel(number, incident, evidence_lines, causes))
    if result.noise:
        # "background: firing 3d before ..." and "background: firing 5h before ..." are one
        # kind of noise on a summary line; the JSON keeps every alert's own reason.
        reasons = Counter(n.reason.split(":", 1)[0] for n in result.noise)
        lines = ", ".join(f"{count} {reason}" for reason, count in reasons.most_common())
        console.print(Text(f"Noise set aside: {_s(lines)}.", style="dim"))


def _incident_panel(number: int, incident: Incident, evidence_lines: int, causes: int) -> Panel:
    facts = Table.grid(padding=(0, 1))
    facts.add_column(style="bold")
    facts.add_column()
    facts.add_row("Services", Text(_s(", ".join(incident.services))))
    facts.add_row("Alerts", Text(f"{len(incident.alerts)} ({_s(_alert_names(incident))})"))
    owner = _s(incident.owner) if incident.owner else "unknown (not in the catalog)"
    if incident.escalation:
        owner += f"  escalate: {_s(incident.escalation)}"
    facts.add_row("Owner", Text(owner))
    if incident.impact:
        facts.add_row("Impact", Text(_s(incident.impact.summary)))
    parts: list[RenderableType] = [facts, Text(_s(incident.narrative), style="italic")]
    if incident.hypotheses:
        parts.append(_causes(incident, evidence_lines, causes))
    if incident.remediations:
        parts.append(_remediations(incident))
    if incident.runbooks:
        parts.append(_runbooks(incident))
    critical = incident.impact is not None and incident.impact.tier == 1
    return Panel(Group(*parts), title=Text(f"#{number} {_s(incident.title)}"), title_align="left",
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
        cause = f"{_s(hyp.kind)} on {_s(hyp.service)}"
        if hyp.change:
            cause += f"\nchange {_s(hyp.change)}"
        if hyp.pod:
            cause += f"\npod {_s(hyp.pod)}"
        lines = hyp.evidence[:evidence_lines]
        table.add_row(str(rank), Text(cause), f"{hyp.score:.2f}",
                      Text("\n".join(f"- {_s(e)}" for e in lines)))
    return table


def _remediations(incident: Incident) -> Table:
    table = Table(title="Proposed remediations (nothing runs without policy)",
                  title_justify="left", expand=True)
    table.add_column("Action", ratio=1)
    table.add_column("Risk", width=6)
    table.add_column("Policy", ratio=2)
    table.add_column("Command / verify", ratio=3)
    for rem in incident.remediations:
        policy = Text(_s(rem.decision), style=DECISION_STYLE.get(rem.decision, ""))
        policy.append(f"\n{_s(rem.reason)}", style="dim")
        verify = _s(", ".join(f"{k} {v}" for k, v in rem.verify.items())) or "-"
        risk = _s(rem.risk) + ("" if rem.reversible else "\nirreversible")
        check = f"{_s(rem.command)}\nverify: {verify} within {rem.verify_within_minutes} min"
        table.add_row(Text(f"{_s(rem.action)} {_s(rem.target)}"), Text(risk), policy,
                      Text(check))
    return table


def _runbooks(incident: Incident) -> Table:
    table = Table(title="Runbooks and past incidents", title_justify="left", expand=True)
    table.add_column("Id", ratio=1)
    table.add_column("Title", ratio=2)
    table.add_column("Score", width=5, justify="right")
    for hit in incident.runbooks[:5]:
        title = Text(_s(hit.title) + (f"\n§ {_s(hit.section)}" if hit.section else ""))
        ident = Text(_s(hit.id))
        ident.append(f"\n{_s(hit.doc_type)}", style="dim")
        table.add_row(ident, title, f"{hit.score:.2f}")
    return table


def _s(value: str) -> str:
    """A scenario string made safe to show: escapes for control, bidi and surrogate
    characters (ANSI sequences would reach the terminal raw, rich only strips a few),
    and at most `MAX_SHOWN_CHARS` characters."""
    if len(value) > MAX_SHOWN_CHARS:
        cut = len(value) - MAX_SHOWN_CHARS
        value = f"{value[:MAX_SHOWN_CHARS]}... ({cut:,} more characters)"
    return printable(value)
