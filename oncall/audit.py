"""The audit log: append-only JSONL, every record chained to the one before it.

Every proposal, decision, approval, execution, verification and undo is one line:

    {"seq": 7, "at": "...Z", "actor": "alice", "event": "execution", "incident": "inc-..",
     "data": {...}, "prev": "<hash of record 6>", "hash": "<hash of this record>"}

`hash` is SHA-256 over `prev` and the record's canonical JSON (sorted keys, no `hash`),
or HMAC-SHA-256 when a key is configured (`ONCALL_AUDIT_KEY`, or a key file named by
`ONCALL_AUDIT_KEY_FILE`). Editing a record breaks its hash, removing or reordering
records breaks the `prev`/`seq` chain, and `verify` names the first bad record. A plain
hash chain cannot stop someone who rewrites the whole file; the keyed mode can (without
the key the chain cannot be recomputed), and `head()` gives a value to copy into a ticket
so a truncated tail is noticed too (`verify(expect_head=...)`).

Appends take an exclusive `flock` so two processes never interleave or fork the chain.
"""

from __future__ import annotations

import fcntl
import hashlib
import hmac
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from oncall.errors import InputError
from oncall.xdg import data_dir

EVENTS: tuple[str, ...] = (
    "proposal", "decision", "approval", "rejection", "execution", "verification", "undo",
    "escalation", "note",
)
GENESIS = "0" * 64
KEY_ENV = "ONCALL_AUDIT_KEY"
KEY_FILE_ENV = "ONCALL_AUDIT_KEY_FILE"
_TAIL_BYTES = 64 * 1024


def default_audit_path() -> Path:
    return data_dir() / "audit.jsonl"


def existing_log(path: Path | None) -> AuditLog:
    """The log to read. One named explicitly (`--audit PATH`) must exist: a mistyped path
    must not read as an empty, intact log. The default one may not exist yet (nothing
    has been recorded on this machine); check `AuditLog.path.exists()` to say so."""
    if path is not None and not path.exists():
        raise InputError(str(path), "no such audit log", field="--audit")
    return AuditLog(path)


def audit_key() -> bytes | None:
    """The HMAC key from the environment or a key file; None means plain SHA-256."""
    if os.environ.get(KEY_ENV):
        return os.environ[KEY_ENV].encode()
    key_file = os.environ.get(KEY_FILE_ENV)
    if key_file:
        try:
            key = Path(key_file).read_bytes().strip()
        except OSError as exc:
            raise InputError(key_file, f"cannot read the audit key ({exc.strerror})",
                             field=KEY_FILE_ENV) from None
        if not key:
            raise InputError(key_file, "the audit key file is empty", field=KEY_FILE_ENV)
        return key
    return None


def _canonical(record: dict[str, Any]) -> bytes:
    body = {k: v for k, v in record.items() if k != "hash"}
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      allow_nan=False, default=str).encode()


def record_hash(record: dict[str, Any], key: bytes | None) -> str:
    message = str(record.get("prev", "")).encode() + b"\n" + _canonical(record)
    if key is not None:
        return hmac.new(key, message, hashlib.sha256).hexdigest()
    return hashlib.sha256(message).hexdigest()


@dataclass(frozen=True, slots=True)
class Problem:
    """The first record that does not fit the chain."""

    line: int
    seq: int | None
    message: str

    def __str__(self) -> str:
        where = f"record {self.seq}" if self.seq is not None else "a record"
        return f"line {self.line}, {where}: {self.message}"


@dataclass(frozen=True, slots=True)
class Verdict:
    records: int
    head: str
    problem: Problem | None

    @property
    def ok(self) -> bool:
        return self.problem is None


class AuditLog:
    """One audit file. Cheap to create; every append opens, locks and closes it."""

    def __init__(self, path: Path | None = None, key: bytes | None = None,
                 actor: str | None = None) -> None:
        self.path = path or default_audit_path()
        self.key = key if key is not None else audit_key()
        self.actor = actor or _default_actor()

    def append(self, event: str, data: dict[str, Any] | None = None, *,
               incident: str | None = None, actor: str | None = None,
               at: datetime | None = None) -> dict[str, Any]:
        """Writes one record at the end of the chain and returns it."""
        if event not in EVENTS:
            raise ValueError(f"unknown audit event {event!r}")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with open(self.path, "a+b") as fh:
                fcntl.flock(fh, fcntl.LOCK_EX)
                try:
                    last = _last_record(fh, self.path)
                    record: dict[str, Any] = {
                        "seq": (int(last["seq"]) + 1) if last else 1,
                        "at": _stamp(at or datetime.now(UTC)),
                        "actor": actor or self.actor,
                        "event": event,
                        "incident": incident,
                        "data": data or {},
                        "prev": str(last["hash"]) if last else GENESIS,
                    }
                    record["hash"] = record_hash(record, self.key)
                    line = json.dumps(record, sort_keys=True, ensure_ascii=False,
                                      allow_nan=False, default=str)
                    fh.seek(0, os.SEEK_END)
                    fh.write(line.encode() + b"\n")
                    fh.flush()
                    os.fsync(fh.fileno())
                finally:
                    fcntl.flock(fh, fcntl.LOCK_UN)
        except OSError as exc:
            raise InputError(str(self.path), f"cannot write the audit log ({exc.strerror})",
                             field="--audit") from None
        return record

    def records(self) -> Iterator[dict[str, Any]]:
        """Every record, in order; a line that is not a JSON object is an input error."""
        for number, raw in _lines(self.path):
            try:
                record = json.loads(raw)
            except json.JSONDecodeError as exc:
                raise InputError(str(self.path), f"line {number} is not JSON ({exc.msg})",
                                 field="--audit") from None
            if not isinstance(record, dict):
                raise InputError(str(self.path), f"line {number} is not a JSON object",
                                 field="--audit")
            yield record

    def verify(self, expect_head: str | None = None) -> Verdict:
        """Walks the chain; the first edit, reorder, gap or foreign line is reported."""
        prev, count, seq = GENESIS, 0, 0
        for number, raw in _lines(self.path):
            try:
                record = json.loads(raw)
            except json.JSONDecodeError:
                return Verdict(count, prev, Problem(number, None, "not valid JSON"))
            if not isinstance(record, dict):
                return Verdict(count, prev, Problem(number, None, "not a JSON object"))
            got_seq = record.get("seq") if isinstance(record.get("seq"), int) else None
            if got_seq != seq + 1:
                return Verdict(count, prev, Problem(
                    number, got_seq, f"out of sequence (expected record {seq + 1}): "
                    "a record was removed, inserted or moved"))
            if record.get("prev") != prev:
                return Verdict(count, prev, Problem(
                    number, got_seq, "does not follow the record before it "
                    "(removed, inserted or reordered)"))
            if not hmac.compare_digest(str(record.get("hash", "")),
                                       record_hash(record, self.key)):
                hint = "edited after it was written" + (
                    "" if self.key else ", or written with an audit key (set ONCALL_AUDIT_KEY)")
                return Verdict(count, prev, Problem(number, got_seq, hint))
            prev, count, seq = str(record["hash"]), count + 1, seq + 1
        if expect_head is not None and expect_head != prev:
            return Verdict(count, prev, Problem(
                count, seq or None, f"the last record's hash is {prev[:16]}..., expected "
                f"{expect_head[:16]}...: records were removed from the end or added"))
        return Verdict(count, prev, None)

    def head(self) -> str:
        last = None
        for record in self.records():
            last = record
        return str(last["hash"]) if last else GENESIS


def _lines(path: Path) -> Iterator[tuple[int, str]]:
    if not path.exists():
        return
    try:
        with open(path, encoding="utf-8", errors="strict") as fh:
            for number, line in enumerate(fh, start=1):
                if line.strip():
                    yield number, line
    except UnicodeDecodeError:
        raise InputError(str(path), "is not UTF-8 text (not an oncall audit log?)",
                         field="--audit") from None
    except OSError as exc:
        raise InputError(str(path), f"cannot be read ({exc.strerror})", field="--audit") from None


def _last_record(fh: Any, path: Path) -> dict[str, Any] | None:
    """The last complete record, read from the file's tail (the log can be large)."""
    fh.seek(0, os.SEEK_END)
    size = fh.tell()
    if size == 0:
        return None
    start = max(0, size - _TAIL_BYTES)
    while True:
        fh.seek(start)
        chunk = fh.read(size - start)
        lines = [ln for ln in chunk.split(b"\n") if ln.strip()]
        if lines and (start == 0 or len(lines) > 1):
            break
        if start == 0:
            return None
        start = max(0, start - _TAIL_BYTES)
    try:
        record = json.loads(lines[-1])
    except json.JSONDecodeError:
        raise InputError(str(path), "the last line is not a complete record; run "
                         "`oncall audit verify` before writing more", field="--audit") from None
    if not isinstance(record, dict) or "hash" not in record or "seq" not in record:
        raise InputError(str(path), "the last line is not an audit record", field="--audit")
    return record


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def _default_actor() -> str:
    """`ONCALL_ACTOR`, `USER` or `LOGNAME`; else (containers, cron, systemd units set
    none of them) the account name of the process's uid, else `uid:N`."""
    for variable in ("ONCALL_ACTOR", "USER", "LOGNAME"):
        if os.environ.get(variable):
            return os.environ[variable]
    uid = os.getuid()
    try:
        import pwd

        name = pwd.getpwuid(uid).pw_name
    except (KeyError, ImportError):  # a uid without an account (docker run -u 12345)
        name = ""
    return name or f"uid:{uid}"
