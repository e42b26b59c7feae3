"""What goes into a ticket: one incident of a triage, read from its stable JSON keys.

Every integration works from `TicketView`, parsed from the triage JSON contract
(`oncall.export`), so a live `Triage` and a file saved with `--format json` hours ago
produce the same tickets. Values from the triage end up inside ServiceNow encoded
queries and Jira JQL, so the incident id is checked against a strict pattern here:
a crafted triage file cannot widen a query to someone else's tickets.

Impact and urgency use ServiceNow's 1 (high) .. 3 (low) scale:
- impact from the catalog tier: tier 1 -> 1, tier 2 -> 2, anything else -> 3;
- urgency from the worst SLO burn (observed / objective): >= 14.4 (the fast-burn page
  threshold) -> 1, >= 1 -> 2, below 1 -> 3; no SLO data -> 2 (unknown is not low);
- priority from the usual impact x urgency matrix (1..5), which also gives the
  PagerDuty severity and the Jira priority name.

The "facts" are the few values whose change is worth a work note (alert count, top
cause, services, impact, urgency). They are written as the last line of the ticket
description, so the next run can say what changed without any local state.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from oncall.errors import InputError
from oncall.export import triage_to_dict
from oncall.model import Triage
from oncall.sources.fields import Fields, printable

INCIDENT_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
FAST_BURN = 14.4
FACTS_MARK = "oncall-facts:"
MAX_EVIDENCE = 3
_PRIORITY = {(1, 1): 1, (1, 2): 2, (2, 1): 2, (1, 3): 3, (2, 2): 3, (3, 1): 3,
             (2, 3): 4, (3, 2): 4, (3, 3): 5}
SEVERITY = {1: "critical", 2: "error", 3: "warning", 4: "info", 5: "info"}
JIRA_PRIORITY = {1: "Highest", 2: "High", 3: "Medium", 4: "Low", 5: "Lowest"}


@dataclass(frozen=True, slots=True)
class Cause:
    service: str
    kind: str
    change: str | None
    score: float
    evidence: tuple[str, ...]

    def sentence(self) -> str:
        via = f", change {self.change}" if self.change else ""
        return f"{self.kind} on {self.service}{via} (score {self.score:.2f})"


@dataclass(frozen=True, slots=True)
class Move:
    action: str
    target: str
    decision: str
    reason: str
    risk: str
    undo: str


@dataclass(frozen=True, slots=True)
class Runbook:
    id: str
    title: str
    path: str


@dataclass(frozen=True, slots=True)
class TicketView:
    """One incident as the ticketing systems see it."""

    id: str
    title: str
    narrative: str
    started_at: str
    alerts: tuple[str, ...]
    alertnames: tuple[str, ...]
    services: tuple[str, ...]
    owner: str | None
    escalation: str | None
    tier: int | None
    impact_summary: str
    slo_burn: dict[str, float]
    causes: tuple[Cause, ...]
    moves: tuple[Move, ...]
    runbooks: tuple[Runbook, ...]
    scenario: str = ""

    def correlation_id(self, prefix: str = "oncall-") -> str:
        return f"{prefix}{self.id}"

    @property
    def top_service(self) -> str | None:
        """The likeliest culprit, else the first service that alerted."""
        if self.causes:
            return self.causes[0].service
        return self.services[0] if self.services else None

    @property
    def impact(self) -> int:
        return {1: 1, 2: 2}.get(self.tier or 0, 3)

    @property
    def worst_burn(self) -> float | None:
        return max(self.slo_burn.values()) if self.slo_burn else None

    @property
    def urgency(self) -> int:
        burn = self.worst_burn
        if burn is None:
            return 2
        return 1 if burn >= FAST_BURN else 2 if burn >= 1.0 else 3

    @property
    def priority(self) -> int:
        return _PRIORITY[(self.impact, self.urgency)]

    def facts(self) -> dict[str, str]:
        top = self.causes[0] if self.causes else None
        cause = (f"{top.kind} {top.service}" + (f" {top.change}" if top.change else "")
                 if top else "unknown")
        return {"alerts": str(len(self.alerts)), "cause": cause,
                "services": ",".join(self.services), "impact": str(self.impact),
                "urgency": str(self.urgency)}


def views(triage: Triage | Mapping[str, Any], source: str = "triage") -> list[TicketView]:
    """The incidents of a `Triage` or of its saved JSON body, validated."""
    body = triage_to_dict(triage) if isinstance(triage, Triage) else triage
    f = Fields(source)
    doc = f.mapping(dict(body) if isinstance(body, Mapping) else body, "")
    if not isinstance(doc.get("incidents"), list):
        raise InputError(source, "is not an oncall triage (expected an 'incidents' list; "
                         "save one with `oncall triage SCENARIO --format json`)",
                         field="incidents")
    scenario = f.text(doc, "scenario", "", required=False)
    out = [_view(f, raw, f"incidents[{i}]", scenario) for i, raw in enumerate(doc["incidents"])]
    seen: set[str] = set()
    for i, view in enumerate(out):
        if view.id in seen:
            raise f.fail(f"incidents[{i}].id", f"{view.id!r} appears twice")
        seen.add(view.id)
    return out


def _view(f: Fields, raw: Any, where: str, scenario: str) -> TicketView:
    inc = f.mapping(raw, where)
    ident = f.text(inc, "id", where)
    if not INCIDENT_ID.fullmatch(ident):
        raise f.fail(f"{where}.id", "is not an oncall incident id (letters, digits, . _ -)")
    impact = f.get_mapping(inc, "impact", where)
    tier = impact.get("tier")
    if tier is not None and (isinstance(tier, bool) or not isinstance(tier, int)):
        raise f.fail(f"{where}.impact.tier", "expected an integer")
    burn: dict[str, float] = {}
    for key, value in f.get_mapping(impact, "slo_burn", f"{where}.impact").items():
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise f.fail(f"{where}.impact.slo_burn.{key}", "expected a number")
        burn[str(key)] = float(value)
    causes = []
    for i, h in enumerate(f.get_list(inc, "hypotheses", where)):
        hw = f"{where}.hypotheses[{i}]"
        h = f.mapping(h, hw)
        score = h.get("score", 0.0)
        causes.append(Cause(
            service=f.text(h, "service", hw), kind=f.text(h, "kind", hw, required=False),
            change=f.text(h, "change", hw, required=False) or None,
            score=float(score) if isinstance(score, int | float) else 0.0,
            evidence=f.scalar_list(h, "evidence", hw)))
    moves = []
    for i, r in enumerate(f.get_list(inc, "remediations", where)):
        rw = f"{where}.remediations[{i}]"
        r = f.mapping(r, rw)
        moves.append(Move(*(f.text(r, k, rw, required=k in ("action", "target"))
                            for k in ("action", "target", "decision", "reason", "risk",
                                      "undo"))))
    books = []
    for i, k in enumerate(f.get_list(inc, "runbooks", where)):
        kw = f"{where}.runbooks[{i}]"
        k = f.mapping(k, kw)
        books.append(Runbook(f.text(k, "id", kw), f.text(k, "title", kw, required=False),
                             f.text(k, "path", kw, required=False)))
    return TicketView(
        id=ident, title=f.text(inc, "title", where, required=False) or ident,
        narrative=f.text(inc, "narrative", where, required=False),
        started_at=f.text(inc, "started_at", where, required=False),
        alerts=f.scalar_list(inc, "alerts", where),
        alertnames=f.scalar_list(inc, "alertnames", where),
        services=f.scalar_list(inc, "services", where),
        owner=f.text(inc, "owner", where, required=False) or None,
        escalation=f.text(inc, "escalation", where, required=False) or None,
        tier=tier, impact_summary=f.text(impact, "summary", where, required=False),
        slo_burn=burn, causes=tuple(causes), moves=tuple(moves), runbooks=tuple(books),
        scenario=scenario)


# ---- text ----------------------------------------------------------------------------


def short_description(view: TicketView, limit: int = 160) -> str:
    text = printable(f"[oncall] {view.title}")
    return text if len(text) <= limit else text[: limit - 3] + "..."


def description(view: TicketView) -> str:
    """Plain text: narrative, impact, owner, causes with evidence, moves, runbooks, and
    the facts line the next run compares against."""
    lines = [view.narrative or view.title, ""]
    lines.append(f"Impact: {view.impact_summary or 'unknown'}")
    lines.append(f"Services: {', '.join(view.services) or 'unknown'}")
    owner = view.owner or "unknown"
    lines.append(f"Owner: {owner}" + (f" (escalation {view.escalation})"
                                      if view.escalation else ""))
    names = f" ({', '.join(view.alertnames)})" if view.alertnames else ""
    lines.append(f"Alerts: {len(view.alerts)}{names}, first at {view.started_at or '?'}")
    if view.causes:
        lines += ["", "Likely causes:"]
        for n, cause in enumerate(view.causes[:3], start=1):
            lines.append(f"{n}. {cause.sentence()}")
            lines += [f"   - {e}" for e in cause.evidence[:MAX_EVIDENCE]]
    if view.moves:
        lines += ["", "Proposed remediations (lowest risk first):"]
        for n, move in enumerate(view.moves[:5], start=1):
            policy = f"policy: {move.decision}" if move.decision else "policy: ?"
            undo = f"; undo: {move.undo}" if move.undo else ""
            lines.append(f"{n}. {move.action} {move.target} ({move.risk or '?'} risk, "
                         f"{policy}){undo}")
    if view.runbooks:
        lines += ["", "Runbooks and past incidents:"]
        lines += [f"- {k.id}: {k.title}" + (f" ({k.path})" if k.path else "")
                  for k in view.runbooks[:5]]
    lines += ["", facts_line(view.facts())]
    return printable_block("\n".join(lines))


def printable_block(text: str) -> str:
    """Each line made printable (no terminal escapes), line breaks kept."""
    return "\n".join(printable(line) for line in text.split("\n"))


def facts_line(facts: Mapping[str, str]) -> str:
    return FACTS_MARK + " " + "; ".join(f"{k}={v}" for k, v in facts.items())


def parse_facts(text: str | None) -> dict[str, str] | None:
    """The facts from the last `oncall-facts:` line of a description, or None."""
    for line in reversed((text or "").splitlines()):
        line = line.strip()
        if line.startswith(FACTS_MARK):
            out: dict[str, str] = {}
            for part in line[len(FACTS_MARK):].split(";"):
                key, sep, value = part.strip().partition("=")
                if sep:
                    out[key] = value
            return out
    return None


def what_changed(before: Mapping[str, str] | None, after: Mapping[str, str]) -> list[str]:
    """`["alerts 23 -> 25", ...]`; everything counts as new when `before` is unknown."""
    if before is None:
        return [f"{k} {v}" for k, v in after.items()]
    return [f"{k} {before.get(k, '?')} -> {v}" for k, v in after.items()
            if before.get(k) != v]


def stakeholder_text(view: TicketView, tickets: list[str], resolved: bool = False) -> str:
    """The Slack update: what, impact, who, tickets. No evidence lines, commands or log
    text: those can carry tokens and customer data, and stakeholders do not need them."""
    state = "Resolved" if resolved else "Investigating"
    lines = [f"{state}: {view.title}",
             f"Impact: {view.impact_summary or 'unknown'}",
             f"Services: {', '.join(view.services) or 'unknown'}",
             f"Owner: {view.owner or 'unknown'}"]
    if tickets:
        lines.append(f"Tickets: {', '.join(tickets)}")
    lines.append(f"Incident: {view.id}")
    return printable_block("\n".join(lines))
