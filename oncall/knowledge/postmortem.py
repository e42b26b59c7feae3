"""Turn a resolved incident into a past-incident record the next triage can find.

The learning loop: a saved triage (`oncall triage --format json`) says what was seen
and what `oncall` believed; the engineer adds what was actually done, whether it was
verified, and (when the ranked cause was wrong) the real root cause. The record is a
Markdown file with front matter in the knowledge format (`type: incident`, services,
alerts, tags with the cause kind), so `oncall index` and scenario `knowledge/` folders
read it like any hand-written postmortem.

Everything here is pure: parsing a triage body and rendering a record. Files and the
index are the command's business. A saved triage is checked with the validator
`oncall report` and `oncall ticket` use (`oncall.itsm.content.views`), plus what only a
record needs: a start time to date and name it by, and a resolution that is not earlier.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import yaml

from oncall.errors import InputError
from oncall.model import ACTIONS, CAUSE_KINDS


@dataclass(slots=True)
class Outcome:
    """What the engineer did, in their words and in the action vocabulary."""

    resolution: str
    actions: list[str] = field(default_factory=list)  # "rollback payments", ...
    verified: bool = True
    root_cause: str = ""  # overrides the top hypothesis when it was wrong
    kind: str = ""  # cause kind, when overriding
    resolved_at: str = ""


@dataclass(frozen=True, slots=True)
class Record:
    id: str
    filename: str
    text: str


def pick_incident(body: Any, source: str, incident_id: str | None) -> dict[str, Any]:
    """The incident to write up: by id, or the first (highest-ranked) one.

    The whole triage must have the shape `oncall triage --format json` writes (the
    validator the report and ticket commands share), and the chosen incident a start time
    (its own `started_at`, else the triage's `now`) the record can be dated by."""
    from oncall.itsm.content import views

    views(body, source)  # one-line InputError naming the field, e.g. incidents[0].services
    incidents: list[dict[str, Any]] = body["incidents"]
    if not incidents:
        raise InputError(source, "holds no incident to write up", field="incidents")
    chosen = 0
    if incident_id is not None:
        found = [n for n, i in enumerate(incidents) if str(i.get("id")) == incident_id]
        if not found:
            known = ", ".join(str(i.get("id")) for i in incidents)
            raise InputError(source, f"no incident {incident_id!r} (have: {known})",
                             field="incidents")
        chosen = found[0]
    incident = incidents[chosen]
    incident_start(body, incident, source, f"incidents[{chosen}]")
    top = _top_hypothesis(incident)
    if top.get("kind") and str(top["kind"]) not in CAUSE_KINDS:  # it becomes a tag
        raise InputError(source, f"unknown cause kind {str(top['kind'])!r} (expected one of "
                         f"{', '.join(CAUSE_KINDS)})",
                         field=f"incidents[{chosen}].hypotheses[0].kind")
    return incident


def incident_start(body: dict[str, Any], incident: dict[str, Any], source: str,
                   where: str = "incidents[0]") -> datetime:
    """When the incident began: `started_at`, else the triage's `now` (both RFC 3339)."""
    now = body.get("now")
    parsed_now = _time(now, source, "now") if now not in (None, "") else None
    started = incident.get("started_at")
    if started not in (None, ""):
        return _time(started, source, f"{where}.started_at")
    if parsed_now is None:
        raise InputError(source, "is required (a record is dated by when the incident "
                         "started, and the triage has no `now` either)",
                         field=f"{where}.started_at")
    return parsed_now


def _time(value: Any, source: str, field_name: str) -> datetime:
    from oncall.sources.fields import parse_rfc3339

    parsed = parse_rfc3339(value) if isinstance(value, str) else None
    if parsed is None:
        raise InputError(source, f"{str(value)[:40]!r} is not an RFC 3339 time",
                         field=field_name)
    return parsed


def check_resolved_at(resolved_at: str, started: datetime) -> None:
    """A resolution time must be RFC 3339 and not before the incident started (that would
    give a negative time to recover, read later as 0 minutes)."""
    from oncall.sources.fields import parse_rfc3339

    resolved = parse_rfc3339(resolved_at)
    if resolved is None:
        raise InputError("--resolved-at", f"{resolved_at!r} is not an RFC 3339 time")
    if resolved < started:
        raise InputError("--resolved-at", f"{resolved_at} is before the incident started "
                         f"({started.strftime('%Y-%m-%dT%H:%M:%SZ')})")


def parse_action(text: str) -> str:
    """`ACTION TARGET` with ACTION from the vocabulary, so records stay searchable by move."""
    parts = text.split(maxsplit=1)
    if not parts or parts[0] not in ACTIONS:
        raise InputError("--action", f"{text!r}: expected 'ACTION [TARGET]' with ACTION one "
                         f"of {', '.join(ACTIONS)}")
    return " ".join(parts)


def build_record(incident: dict[str, Any], outcome: Outcome, scenario: str,
                 now: str, changes: list[Any] | None = None) -> Record:
    if not outcome.resolution.strip():
        raise InputError("--resolution", "is empty: say what was done and what it changed")
    if outcome.kind and outcome.kind not in CAUSE_KINDS:
        raise InputError("--kind", f"unknown cause kind {outcome.kind!r} "
                         f"(expected one of {', '.join(CAUSE_KINDS)})")
    top = _top_hypothesis(incident)
    kind = outcome.kind or str(top.get("kind") or "")
    started = str(incident.get("started_at") or now)
    date = started[:10]
    record_id = f"INC-{date}-{_slug(str(incident.get('id') or 'incident'))}"
    services = [str(s) for s in incident.get("services") or [] if s]
    if top.get("service") and str(top["service"]) not in services:
        services.insert(0, str(top["service"]))
    root_cause = outcome.root_cause.strip() or _cause_sentence(top)
    title = str(incident.get("title") or f"Incident on {', '.join(services[:3])}")
    front = {
        "id": record_id,
        "title": title,
        "type": "incident",
        "date": date,
        "services": services,
        "alerts": [str(a) for a in incident.get("alertnames") or []],
        "tags": [t for t in (kind, "postmortem") if t],
        "root_cause": root_cause,
        "resolution": outcome.resolution.strip(),
        # Below: what `oncall recurring` and `oncall change propose` read back.
        "incident": str(incident.get("id") or ""),
        "started_at": started,
        "resolved_at": outcome.resolved_at or None,
        "cause": {"service": str(top.get("service") or services[0] if services else ""),
                  "kind": kind, "change": None if outcome.root_cause.strip()
                  else top.get("change")},
        "impact": _impact(incident),
    }
    change = _change(top, changes or [], overridden=bool(outcome.root_cause.strip()))
    if change:
        front["change"] = change
    body = _body(incident, outcome, top, root_cause, scenario, started, now)
    text = "---\n" + yaml.safe_dump(front, sort_keys=False, allow_unicode=True) + "---\n" + body
    return Record(id=record_id, filename=f"{record_id}.md", text=text)


def _impact(incident: dict[str, Any]) -> dict[str, Any]:
    raw = incident.get("impact")
    impact: dict[str, Any] = raw if isinstance(raw, dict) else {}
    return {"tier": impact.get("tier"), "users": impact.get("users_affected"),
            "revenue": impact.get("revenue_at_risk"), "minutes": impact.get("minutes")}


def _change(top: dict[str, Any], changes: list[Any], overridden: bool) -> dict[str, Any] | None:
    """The change the cause names, with its diff: what a permanent fix has to undo."""
    if overridden or not top.get("change"):
        return None
    for change in changes:
        if isinstance(change, dict) and change.get("id") == top["change"]:
            keep = ("id", "kind", "service", "at", "summary", "diff")
            return {k: change.get(k) for k in keep if change.get(k) not in (None, "")}
    return None


def _top_hypothesis(incident: dict[str, Any]) -> dict[str, Any]:
    hyps = [h for h in incident.get("hypotheses") or [] if isinstance(h, dict)]
    return hyps[0] if hyps else {}


def _cause_sentence(top: dict[str, Any]) -> str:
    if not top:
        return "not established"
    words = f"{top.get('kind') or 'unknown'} on {top.get('service') or 'an unknown service'}"
    if top.get("change"):
        words += f" (change {top['change']})"
    if top.get("pod"):
        words += f", pod {top['pod']}"
    return words


def _body(incident: dict[str, Any], outcome: Outcome, top: dict[str, Any], root_cause: str,
          scenario: str, started: str, now: str) -> str:
    raw_impact = incident.get("impact")
    impact: dict[str, Any] = raw_impact if isinstance(raw_impact, dict) else {}
    lines = [f"# {incident.get('title') or 'Incident'}", "", "## Summary", ""]
    lines.append(str(incident.get("narrative") or "").strip() or "No narrative was drafted.")
    lines += ["", "## Symptoms", ""]
    names = ", ".join(str(a) for a in incident.get("alertnames") or []) or "none recorded"
    lines.append(f"- Alerts: {names} ({len(incident.get('alerts') or [])} distinct)")
    lines.append(f"- Services: {', '.join(str(s) for s in incident.get('services') or [])}")
    if impact.get("summary"):
        lines.append(f"- Impact: {impact['summary']}")
    lines += ["", "## Root cause", "", root_cause]
    if outcome.root_cause.strip() and top:
        lines.append("")
        lines.append(f"oncall ranked first: {_cause_sentence(top)} (corrected by the responder).")
    evidence = [str(e) for e in top.get("evidence") or []][:6]
    if evidence:
        lines += ["", "Evidence at triage time:", ""]
        lines += [f"- {e}" for e in evidence]
    lines += ["", "## Resolution", "", outcome.resolution.strip()]
    if outcome.actions:
        lines += ["", "Actions taken:", ""]
        lines += [f"- {a}" for a in outcome.actions]
    lines.append("")
    lines.append("Verified: signals back to baseline." if outcome.verified
                 else "Not verified: the signals had not returned to baseline when written.")
    lines += ["", "## Timeline", ""]
    lines.append(f"- {started} first alert")
    lines.append(f"- {now} triage ({scenario or 'live'})")
    if outcome.resolved_at:
        lines.append(f"- {outcome.resolved_at} resolved")
    return "\n".join(lines) + "\n"


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-")[:40] or "incident"
