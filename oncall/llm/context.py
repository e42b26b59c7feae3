"""What a model may know, as numbered sources it must cite, fenced as data.

Everything a prompt carries about an incident (alert annotations, evidence lines built
from log lines and span messages, change summaries, runbook text) was written by
somebody else and may say "ignore previous instructions". So each piece becomes a
`Source` with a citation id and is wrapped in a fence whose marker carries a random
nonce: text inside cannot close the fence because it cannot know the nonce, and any
fence-like sequence in it is defused besides. The system prompt says that fenced text
is data to cite, never instructions to follow.

Citation ids are short and stable within one prompt: `H1` is the first likely cause,
`H1.E2` its second evidence line, `A1` an alert, `M1` a proposed remediation, `FACTS`
the incident facts, `KB:<doc id>` a runbook or past incident. With several incidents
in one context the incident ids get a prefix (`I2.H1.E2`).
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from oncall.model import Incident, KnowledgeDoc, KnowledgeHit

MAX_SOURCE_CHARS = 1500
MAX_CONTEXT_CHARS = 24_000
MAX_ALERTS = 8
MAX_CAUSES = 5
MAX_EVIDENCE = 6
MAX_REMEDIATIONS = 4

# Fence markers are `<<<DATA nonce ...>>>` / `<<<END nonce>>>`; data may not contain `<<<`
# or `>>>` at all, so it can neither open nor close one.
_FENCE_LIKE = re.compile(r"<{3,}|>{3,}")
# C0 controls except tab and newline, DEL and C1 controls, line/paragraph separators,
# bidi overrides and isolates
_CONTROL = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]")
CITATION = re.compile(r"\[([A-Za-z0-9][\w.:/@-]*(?:\s*[,;]\s*[A-Za-z0-9][\w.:/@-]*)*)\]")


@dataclass(frozen=True, slots=True)
class Source:
    """One citable piece of context: `text` is untrusted data."""

    id: str
    kind: str  # facts | alert | cause | evidence | remediation | knowledge
    title: str
    text: str = ""


@dataclass(slots=True)
class Context:
    sources: list[Source] = field(default_factory=list)
    nonce: str = field(default_factory=lambda: secrets.token_hex(6))
    shown: list[str] | None = None  # ids that fit the budget, once rendered

    def ids(self) -> set[str]:
        """The ids the model may cite: those it was shown (all, before rendering)."""
        return set(self.shown) if self.shown is not None else {s.id for s in self.sources}

    def quoted(self) -> set[str]:
        """Bracketed tokens that occur in the data itself (`[http-nio-8080-exec-1]` in a
        log line): a model quoting them is not citing anything."""
        return {part for s in self.sources for part in cited(f"{s.title}\n{s.text}")}

    def get(self, source_id: str) -> Source | None:
        return next((s for s in self.sources if s.id == source_id), None)

    def render(self, budget: int = MAX_CONTEXT_CHARS) -> str:
        """The fenced sources in order, stopping (and saying so) at `budget` characters."""
        blocks: list[str] = []
        self.shown = []
        used = 0
        for number, source in enumerate(self.sources):
            block = fence(source, self.nonce)
            if used + len(block) > budget:
                blocks.append(f"({len(self.sources) - number} more source(s) left out for "
                              "length; do not cite them)")
                break
            blocks.append(block)
            self.shown.append(source.id)
            used += len(block)
        return "\n".join(blocks)


def fence(source: Source, nonce: str) -> str:
    """`source` as a delimited data block; the id and kind are ours, the rest is not."""
    title = defuse(source.title, 200).replace("\n", " ")
    body = defuse(source.text, MAX_SOURCE_CHARS)
    inner = f"{title}\n{body}" if body else title
    return (f"<<<DATA {nonce} id={source.id} kind={source.kind}>>>\n{inner}\n"
            f"<<<END {nonce}>>>")


def defuse(text: str, limit: int) -> str:
    """Untrusted text made inert for a prompt: no fence sequences, no control characters,
    at most `limit` characters."""
    text = _FENCE_LIKE.sub(lambda m: " ".join(m.group(0)), text)
    text = _CONTROL.sub(" ", text)
    if len(text) > limit:
        text = text[:limit] + f" ...({len(text) - limit} more characters)"
    return text.strip()


def cited(text: str) -> list[str]:
    """The citation ids in `text`, in order of first use (`[H1.E2]`, `[A1, KB:x]`)."""
    out: dict[str, None] = {}
    for match in CITATION.finditer(text):
        for part in re.split(r"\s*[,;]\s*", match.group(1)):
            if part and not part.startswith("REDACTED"):
                out[part] = None
    return list(out)


def check_citations(text: str, known: Iterable[str],
                    quoted: Iterable[str] = ()) -> tuple[list[str], list[str]]:
    """(valid, unknown) citation ids of `text` against the ids the prompt offered;
    bracketed tokens `quoted` from the data are neither."""
    allowed = set(known)
    skip = set(quoted) - allowed
    ids = [i for i in cited(text) if i not in skip]
    return [i for i in ids if i in allowed], [i for i in ids if i not in allowed]


def incident_sources(incident: Incident, prefix: str = "",
                     docs: Mapping[str, KnowledgeDoc] | None = None) -> list[Source]:
    """The incident as sources: facts, alerts, likely causes with evidence, proposed
    moves with their policy decision, and the runbooks triage found."""
    p = prefix
    facts = [f"title: {incident.title}", f"started: {incident.started_at:%Y-%m-%d %H:%M}Z",
             f"alerts: {len(incident.alerts)}", f"services: {', '.join(incident.services)}",
             f"owner: {incident.owner or 'unknown'}",
             f"escalation: {incident.escalation or 'unknown'}"]
    if incident.impact is not None:
        facts.append(f"impact: {incident.impact.summary}")
        if incident.impact.blast_radius:
            facts.append(f"blast radius: {', '.join(incident.impact.blast_radius)}")
    out = [Source(f"{p}FACTS", "facts", f"incident {incident.id}", "\n".join(facts))]
    out.extend(_alert_sources(incident, p))
    for k, hyp in enumerate(incident.hypotheses[:MAX_CAUSES], start=1):
        what = f"{hyp.kind} on {hyp.service}"
        if hyp.change:
            what += f", change {hyp.change}"
        if hyp.pod:
            what += f", pod {hyp.pod}"
        out.append(Source(f"{p}H{k}", "cause", f"likely cause #{k}: {what}",
                          f"deterministic score {hyp.score:.2f}; "
                          f"{len(hyp.evidence)} evidence line(s)"))
        for j, line in enumerate(hyp.evidence[:MAX_EVIDENCE], start=1):
            out.append(Source(f"{p}H{k}.E{j}", "evidence", f"evidence for cause #{k}", line))
    for k, rem in enumerate(incident.remediations[:MAX_REMEDIATIONS], start=1):
        body = (f"risk {rem.risk}, {'reversible' if rem.reversible else 'irreversible'}; "
                f"policy decision: {rem.decision} ({rem.reason}); undo: {rem.undo}")
        out.append(Source(f"{p}M{k}", "remediation", f"proposed: {rem.action} {rem.target}",
                          body))
    out.extend(knowledge_sources(incident.runbooks, docs))
    return out


def knowledge_sources(hits: Iterable[KnowledgeHit],
                      docs: Mapping[str, KnowledgeDoc] | None = None,
                      texts: Mapping[str, str] | None = None) -> list[Source]:
    """`KB:<id>` sources: the title and section, and the text when it is at hand."""
    out: list[Source] = []
    for hit in hits:
        doc = (docs or {}).get(hit.id)
        text = (texts or {}).get(hit.id) or (_doc_text(doc) if doc is not None else "")
        title = f"{hit.doc_type} {hit.title}" + (f" (section {hit.section})" if hit.section else "")
        out.append(Source(f"KB:{hit.id}", "knowledge", title, text))
    return out


def _doc_text(doc: KnowledgeDoc) -> str:
    parts = []
    if doc.services:
        parts.append(f"services: {', '.join(doc.services)}")
    if doc.root_cause:
        parts.append(f"root cause: {doc.root_cause}")
    if doc.resolution:
        parts.append(f"resolution: {doc.resolution}")
    parts.append(doc.body)
    return "\n".join(parts)


def _alert_sources(incident: Incident, p: str) -> list[Source]:
    seen: dict[tuple[str, str], None] = {}
    out: list[Source] = []
    for alert in incident.alerts:
        key = (alert.name, alert.service or "")
        if key in seen:
            continue
        seen[key] = None
        notes = [f"{k}: {v}" for k, v in sorted(alert.annotations.items()) if v]
        title = f"alert {alert.name} on {alert.service or 'unknown service'}"
        if alert.severity:
            title += f" ({alert.severity})"
        out.append(Source(f"{p}A{len(out) + 1}", "alert", title, "\n".join(notes)))
        if len(out) >= MAX_ALERTS:
            break
    return out
