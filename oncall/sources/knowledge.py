"""Knowledge documents: Markdown with YAML front matter (runbooks, past incidents)."""

from __future__ import annotations

import stat
from pathlib import Path
from typing import Any

import yaml

from oncall.errors import InputError
from oncall.model import KnowledgeDoc
from oncall.sources.fields import Fields
from oncall.sources.yamlsafe import safe_load

# A runbook or postmortem is pages of prose; a document this large is a mistake.
MAX_DOC_BYTES = 16 * 1024 * 1024
DOC_TYPES = {"runbooks": "runbook", "incidents": "incident", "known-errors": "known_error"}


def split_front_matter(text: str, path: str) -> tuple[dict[str, Any], str]:
    if not text.startswith("---"):
        return {}, text
    end = text.find("\n---", 3)
    if end == -1:
        raise InputError(path, "front matter starts with '---' but never ends")
    try:
        meta = safe_load(text[3:end]) or {}
    except yaml.YAMLError as exc:
        raise InputError(path, f"front matter is not valid YAML ({_first_line(exc)})") from None
    except RecursionError:
        raise InputError(path, "front matter is nested too deeply") from None
    except ValueError as exc:  # a number too long to convert (int_max_str_digits)
        raise InputError(path, f"front matter is not valid YAML ({_first_line(exc)})") from None
    if not isinstance(meta, dict):
        raise InputError(path, "front matter must be a mapping")
    body = text[end + 4:]
    return meta, body.lstrip("\n")


def parse_knowledge_doc(text: str, path: str, default_type: str) -> KnowledgeDoc:
    meta, body = split_front_matter(text, path)
    f = Fields(path)
    doc_type = f.optional_scalar(meta, "type", "") or default_type
    title = f.optional_scalar(meta, "title", "") or _first_heading(body) or Path(path).stem
    return KnowledgeDoc(
        id=f.optional_scalar(meta, "id", "") or Path(path).stem,
        title=title,
        doc_type=doc_type,
        body=body,
        path=path,
        services=_str_list(f, meta, "services"),
        alerts=_str_list(f, meta, "alerts"),
        tags=_str_list(f, meta, "tags"),
        date=f.optional_scalar(meta, "date", ""),
        root_cause=f.optional_scalar(meta, "root_cause", ""),
        resolution=f.optional_scalar(meta, "resolution", ""),
    )


def load_knowledge_dir(root: Path) -> list[KnowledgeDoc]:
    """Reads `runbooks/*.md` and `incidents/*.md` (or loose *.md files) below root.

    A folder someone named `x.md` is not a document and is skipped; anything else that
    cannot be read (a broken link, a FIFO, no permission) is an error naming it, since
    a runbook that silently goes missing is worse than a clear complaint.
    """
    if not root.is_dir():
        raise InputError(str(root), "is not a knowledge directory")
    docs: list[KnowledgeDoc] = []
    for md in sorted(root.rglob("*.md")):
        if md.name.lower() == "readme.md" or md.is_dir():
            continue
        rel = md.relative_to(root)
        default = DOC_TYPES.get(rel.parts[0], "runbook") if len(rel.parts) > 1 else "runbook"
        docs.append(parse_knowledge_doc(_read_doc(md), str(md), default))
    return docs


def _read_doc(md: Path) -> str:
    try:
        info = md.stat()
        if not stat.S_ISREG(info.st_mode):
            raise InputError(str(md), "is not a regular file")
        if info.st_size > MAX_DOC_BYTES:
            raise InputError(str(md), f"is {info.st_size // (1024 * 1024)} MiB, over the "
                             f"{MAX_DOC_BYTES // (1024 * 1024)} MiB limit for one document")
        return md.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InputError(str(md), "is not UTF-8 text") from None
    except OSError as exc:
        raise InputError(str(md), f"cannot be read ({exc.strerror})") from None


def _str_list(f: Fields, meta: dict[str, Any], key: str) -> tuple[str, ...]:
    value = meta.get(key)
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    if not isinstance(value, list):
        raise f.fail(key, "expected a list of strings")
    return f.scalar_list(meta, key, "")


def _first_heading(body: str) -> str | None:
    for line in body.splitlines():
        if line.startswith("# "):
            return line[2:].strip()
    return None


def _first_line(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
