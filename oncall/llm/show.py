"""Model output on a terminal: labelled as a draft, shown as plain text, never markup.

What a model wrote is untrusted like a log line (it may have copied one): it goes into
`Text`, with control and bidi characters shown as escapes, so it cannot restyle the
screen or pass itself off as oncall's own verdict.
"""

from __future__ import annotations

from rich.console import Console, Group, RenderableType
from rich.panel import Panel
from rich.text import Text

from oncall.llm.assist import IncidentNotes, LlmNotes
from oncall.model import Triage
from oncall.sources.fields import printable

MAX_SHOWN_CHARS = 4000


def safe(text: str) -> str:
    """Model text made safe to print, line by line (newlines kept), length capped."""
    if len(text) > MAX_SHOWN_CHARS:
        text = text[:MAX_SHOWN_CHARS] + f"... ({len(text) - MAX_SHOWN_CHARS:,} more characters)"
    return "\n".join(printable(line) for line in text.split("\n"))


def render_llm_notes(notes: LlmNotes, triage: Triage, console: Console | None = None) -> None:
    """One panel per incident the model was asked about, after the triage panels."""
    console = console or Console()
    for line in notes.notes:
        console.print(Text(f"llm: {safe(line)}", style="yellow"))
    numbers = {inc.id: n for n, inc in enumerate(triage.incidents, start=1)}
    for inc_notes in notes.incidents:
        console.print(_panel(inc_notes, triage, numbers.get(inc_notes.incident_id, 0)))
    if notes.calls:
        cost = f", ~${notes.cost_usd:.4f}" if notes.cost_usd is not None else ""
        console.print(Text(f"llm: {notes.calls} call(s) to {safe(notes.model or '')}, "
                           f"{notes.prompt_tokens}+{notes.completion_tokens} tokens{cost}",
                           style="dim"))


def _panel(n: IncidentNotes, triage: Triage, number: int) -> Panel:
    parts: list[RenderableType] = []
    if n.narrative:
        parts.append(Text(safe(n.narrative)))
    if n.stakeholder_update:
        update = Text("Stakeholder update: ", style="bold")
        update.append(safe(n.stakeholder_update))
        parts.append(update)
    incident = next((i for i in triage.incidents if i.id == n.incident_id), None)
    if n.rerank is not None and n.rerank.order and incident is not None:
        order = Text("Model's cause order: ", style="bold")
        for rank, index in enumerate(n.rerank.order[:5], start=1):
            hyp = incident.hypotheses[index]
            order.append(f"\n  {rank}. H{index + 1} {safe(hyp.kind)} on {safe(hyp.service)}")
            reason = n.rerank.reasons.get(index, "")
            if reason:
                order.append(f": {safe(reason)}", style="dim")
        parts.append(order)
    for s in n.rerank.suggestions if n.rerank is not None else []:
        line = Text("Suggested (not run): ", style="bold")
        line.append(f"{safe(s.action)} {safe(s.target)}; policy: {s.decision}")
        line.append(f" ({safe(s.policy_reason)})", style="dim")
        parts.append(line)
    for note in n.notes:
        parts.append(Text(safe(note), style="yellow"))
    title = Text(f"#{number} LLM draft (cites the sources above; verify before sending)")
    return Panel(Group(*parts), title=title, title_align="left", border_style="magenta")
