"""The scenario directory source (see the scenario format contract).

Reads each file, decodes it with a clear error on bad input, hands the body to the
wire-format parser and drops everything stamped after `now`, so that a frozen
scenario shows exactly what a responder could have seen at page time.
"""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

import yaml

from oncall.errors import InputError
from oncall.model import Snapshot
from oncall.sources.alerts import parse_alerts
from oncall.sources.catalog import parse_catalog
from oncall.sources.changes import parse_changes
from oncall.sources.fields import Fields
from oncall.sources.knowledge import load_knowledge_dir
from oncall.sources.logs import parse_logs
from oncall.sources.metrics import parse_metrics
from oncall.sources.policy import parse_policy
from oncall.sources.traces import parse_traces
from oncall.sources.yamlsafe import safe_load, safe_load_all

MAX_FILE_BYTES = 512 * 1024 * 1024
T = TypeVar("T")


class ScenarioSource:
    """A scenario directory frozen at page time."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)

    def snapshot(self) -> Snapshot:
        if not self.root.exists():
            raise InputError(str(self.root), "no such scenario directory")
        if not self.root.is_dir():
            raise InputError(str(self.root), "is not a directory (expected a scenario directory)")
        meta = self._required("scenario.yaml", _load_yaml)
        f = Fields(self._path("scenario.yaml"))
        header = f.mapping(meta, "")
        now = f.timestamp(header, "now", "")
        assert now is not None
        snap = Snapshot(
            name=f.text(header, "name", "", required=False) or self.root.name,
            now=now,
            description=f.text(header, "description", "", required=False),
        )
        alerts_body = self._required("alerts.json", _load_json)
        snap.alerts = [
            a for a in parse_alerts(alerts_body, self._path("alerts.json")) if a.starts_at <= now
        ]
        snap.spans = self._optional(snap, "traces", "traces.json", _load_json, parse_traces)
        if snap.spans is not None:
            cutoff = _micros(now)
            snap.spans = [s for s in snap.spans if s.start_us <= cutoff]
        snap.metrics = self._optional(snap, "metrics", "metrics.json", _load_json, parse_metrics)
        if snap.metrics is not None:
            limit = now.timestamp()
            snap.metrics = [
                type(m)(m.name, m.labels, tuple(p for p in m.samples if p[0] <= limit))
                for m in snap.metrics
            ]
        snap.logs = self._optional(snap, "logs", "logs.json", _load_json, parse_logs)
        if snap.logs is not None:
            limit = now.timestamp()
            snap.logs = [ln for ln in snap.logs if ln.timestamp <= limit]
        snap.changes = self._optional(snap, "changes", "changes.yaml", _load_yaml, parse_changes)
        if snap.changes is not None:
            snap.changes = [c for c in snap.changes if c.at <= now]
        snap.catalog = self._optional(
            snap, "catalog", "catalog.yaml", _load_yaml_documents, parse_catalog
        )
        snap.policy = self._optional(snap, "policy", "policy.yaml", _load_yaml, parse_policy)
        knowledge = self.root / "knowledge"
        if knowledge.is_dir():
            snap.knowledge = load_knowledge_dir(knowledge)
        elif knowledge.exists():
            raise InputError(str(knowledge), "is not a directory (expected runbooks/ and "
                             "incidents/ inside)")
        return snap

    def _path(self, name: str) -> str:
        return str(self.root / name)

    def _required(self, name: str, loader: Callable[[Path], Any]) -> Any:
        path = self.root / name
        if not path.exists():
            _refuse_broken_link(path)
            raise InputError(str(path), "required file is missing")
        return loader(path)

    def _optional(
        self,
        snap: Snapshot,
        source: str,
        name: str,
        loader: Callable[[Path], Any],
        parser: Callable[[Any, str], T],
    ) -> T | None:
        path = self.root / name
        if not path.exists():
            _refuse_broken_link(path)
            snap.missing.append(f"{source}: no {name}")
            return None
        return parser(loader(path), str(path))


def _refuse_broken_link(path: Path) -> None:
    """A symlink that leads nowhere (or in a loop) was meant to be read: say so, rather
    than report the file as absent and triage without it."""
    if path.is_symlink():
        raise InputError(str(path), "is a broken or looping symbolic link")


def _micros(moment: datetime) -> int:
    return int(moment.timestamp() * 1_000_000)


def _read_text(path: Path) -> str:
    """The file as text. Only regular files are read: a FIFO or a device would block or
    never end. A leading byte-order mark is dropped, as editors on Windows write one."""
    try:
        info = path.stat()
    except OSError as exc:
        raise InputError(str(path), f"cannot be read ({exc.strerror})") from None
    if stat.S_ISDIR(info.st_mode):
        raise InputError(str(path), "is a directory, expected a file")
    if not stat.S_ISREG(info.st_mode):
        raise InputError(str(path), "is not a regular file")
    size = info.st_size
    if size > MAX_FILE_BYTES:
        raise InputError(str(path), f"is {size // (1024 * 1024)} MiB, over the "
                         f"{MAX_FILE_BYTES // (1024 * 1024)} MiB limit")
    try:
        with open(path, "rb", opener=_no_block) as fh:
            data = fh.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise InputError(str(path), f"cannot be read ({exc.strerror})") from None
    if len(data) > MAX_FILE_BYTES:  # it grew since stat
        raise InputError(str(path), f"is over the {MAX_FILE_BYTES // (1024 * 1024)} MiB limit")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(str(path), f"is not UTF-8 (byte {exc.start})") from None


def _no_block(path: str, flags: int) -> int:
    """Opens without blocking, in case the path was swapped for a FIFO after stat."""
    return os.open(path, flags | getattr(os, "O_NONBLOCK", 0))


def _load_json(path: Path) -> Any:
    text = _read_text(path)
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(str(path), f"invalid JSON at line {exc.lineno} column {exc.colno}: "
                         f"{exc.msg}") from None
    except RecursionError:
        raise InputError(str(path), "JSON is nested too deeply") from None
    except ValueError as exc:  # a number too long to convert (int_max_str_digits)
        raise InputError(str(path), f"invalid JSON: {_first_line(exc)}") from None


def _yaml_error(path: Path, exc: yaml.YAMLError) -> InputError:
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None) or "invalid YAML"
    where = f" at line {mark.line + 1} column {mark.column + 1}" if mark is not None else ""
    return InputError(str(path), f"invalid YAML{where}: {problem}")


def _load_yaml(path: Path) -> Any:
    return _decode_yaml(path, safe_load)


def _load_yaml_documents(path: Path) -> list[Any]:
    documents: list[Any] = _decode_yaml(path, safe_load_all)
    return documents


def _decode_yaml(path: Path, load: Callable[[str], Any]) -> Any:
    text = _read_text(path)
    try:
        return load(text)
    except yaml.YAMLError as exc:
        raise _yaml_error(path, exc) from None
    except RecursionError:
        raise InputError(str(path), "YAML is nested too deeply") from None
    except ValueError as exc:  # a number too long to convert (int_max_str_digits)
        raise InputError(str(path), f"invalid YAML: {_first_line(exc)}") from None


def _first_line(exc: Exception) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
