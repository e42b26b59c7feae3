"""Structured edits of YAML and JSON files that keep what a reviewer cares about.

A permanent fix is a diff a human reviews, so the edit must touch only the value it
means to change: YAML goes through ruamel's round-trip mode (comments, key order, quotes
and multi-document files survive), JSON keeps its key order and indentation. Every
edit states the value it expects to find; when the file says something else the edit
is refused as a conflict rather than silently overwriting a colleague's change.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from oncall.errors import InputError

ABSENT: Any = object()  # `old` for a key the edit adds

Path_ = tuple[str | int, ...]


@dataclass(frozen=True, slots=True)
class Edit:
    file: str  # relative to the repository root
    path: Path_
    new: Any
    old: Any = ABSENT
    doc: int = 0  # YAML document index in a multi-document file
    why: str = ""

    @property
    def where(self) -> str:
        return f"{self.file}" + (f"#{self.doc}" if self.doc else "") + f":{dotted(self.path)}"


class EditConflict(InputError):
    """The file no longer holds what the edit expected (someone changed it)."""


def dotted(path: Path_) -> str:
    return ".".join(f"[{p}]" if isinstance(p, int) else str(p) for p in path)


def parse_path(text: str) -> Path_:
    """`spec.template.spec.containers[0].image` -> ("spec", ..., "containers", 0, "image")."""
    parts: list[str | int] = []
    for piece in text.split("."):
        match = re.fullmatch(r"([^\[\]]*)((?:\[\d+\])*)", piece)
        if not match or (not match.group(1) and not match.group(2)):
            raise InputError(text, "is not a dotted path (like spec.replicas or a.b[0].c)")
        if match.group(1):
            parts.append(match.group(1))
        parts.extend(int(i) for i in re.findall(r"\[(\d+)\]", match.group(2)))
    return tuple(parts)


def is_yaml(name: str) -> bool:
    return name.lower().endswith((".yaml", ".yml"))


# -- reading -------------------------------------------------------------------------


def load_docs(name: str, text: str) -> list[Any]:
    """Documents of a YAML or JSON file, as round-trip objects (for YAML)."""
    if is_yaml(name):
        yaml = _yaml(text)
        try:
            return [d for d in yaml.load_all(text)]
        except Exception as exc:  # ruamel raises many unrelated types for bad YAML
            first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            raise InputError(name, f"is not valid YAML ({first})") from None
    try:
        return [json.loads(text)]
    except json.JSONDecodeError as exc:
        raise InputError(name, f"is not valid JSON (line {exc.lineno}: {exc.msg})") from None


def get(node: Any, path: Path_) -> Any:
    for part in path:
        if isinstance(part, int):
            if not isinstance(node, list) or part >= len(node):
                return ABSENT
            node = node[part]
        else:
            if not isinstance(node, dict) or part not in node:
                return ABSENT
            node = node[part]
    return node


def walk(node: Any, prefix: Path_ = ()) -> Iterator[tuple[Path_, Any]]:
    """Every (path, value) below node, maps and lists included."""
    yield prefix, node
    if isinstance(node, dict):
        for key, value in node.items():
            yield from walk(value, (*prefix, str(key)))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from walk(value, (*prefix, i))


# -- writing -------------------------------------------------------------------------


def apply_edits(name: str, text: str, edits: list[Edit]) -> str:
    """The file's new text with `edits` applied; refuses conflicts and missing parents."""
    docs = load_docs(name, text)
    for edit in edits:
        if edit.doc >= len(docs):
            raise InputError(name, f"has no YAML document #{edit.doc}", field=dotted(edit.path))
        current = get(docs[edit.doc], edit.path)
        if not _same(current, edit.old):
            found = "nothing" if current is ABSENT else repr(_plain(current))
            wanted = "nothing" if edit.old is ABSENT else repr(edit.old)
            raise EditConflict(name, f"holds {found} where the fix expected {wanted}; "
                               "the file changed since the incident: review it by hand",
                               field=dotted(edit.path))
        parent = get(docs[edit.doc], edit.path[:-1])
        if parent is ABSENT or not isinstance(parent, dict | list):
            raise InputError(name, "has no place for this value", field=dotted(edit.path))
        key = edit.path[-1]
        if isinstance(parent, list):
            if not isinstance(key, int) or key >= len(parent):
                raise InputError(name, "has no such list item", field=dotted(edit.path))
            parent[key] = edit.new
        else:
            parent[key] = edit.new
    if is_yaml(name):
        out = io.StringIO()
        _yaml(text).dump_all(docs, out)
        result = out.getvalue()
        if text.startswith("---") and not result.startswith("---"):
            result = "---\n" + result
        return result
    indent = _json_indent(text)
    return json.dumps(docs[0], indent=indent, ensure_ascii=False) + (
        "\n" if text.endswith("\n") else "")


def _same(current: Any, expected: Any) -> bool:
    if expected is ABSENT or current is ABSENT:
        return current is expected
    return bool(_plain(current) == expected)


def _plain(value: Any) -> Any:
    """ruamel's scalar subclasses compare fine; maps and lists become plain values."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _yaml(text: str) -> Any:
    from ruamel.yaml import YAML

    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.width = 4096  # never re-wrap a long line someone wrote on purpose
    mapping, sequence, offset = _yaml_indent(text)
    yaml.indent(mapping=mapping, sequence=sequence, offset=offset)
    return yaml


def _yaml_indent(text: str) -> tuple[int, int, int]:
    """(mapping, sequence, offset) as the file already uses them."""
    lines = text.splitlines()
    mapping = 2
    for line in lines:
        stripped = line.lstrip(" ")
        if stripped and not stripped.startswith(("#", "-")) and len(line) > len(stripped):
            mapping = len(line) - len(stripped)
            break
    for i, line in enumerate(lines[1:], start=1):
        stripped = line.lstrip(" ")
        if not stripped.startswith("- "):
            continue
        above = lines[i - 1]
        if above.rstrip().endswith(":") and not above.lstrip().startswith("-"):
            dash = len(line) - len(stripped)
            parent = len(above) - len(above.lstrip(" "))
            offset = max(0, dash - parent)
            return mapping, offset + 2, offset
    return mapping, mapping, 0


def _json_indent(text: str) -> int | None:
    for line in text.splitlines()[1:]:
        stripped = line.lstrip(" ")
        if stripped:
            return len(line) - len(stripped) or None
    return None
