"""Reading one small YAML file a person wrote: guards and one-line errors in one place.

Configuration, policies, ground truth and thresholds are all hand-written YAML. Each
must be a regular file under a size cap, UTF-8 (a byte-order mark is dropped), and
valid YAML without alias bombs; every failure is an `InputError` naming the file, and
for syntax errors the line and column, so a typo is found in seconds.
"""

from __future__ import annotations

import stat
from pathlib import Path
from typing import Any

import yaml

from oncall.errors import InputError
from oncall.sources.yamlsafe import safe_load

MAX_BYTES = 16 * 1024 * 1024


def read_text_file(path: Path, max_bytes: int = MAX_BYTES, missing: str = "no such file") -> str:
    try:
        info = path.stat()
    except FileNotFoundError:
        raise InputError(str(path), missing) from None
    except OSError as exc:
        raise InputError(str(path), f"cannot be read ({exc.strerror})") from None
    if not stat.S_ISREG(info.st_mode):
        raise InputError(str(path), "is not a regular file")
    if info.st_size > max_bytes:
        limit = f"{max_bytes // (1024 * 1024)} MiB" if max_bytes >= 1024 * 1024 \
            else f"{max_bytes // 1024} KiB"
        raise InputError(str(path), f"is over the {limit} limit")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(str(path), f"cannot be read ({exc.strerror})") from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(str(path), f"is not UTF-8 (byte {exc.start})") from None


def parse_yaml_text(text: str, path: Path | str) -> Any:
    """The decoded document; alias bombs and syntax errors become one-line errors."""
    try:
        return safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1} column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or "invalid YAML"
        raise InputError(str(path), f"invalid YAML{where}: {problem}") from None
    except (RecursionError, ValueError):
        raise InputError(str(path), "invalid YAML (nested too deeply or a number too long)"
                         ) from None


def load_yaml_file(path: Path, max_bytes: int = MAX_BYTES, missing: str = "no such file") -> Any:
    return parse_yaml_text(read_text_file(path, max_bytes, missing), path)
