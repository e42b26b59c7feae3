"""Knowledge documents: Markdown with YAML front matter (runbooks, past incidents)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from oncall.errors import InputError
from oncall.model import KnowledgeDoc
from oncall.sources.fields import Fields

DOC_TYPES = {"runbooks": "runbook", "incidents": "incident", "known-errors": "known_error"}


def split_front_matter(text: str, path: str) -> tuple[dict[str, Any], str]:
    if not text.startswith("---"):
        return {}, text
    end = text.find("\n---", 3)
    if end == -1:
        raise InputError(path, "front matter starts with '---' but never ends")
    try:
        meta = yaml.safe_load(text[3:end]) or {}
    except yaml.YAMLError as exc:
        raise InputError(path, f"front matter is not valid YAML ({_first_line(exc)})") from None
    if not isinstance(meta, dict):
        raise InputError(path, "front matter must be a mapping")
    body = text[end + 4:]
    return meta, body.lstrip("\n")


def parse_knowledge_doc(text: str, path: str, default_type: str) -> KnowledgeDoc:
    meta, body = split_front_matter(text, path)
    f = Fields(path)
    doc_type = str(meta.get("type") or default_type)
    title = str(meta.get("title") or _first_heading(body) or Path(path).stem)
    return KnowledgeDoc(
        id=str(meta.get("id") or Path(path).stem),
        title=title,
        doc_type=doc_type,
        body=body,
        path=path,
        services=_str_list(f, meta, "services"),
        alerts=_str_list(f, meta, "alerts"),
        tags=_str_list(f, meta, "tags"),
        date=str(meta["date"]) if meta.get("date") is not None else None,
        root_cause=str(meta["root_cause"]) if meta.get("root_cause") else None,
        resolution=str(meta["resolution"]) if meta.get("resolution") else None,
    )


def load_knowledge_dir(root: Path) -> list[KnowledgeDoc]:
    """Reads `runbooks/*.md` and `incidents/*.md` (or loose *.md files) below root."""
    docs: list[KnowledgeDoc] = []
    for md in sorted(root.rglob("*.md")):
        if md.name.lower() == "readme.md":
            continue
        rel = md.relative_to(root)
        default = DOC_TYPES.get(rel.parts[0], "runbook") if len(rel.parts) > 1 else "runbook"
        try:
            text = md.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            raise InputError(str(md), "is not UTF-8 text") from None
        docs.append(parse_knowledge_doc(text, str(md), default))
    return docs


def _str_list(f: Fields, meta: dict[str, Any], key: str) -> tuple[str, ...]:
    value = meta.get(key)
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    if not isinstance(value, list):
        raise f.fail(key, "expected a list of strings")
    return tuple(str(v) for v in value if v is not None)


def _first_heading(body: str) -> str | None:
    for line in body.splitlines():
        if line.startswith("# "):
            return line[2:].strip()
    return None


def _first_line(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
