"""One JSON line per model call: which prompts, how many tokens, what it cost.

The record says what was asked of which model and what it cost, never what was in the
data: prompts are identified by id and hash, the request by the SHA-256 of its
(already redacted) messages, redactions by kind and count. The log is append-only. Where
calls must be tamper-evident too, `AuditCallLog` writes the same records into the
hash-chained audit log (`oncall.audit`) instead: callers only see the `CallLog` protocol.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from oncall.errors import InputError
from oncall.xdg import state_dir

if TYPE_CHECKING:
    from oncall.audit import AuditLog

LOG_NAME = "llm-calls.jsonl"


class CallLog(Protocol):
    def record(self, entry: Mapping[str, Any]) -> None: ...


def default_log_path() -> Path:
    """`$XDG_STATE_HOME/oncall/llm-calls.jsonl`, by default under `~/.local/state`."""
    return state_dir() / LOG_NAME


class JsonlCallLog:
    """Appends each record as one line; a record that cannot be written stops the call's
    caller with a one-line error rather than leaving a call unaccounted for."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or default_log_path()

    def record(self, entry: Mapping[str, Any]) -> None:
        line = json.dumps(dict(entry), sort_keys=True, allow_nan=False, default=str)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("a", encoding="utf-8") as fh:
                fh.write(line + "\n")
        except OSError as exc:
            raise InputError(str(self.path), f"cannot write the LLM call log "
                             f"({exc.strerror or exc})") from None


class MemoryCallLog:
    """Keeps records in a list: for callers that show or forward them themselves."""

    def __init__(self) -> None:
        self.entries: list[dict[str, Any]] = []

    def record(self, entry: Mapping[str, Any]) -> None:
        self.entries.append(dict(entry))


class AuditCallLog:
    """Each call as a `note` record `{"llm_call": {...}}` in the hash-chained audit log."""

    def __init__(self, audit: AuditLog, incident: str | None = None) -> None:
        self.audit = audit
        self.incident = incident

    def record(self, entry: Mapping[str, Any]) -> None:
        self.audit.append("note", {"llm_call": dict(entry)}, incident=self.incident)
