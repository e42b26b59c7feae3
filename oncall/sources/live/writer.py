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


def write_scenario(capture: Capture, out: Path) -> list[Path]:
    """Writes the scenario files into `out` (created; it must be absent or empty)."""
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise InputError(str(out), "already exists and is not an empty directory; "
                         "choose a new --out")
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
