"""Reading the evaluation's own files (expected.yaml, policy.yaml, thresholds.yaml).

The scenario loader has the same guards, but its helpers are private to it; the
evaluation reads a handful of small files, so a short, independent reader is enough:
only regular files, a size cap, UTF-8 (a byte-order mark is dropped), one clear error.
"""

from __future__ import annotations

import stat
from pathlib import Path
from typing import Any

import yaml

from oncall.errors import InputError
from oncall.sources.yamlsafe import safe_load

MAX_BYTES = 16 * 1024 * 1024  # ground truth and thresholds are small hand-written files


def read_text(path: Path) -> str:
    try:
        info = path.stat()
    except FileNotFoundError:
        raise InputError(str(path), "no such file") from None
    except OSError as exc:
        raise InputError(str(path), f"cannot be read ({exc.strerror})") from None
    if not stat.S_ISREG(info.st_mode):
        raise InputError(str(path), "is not a regular file")
    if info.st_size > MAX_BYTES:
        raise InputError(str(path), f"is over the {MAX_BYTES // (1024 * 1024)} MiB limit")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(str(path), f"cannot be read ({exc.strerror})") from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(str(path), f"is not UTF-8 (byte {exc.start})") from None


def load_yaml(path: Path) -> Any:
    """The decoded YAML document; alias bombs and syntax errors become one-line errors."""
    text = read_text(path)
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
