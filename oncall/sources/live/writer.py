"""`oncall snapshot`: a capture written as a scenario directory, replayable offline.

The bodies are written as fetched (after they parsed), in the contract's wire formats,
with `scenario.yaml` stamping `now` and saying what was missing; `oncall triage DIR`
then sees what the live triage saw, and the directory can join the eval corpus.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

from oncall.errors import InputError
from oncall.sources.live.base import PART_FILES, rfc3339
from oncall.sources.live.source import Capture


def check_out(out: Path) -> None:
    """`out` can receive a scenario: it is absent or an empty directory. Each refusal says
    which of the two it is not (a file is not "a directory that is not empty")."""
    if not out.exists():
        if out.is_symlink():
            raise InputError(str(out), "is a symbolic link to nothing; choose a new --out")
        return
    if not out.is_dir():
        raise InputError(str(out), "exists and is not a directory; choose a new --out")
    try:
        empty = not any(out.iterdir())
    except OSError as exc:
        raise InputError(str(out), f"cannot be read ({exc.strerror})") from None
    if not empty:
        raise InputError(str(out), "is a directory that is not empty; choose a new or an "
                         "empty --out")


def write_scenario(capture: Capture, out: Path) -> list[Path]:
    """Writes the scenario files into `out` (created; it must be absent or empty)."""
    check_out(out)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(str(out), f"cannot be created ({exc.strerror})") from None
    snap = capture.snapshot
    header: dict[str, Any] = {"name": snap.name, "description": snap.description,
                              "now": rfc3339(snap.now)}
    if snap.missing:
        header["missing_at_capture"] = list(snap.missing)
    files = {"scenario.yaml": yaml.safe_dump(header, sort_keys=False, allow_unicode=True)}
    for part, body in capture.bodies.items():
        name = PART_FILES[part]
        if name.endswith(".json"):
            files[name] = json.dumps(body, indent=1, ensure_ascii=False) + "\n"
        elif part == "catalog":
            files[name] = yaml.safe_dump_all(body, sort_keys=False, allow_unicode=True)
        else:
            files[name] = yaml.safe_dump(body, sort_keys=False, allow_unicode=True)
    if capture.policy_text is not None:
        files["policy.yaml"] = capture.policy_text
    written = []
    for name, text in files.items():
        path = out / name
        try:
            path.write_text(text, encoding="utf-8")
        except OSError as exc:
            raise InputError(str(path), f"cannot be written ({exc.strerror})") from None
        written.append(path)
    return written
