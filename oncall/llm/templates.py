"""Prompts are versioned files shipped with the package, never strings in code.

Each `prompts/<name>.md` has front matter (`id`, `version`) and, except the shared
`system.md`, a `# system` and a `# user` section. What a call sent is then traceable:
the call log records every prompt's `id@version` and the SHA-256 of its file, so an
answer can be tied to the exact wording that produced it, and a wording change without
a version bump shows up as a new hash.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from functools import cache
from importlib import resources
from string import Template

import yaml

_FRONT = re.compile(r"\A---\n(.*?)\n---\n", re.DOTALL)
_SECTION = re.compile(r"^# (system|user)\s*$", re.MULTILINE)


@dataclass(frozen=True, slots=True)
class Prompt:
    name: str
    version: str
    sha256: str
    system: str
    user: str

    @property
    def id(self) -> str:
        return f"{self.name}@{self.version}"

    def record(self) -> dict[str, str]:
        return {"id": self.id, "sha256": self.sha256}


@cache
def load_prompt(name: str) -> Prompt:
    """The prompt file `prompts/<name>.md`; a broken file is a packaging bug (raises)."""
    raw = resources.files("oncall.llm").joinpath("prompts", f"{name}.md").read_bytes()
    text = raw.decode("utf-8")
    front = _FRONT.match(text)
    if front is None:
        raise ValueError(f"prompt {name}: missing front matter")
    meta = yaml.safe_load(front.group(1)) or {}
    if meta.get("id") != name or meta.get("version") is None:
        raise ValueError(f"prompt {name}: front matter needs id: {name} and a version")
    body = text[front.end():]
    sections = dict(_sections(body))
    if name == "system":
        sections = {"system": body.strip(), "user": ""}
    elif set(sections) != {"system", "user"}:
        raise ValueError(f"prompt {name}: needs a '# system' and a '# user' section")
    return Prompt(name=name, version=str(meta["version"]),
                  sha256=hashlib.sha256(raw).hexdigest(),
                  system=sections["system"], user=sections["user"])


def _sections(body: str) -> list[tuple[str, str]]:
    marks = list(_SECTION.finditer(body))
    return [(m.group(1), body[m.end():(marks[i + 1].start() if i + 1 < len(marks)
                                       else len(body))].strip())
            for i, m in enumerate(marks)]


def fill(template: str, **values: str) -> str:
    """`$name` placeholders filled; a missing value is a bug, so it raises."""
    return Template(template).substitute(values)


def messages(task: Prompt, nonce: str, actions: str, **values: str) -> list[dict[str, str]]:
    """The chat messages of one call: the shared rules plus the task's system text, then
    the task's user text with the fenced data and the other values filled in."""
    shared = load_prompt("system")
    system = fill(shared.system, nonce=nonce, actions=actions) + "\n\n" + task.system
    user = fill(task.user, actions=actions, **values)
    return [{"role": "system", "content": system}, {"role": "user", "content": user}]
