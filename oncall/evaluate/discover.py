"""Finding the scenarios to evaluate under the directories a user names.

A directory is a scenario when it holds `scenario.yaml`; a folder of scenarios is
searched recursively (without following symbolic links, which could loop), so
`oncall eval evals/` picks up every case however the corpus is organised. Only
scenarios with `expected.yaml` can be scored; the others are reported as skipped, not
silently dropped, so a missing truth file is noticed.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from oncall.errors import InputError
from oncall.evaluate.truth import FILENAME as EXPECTED

SCENARIO = "scenario.yaml"


@dataclass(slots=True)
class Found:
    scored: list[Path] = field(default_factory=list)  # scenarios with expected.yaml
    skipped: list[Path] = field(default_factory=list)  # scenarios without it


def find_scenarios(roots: list[Path]) -> Found:
    found = Found()
    seen: set[Path] = set()
    for root in roots:
        if not root.exists():
            raise InputError(str(root), "no such directory")
        if not root.is_dir():
            raise InputError(str(root), "is not a directory (expected a scenario directory "
                             "or a folder of them)")
        dirs = list(_scenario_dirs(root))
        if not dirs:
            raise InputError(str(root), f"holds no scenario (no {SCENARIO} in it or below it)")
        for scenario in dirs:
            key = scenario.resolve()
            if key in seen:
                continue
            seen.add(key)
            target = found.scored if (scenario / EXPECTED).exists() else found.skipped
            target.append(scenario)
    return found


def _scenario_dirs(root: Path) -> list[Path]:
    if (root / SCENARIO).is_file():
        return [root]
    out: list[Path] = []
    for current, subdirs, files in os.walk(root, followlinks=False):
        subdirs.sort()
        if SCENARIO in files and Path(current) != root:
            out.append(Path(current))
            subdirs.clear()  # a scenario's own folders (knowledge/) hold no scenarios
    return sorted(out)
