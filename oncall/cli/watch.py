"""`oncall watch`: poll Alertmanager, triage each new incident once, follow it.

Between polls only the alerts are fetched (one cheap request); the full capture and
triage run only when the set of firing, unsilenced alerts changed. Incidents are
followed across triages by the alerts they share, so an incident keeps its first id
while alerts join or resolve, and each change is printed once: `NEW` with the triage,
`UPDATED` with the alerts that joined or resolved, `RESOLVED` when none still fires.
An Alertmanager that stops answering is reported and polled again, not fatal.
"""

from __future__ import annotations

import json
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from oncall.cli.common import user_errors

if TYPE_CHECKING:
    from oncall.model import Incident, Snapshot, Triage

CONFIG_HELP = ("oncall.yaml to use (default: $ONCALL_CONFIG, else "
               "$XDG_CONFIG_HOME/oncall/oncall.yaml).")


@dataclass(slots=True)
class Event:
    kind: str  # new | updated | resolved
    incident_id: str
    title: str
    joined: list[str] = field(default_factory=list)
    resolved: list[str] = field(default_factory=list)
    incident: Incident | None = None


@dataclass(slots=True)
class _Followed:
    id: str
    title: str
    fingerprints: set[str]


class Tracker:
    """Turns successive triages into events about the incidents they contain."""

    def __init__(self) -> None:
        self.followed: dict[str, _Followed] = {}

    def update(self, result: Triage) -> list[Event]:
        events: list[Event] = []
        unmatched = dict(self.followed)
        for incident in result.incidents:
            fingerprints = set(incident.fingerprints)
            match = max(unmatched.values(), default=None,
                        key=lambda f: len(f.fingerprints & fingerprints))
            if match is None or not match.fingerprints & fingerprints:
                self.followed[incident.id] = _Followed(incident.id, incident.title,
                                                       fingerprints)
                events.append(Event("new", incident.id, incident.title, incident=incident))
                continue
            del unmatched[match.id]
            joined = sorted(fingerprints - match.fingerprints)
            left = sorted(match.fingerprints - fingerprints)
            match.fingerprints = fingerprints
            if joined or left:
                events.append(Event("updated", match.id, incident.title, joined, left,
                                    incident))
        for gone in unmatched.values():
            del self.followed[gone.id]
            events.append(Event("resolved", gone.id, gone.title,
                                resolved=sorted(gone.fingerprints)))
        return events


def firing(snap: Snapshot) -> frozenset[str]:
    """The alerts that could make an incident: firing now, neither silenced nor
    inhibited. Only a change here is worth a new triage."""
    return frozenset(a.fingerprint for a in snap.alerts
                     if a.firing_at(snap.now) and not a.suppressed)


def watch_command(
    config: Annotated[Path | None, typer.Option("--config", "-c", help=CONFIG_HELP)] = None,
    interval: Annotated[
        float, typer.Option(min=1, max=3600, help="Seconds between polls of Alertmanager.")
    ] = 30.0,
    polls: Annotated[
        int, typer.Option(min=0, help="Stop after this many polls (0: until interrupted).")
    ] = 0,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per event.")] = False,
) -> None:
    """Poll Alertmanager; triage each new incident once and follow it as alerts change."""
    from oncall.errors import SourceUnavailable
    from oncall.pipeline import triage_snapshot
    from oncall.sources.live import build_live_source

    tracker = Tracker()
    last: frozenset[str] | None = None
    with user_errors(), build_live_source(config) as source:
        done = 0
        try:
            while polls == 0 or done < polls:
                if done:
                    time.sleep(interval)
                done += 1
                try:
                    current = firing(source.alerts_only())
                    if current == last:
                        continue
                    result = triage_snapshot(source.snapshot())
                except SourceUnavailable as exc:
                    _say(as_json, {"event": "unavailable", "at": _stamp(datetime.now(UTC)),
                                   "reason": str(exc)},
                         f"alert source unavailable, polling again: {exc}")
                    continue
                last = current
                for event in tracker.update(result):
                    _emit(event, result, as_json)
        except KeyboardInterrupt:
            return


def _emit(event: Event, result: Triage, as_json: bool) -> None:
    from oncall.sources.fields import printable

    if as_json:
        from oncall.export import triage_to_dict

        body: dict[str, Any] = {"event": event.kind, "id": event.incident_id,
                                "at": _stamp(result.now), "title": event.title,
                                "joined": event.joined, "resolved": event.resolved}
        if event.incident is not None:
            doc = triage_to_dict(result)
            body["incident"] = next((i for i in doc["incidents"]
                                     if i["id"] == event.incident.id), None)
            body["missing"] = doc["missing"]
        _say(True, body, "")
        return
    head = f"{_stamp(result.now)} {event.kind.upper():8} {event.incident_id}  {event.title}"
    lines = [head]
    incident = event.incident
    if event.kind == "new" and incident is not None:
        lines.append(f"    services {', '.join(incident.services)}; owner "
                     f"{incident.owner or 'unknown'}")
        if incident.hypotheses:
            top = incident.hypotheses[0]
            lines.append(f"    likely: {top.kind} on {top.service}"
                         + (f" ({top.change})" if top.change else "")
                         + f", score {top.score:.2f}")
        if incident.remediations:
            move = incident.remediations[0]
            lines.append(f"    first move: {move.action} {move.target} ({move.decision})"
                         + (f": {move.command}" if move.command else ""))
        if result.missing:
            lines.append(f"    missing: {'; '.join(result.missing)}")
    elif event.kind == "updated":
        lines.append(f"    {len(event.joined)} alert(s) joined, {len(event.resolved)} "
                     "resolved")
    _say(False, {}, "\n".join(printable(line) for line in lines))


def _say(as_json: bool, body: dict[str, Any], text: str) -> None:
    out = json.dumps(body, allow_nan=False) if as_json else text
    sys.stdout.write(out + "\n")
    sys.stdout.flush()


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
