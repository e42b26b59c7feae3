"""The incident history: past-incident records, read back for recurrence and fixes.

Records are the knowledge format's incidents: Markdown with front matter (what
`oncall postmortem` writes) or YAML records under an `incidents/` folder. Hand-written
postmortems carry less (no `cause:` block, no impact numbers); they still count, with
the cause kind taken from their tags and the service from `services`. The audit log adds
what was done per incident (executions, undos) when given.

Without explicit paths the history is what the knowledge index knows: every file whose
chunks it holds as doc type `incident` (`oncall postmortem` indexes each record it
writes). Indexed files that are gone from disk are skipped and counted.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import yaml

from oncall.audit import AuditLog
from oncall.errors import InputError
from oncall.model import CAUSE_KINDS
from oncall.sources.fields import parse_rfc3339
from oncall.sources.knowledge import split_front_matter
from oncall.sources.yamlsafe import safe_load

_WORD = re.compile(r"[a-z][a-z0-9_]{2,}")
_STOP = frozenset("the and for with was were from that this into after before not".split())


@dataclass(slots=True)
class IncidentRecord:
    """One resolved incident as the history knows it."""

    id: str
    path: str
    service: str
    kind: str
    day: datetime
    title: str = ""
    incident: str = ""
    root_cause: str = ""
    resolution: str = ""
    services: list[str] = field(default_factory=list)
    alerts: list[str] = field(default_factory=list)
    change: dict[str, Any] = field(default_factory=dict)
    minutes: float | None = None  # time to resolve
    revenue: float | None = None
    users: float | None = None
    actions: list[str] = field(default_factory=list)  # from the audit log

    def words(self) -> set[str]:
        """What the cause looked like, for similarity: root cause, change, alert names."""
        text = " ".join([self.root_cause, str(self.change.get("summary") or ""),
                         str(self.change.get("diff") or ""), " ".join(self.alerts)]).lower()
        return {w for w in _WORD.findall(text) if w not in _STOP}


def load_history(paths: list[Path], audit: AuditLog | None = None,
                 indexed: Sequence[Path] = ()) -> list[IncidentRecord]:
    """Every incident record below `paths` and in the `indexed` files, sorted by day then id.

    `indexed` are record files the knowledge index classified as incidents (see
    `indexed_sources`): they count wherever they live, and a file also found below
    `paths` is read once."""
    records: list[IncidentRecord] = []
    seen: set[Path] = set()
    for root in paths:
        if not root.exists():
            raise InputError(str(root), "no such file or directory")
        files = [root] if root.is_file() else sorted(
            p for p in root.rglob("*") if p.suffix.lower() in (".md", ".yaml", ".yml")
            and p.name.lower() != "readme.md")
        for path in files:
            seen.add(path.resolve())
            for meta, body in _read(path, root):
                record = _record(meta, body, str(path))
                if record is not None:
                    records.append(record)
    for path in indexed:
        if path.resolve() in seen:
            continue
        seen.add(path.resolve())
        for meta, body in _read(path, path):
            record = _record(meta, body, str(path), indexed=True)
            if record is not None:
                records.append(record)
    if audit is not None:
        _attach_actions(records, audit)
    return sorted(records, key=lambda r: (r.day, r.id))


@dataclass(slots=True)
class IndexedSources:
    """The incident record files a knowledge index knows, split by whether they still exist."""

    location: str  # the index folder (or shared server) that was read
    exists: bool  # False: there is no index there at all
    found: list[Path] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)  # indexed, but gone from disk


def indexed_sources(index: Path | None) -> IndexedSources:
    """The incident records in the knowledge index at `index` (default: the user's).

    Opened lexically and read-only (no model, nothing written); a local index
    that was never built is not created. An explicit `index` that holds no index is an
    error; the default one missing is just an empty answer."""
    from oncall.knowledge.paths import default_index_dir
    from oncall.knowledge.select import user_index_exists
    from oncall.knowledge.store import KnowledgeIndex, chroma_url

    url = chroma_url()
    if not url and not user_index_exists(index):
        if index is not None:
            raise InputError(str(index), "no knowledge index here; run `oncall index PATH "
                             "--index ...` first", field="--index")
        return IndexedSources(location=str(default_index_dir()), exists=False)
    store = KnowledgeIndex.open(index, lexical=True, read_only=True)
    try:
        sources = store.incident_sources()
    finally:
        store.close()
    out = IndexedSources(location=store.location, exists=True)
    for source in sources:
        if Path(source).is_file():
            out.found.append(Path(source))
        else:
            out.missing.append(source)
    return out


def _read(path: Path, root: Path) -> list[tuple[dict[str, Any], str]]:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(str(path), f"cannot be read ({exc})") from None
    if path.suffix.lower() == ".md":
        meta, body = split_front_matter(text, str(path))
        return [(meta, body)]
    in_incidents = "incidents" in path.relative_to(root).parts[:-1] or path == root
    if not in_incidents:
        return []
    try:
        loaded = safe_load(text)
    except (yaml.YAMLError, ValueError, RecursionError) as exc:
        raise InputError(str(path), f"is not valid YAML ({str(exc).splitlines()[0]})") from None
    items = loaded if isinstance(loaded, list) else [loaded]
    return [(item, "") for item in items if isinstance(item, dict)]


def _record(meta: dict[str, Any], body: str, path: str,
            indexed: bool = False) -> IncidentRecord | None:
    if str(meta.get("type") or "incident") != "incident":
        return None
    if not indexed and "incidents" not in Path(path).parts and meta.get("type") != "incident":
        return None
    cause = _map(meta.get("cause"))
    services = [str(s) for s in _list(meta.get("services"))]
    tags = [str(t) for t in _list(meta.get("tags"))]
    kind = str(cause.get("kind") or next((t for t in tags if t in CAUSE_KINDS), ""))
    service = str(cause.get("service") or (services[0] if services else ""))
    day = _when(meta.get("started_at")) or _when(meta.get("date"))
    if not service or not kind or day is None:
        return None  # too little to group by: not an error, a hand-written note
    impact = _map(meta.get("impact"))
    change = _map(meta.get("change"))
    resolved = _when(meta.get("resolved_at"))
    minutes = _number(impact.get("minutes"))
    if resolved is not None:
        minutes = max(0.0, (resolved - day).total_seconds() / 60)
    return IncidentRecord(
        id=str(meta.get("id") or Path(path).stem), path=path, service=service, kind=kind,
        day=day, title=str(meta.get("title") or ""), incident=str(meta.get("incident") or ""),
        root_cause=str(meta.get("root_cause") or ""),
        resolution=str(meta.get("resolution") or ""), services=services,
        alerts=[str(a) for a in _list(meta.get("alerts"))], change=dict(change),
        minutes=minutes, revenue=_number(impact.get("revenue")),
        users=_number(impact.get("users")))


def _attach_actions(records: list[IncidentRecord], audit: AuditLog) -> None:
    by_incident = {r.incident: r for r in records if r.incident}
    for entry in audit.records():
        record = by_incident.get(str(entry.get("incident") or ""))
        data = _map(entry.get("data"))
        if record is not None and entry.get("event") in ("execution", "undo"):
            what = f"{entry['event']}: {data.get('action', '?')} {data.get('target', '')}"
            record.actions.append(what.strip())


def _map(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[Any]:
    if isinstance(value, list):
        return value
    return [value] if value not in (None, "") else []


def _when(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=UTC)
    if value is None or value == "":
        return None
    text = str(value)
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        text += "T00:00:00Z"
    return parse_rfc3339(text)


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)
