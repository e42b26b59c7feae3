"""Turning a feature flag off: a flagd flag file, or an HTTP flag service.

flagd watches its flag file and reloads it, so disabling a flag is an edit of the flag's
JSON definition: `defaultVariant` becomes the off variant and `targeting` is dropped
(rules would still hand some users the on variant), or, in `state` mode, `state` becomes
`DISABLED`. The edit is atomic (a temporary file in the same folder, then `os.replace`,
so flagd never reads half a file) and the original bytes are kept beside it as a
backup. The undo puts the backup back, but only if the file is still exactly what we
wrote: if someone changed it since, restoring would silently drop their change.

The HTTP flag service contract is deliberately small: `GET {url}/flags/{key}` returns
the flag as a JSON object; `PUT` of that object with `enabled_field` false turns it off;
the undo `PUT`s the object that was read before.
"""

from __future__ import annotations

import copy
import hashlib
import json
import os
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

from oncall.remediate.executors.base import ActionRequest, ExecutionFailed, Preview, Refused, Result
from oncall.remediate.executors.config import FlagsConfig
from oncall.remediate.executors.http import Sender, shown_request

MAX_FLAG_FILE_BYTES = 16 * 1024 * 1024


class FlagdFileExecutor:
    name = "flags"

    def __init__(self, config: FlagsConfig) -> None:
        assert config.flagd_file is not None
        self.config = config
        self.path: Path = config.flagd_file

    def preview(self, request: ActionRequest) -> Preview:
        key = _key(self.config, request)
        raw = self._read()
        _, change = self._disabled(raw, key)
        return Preview(self.name, f"edit {self.path}: flags.{key}: {change}",
                       f"dry run: {change} (file not written)", True, "undo",
                       f"restore {self.path} from the backup written before the edit")

    def execute(self, request: ActionRequest) -> Result:
        key = _key(self.config, request)
        raw = self._read()
        new, change = self._disabled(raw, key)
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
        backup = self.path.with_name(f"{self.path.name}.oncall-{stamp}.bak")
        _write_atomic(backup, raw, self.path)
        _write_atomic(self.path, new, self.path)
        return Result(True, f"edit {self.path}: flags.{key}: {change}",
                      f"{key} disabled; backup at {backup}",
                      {"file": str(self.path), "backup": str(backup),
                       "written_sha256": _sha(new), "flag": key})

    def undo(self, request: ActionRequest, result: Result) -> Result:
        backup = Path(result.state.get("backup", ""))
        current = self._read()
        if _sha(current) != result.state.get("written_sha256"):
            raise Refused(f"{self.path} changed since the flag was disabled; restoring the "
                          f"backup would drop that change (backup kept at {backup})")
        try:
            original = backup.read_bytes()
        except OSError as exc:
            raise ExecutionFailed(f"cannot read the backup {backup} ({exc.strerror})") from None
        _write_atomic(self.path, original, self.path)
        return Result(True, f"restore {self.path} from {backup}",
                      f"{result.state.get('flag', 'flag')} restored")

    # ----------------------------------------------------------------------------

    def _read(self) -> bytes:
        try:
            if self.path.stat().st_size > MAX_FLAG_FILE_BYTES:
                raise Refused(f"{self.path} is over {MAX_FLAG_FILE_BYTES // 2**20} MiB")
            return self.path.read_bytes()
        except FileNotFoundError:
            raise Refused(f"flag file {self.path} does not exist") from None
        except OSError as exc:
            raise ExecutionFailed(f"cannot read {self.path} ({exc.strerror})") from None

    def _disabled(self, raw: bytes, key: str) -> tuple[bytes, str]:
        """(the new file content, what changed in words)."""
        try:
            doc = json.loads(raw)
        except (ValueError, RecursionError):
            raise Refused(f"{self.path} is not a JSON flag file") from None
        flags = doc.get("flags") if isinstance(doc, dict) else None
        flag = flags.get(key) if isinstance(flags, dict) else None
        if not isinstance(flag, dict):
            raise Refused(f"{self.path} defines no flag {key!r}")
        assert isinstance(flags, dict)
        new_flag = copy.deepcopy(flag)
        if self.config.mode == "state":
            change = f"state {flag.get('state')!r} -> 'DISABLED'"
            new_flag["state"] = "DISABLED"
        else:
            off = self.config.off_variant
            variants = flag.get("variants")
            if not isinstance(variants, dict) or off not in variants:
                raise Refused(f"flag {key!r} has no variant {off!r} (executors.flags."
                              "off_variant)")
            change = f"defaultVariant {flag.get('defaultVariant')!r} -> {off!r}"
            new_flag["defaultVariant"] = off
            if new_flag.pop("targeting", None):
                change += ", targeting rules removed"
        if new_flag == flag:
            raise Refused(f"flag {key!r} is already off")
        flags[key] = new_flag
        return (json.dumps(doc, indent=2, ensure_ascii=False) + "\n").encode(), change


class FlagServiceExecutor:
    name = "flags"

    def __init__(self, config: FlagsConfig, sender: Sender) -> None:
        self.config = config
        self.sender = sender

    def preview(self, request: ActionRequest) -> Preview:
        key = _key(self.config, request)
        before = self._get(key)
        after = self._off(before, key)
        return Preview(self.name, shown_request("PUT", self.sender.url(self._path(key)), after),
                       f"read {key}: {self.config.enabled_field}="
                       f"{json.dumps(before.get(self.config.enabled_field))}; the flag service "
                       "has no dry run, nothing was written", None, "undo",
                       shown_request("PUT", self.sender.url(self._path(key)), before))

    def execute(self, request: ActionRequest) -> Result:
        key = _key(self.config, request)
        before = self._get(key)
        after = self._off(before, key)
        self.sender.call("PUT", self._path(key), after)
        return Result(True, shown_request("PUT", self.sender.url(self._path(key)), after),
                      f"{key} disabled", {"flag": key, "before": json.dumps(before)})

    def undo(self, request: ActionRequest, result: Result) -> Result:
        key = result.state.get("flag") or _key(self.config, request)
        before = json.loads(result.state["before"])
        self.sender.call("PUT", self._path(key), before)
        return Result(True, shown_request("PUT", self.sender.url(self._path(key)), before),
                      f"{key} restored")

    def _path(self, key: str) -> str:
        return f"/flags/{quote(key, safe='')}"

    def _get(self, key: str) -> dict[str, Any]:
        doc = self.sender.call("GET", self._path(key))
        if not isinstance(doc, dict):
            raise ExecutionFailed(f"flags: the flag service's answer for {key} is not an object")
        return doc

    def _off(self, flag: dict[str, Any], key: str) -> dict[str, Any]:
        field = self.config.enabled_field
        if flag.get(field) is False:
            raise Refused(f"flag {key!r} is already off")
        return {**flag, field: False}


def _key(config: FlagsConfig, request: ActionRequest) -> str:
    if request.action != "flag_disable":
        raise Refused(f"the flags executor does not do {request.action}")
    key = config.services.get(request.service)
    if key is None:
        raise Refused(f"no flag configured for {request.service} (executors.flags.services)")
    return key


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _write_atomic(target: Path, data: bytes, like: Path) -> None:
    """Writes `data` to `target` through a temporary file in the same folder, with the
    permissions of `like` (the flag file), then renames it into place."""
    try:
        mode = like.stat().st_mode & 0o777
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            os.chmod(tmp, mode)
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    except OSError as exc:
        raise ExecutionFailed(f"cannot write {target} ({exc.strerror})") from None
