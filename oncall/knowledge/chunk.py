"""Knowledge files to chunks: heading-aware sections with the document's labels attached.

A runbook is read by its headings: "Mitigation > Roll back" is the unit an engineer
wants at 2 a.m., not a 512-character window that starts mid-command. Each section
becomes one chunk (long sections split at paragraph boundaries, never inside a code
fence); every chunk carries the document's id, title, type, services, alerts and tags
so filters and labels work per chunk.

Incident records may also be YAML (one mapping, or a list of them): their fields are
rendered as sections ("Root cause", "Resolution", ...) and go through the same
front-matter validation as Markdown.
"""

from __future__ import annotations

import hashlib
import os
import re
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import yaml

from oncall.errors import InputError
from oncall.knowledge.base import utf8_text
from oncall.model import KnowledgeDoc
from oncall.sources.knowledge import DOC_TYPES, MAX_DOC_BYTES, parse_knowledge_doc
from oncall.sources.yamlsafe import safe_load

MAX_WORDS = 180  # MiniLM reads 256 word pieces; ~1.3 pieces a word leaves room for the title
MARKDOWN = (".md", ".markdown")
YAML = (".yaml", ".yml")
KINDS = "a Markdown runbook (.md, .markdown) or YAML records (.yaml, .yml)"
# Front-matter keys of a YAML record; every other key becomes a section of its body.
META_KEYS = ("id", "title", "type", "services", "alerts", "tags", "date", "root_cause",
             "resolution")
SECTION_ORDER = ("summary", "symptoms", "impact", "root_cause", "resolution", "workaround",
                 "timeline", "detection", "follow_ups", "lessons")
_HEADING = re.compile(r"^(#{1,6})[ \t]+(.+?)[ \t#]*$")
_FENCE = re.compile(r"^[ \t]{0,3}(`{3,}|~{3,})")


@dataclass(slots=True, frozen=True)
class Chunk:
    id: str
    doc_id: str
    title: str
    doc_type: str
    section: str  # the nearest heading ("" before the first one)
    headings: tuple[str, ...]  # the heading path, outermost first, without the title
    text: str
    path: str
    ordinal: int
    services: tuple[str, ...] = ()
    alerts: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    root_cause: str = ""
    resolution: str = ""

    def embed_text(self) -> str:
        """What the model reads: where the text sits, then the text."""
        where = " > ".join((self.title, *self.headings))
        return f"{where}\n{self.text}".strip()

    def labels(self) -> str:
        """Front-matter words for the lexical index's label column."""
        return " ".join([*self.services, *self.alerts, *self.tags, self.doc_type])


@dataclass(slots=True)
class SourceFile:
    """One knowledge file found on disk, before parsing."""

    path: Path
    default_type: str
    sha256: str
    data: bytes


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# -- finding files ---------------------------------------------------------------------


def discover(root: Path) -> Iterator[tuple[Path, str]]:
    """Knowledge files below `root` (or `root` itself), with the doc type their folder implies.

    Markdown anywhere (not README.md); YAML only where it can be a record: under an
    `incidents/`, `known-errors/` or `runbooks/` folder, or named directly. Scenario
    files such as `alerts.yaml` beside a `knowledge/` folder are not records. In a folder,
    other files are passed over; a file named directly must be one of these (a typo such
    as `/etc/passwd` is an error, not a runbook), and a regular file.
    """
    if not check_root(root):
        yield root.resolve(), _type_for(root.parent.name, root.suffix.lower())
        return
    for path in sorted(root.rglob("*")):
        suffix = path.suffix.lower()
        if suffix not in MARKDOWN + YAML or path.name.lower() == "readme.md" or path.is_dir():
            continue
        if any(part.startswith(".") for part in path.relative_to(root).parts):
            continue
        folders = path.relative_to(root).parts[:-1]
        typed = [DOC_TYPES[p] for p in folders if p in DOC_TYPES]
        if suffix in YAML and not typed:
            continue
        yield path.resolve(), typed[-1] if typed else "runbook"


def check_root(root: Path) -> bool:
    """True for a folder; for a file, raises unless it is a regular Markdown/YAML file."""
    try:
        info = root.stat()
    except (FileNotFoundError, NotADirectoryError):
        raise InputError(str(root), "no such file or directory") from None
    except OSError as exc:
        raise InputError(str(root), f"cannot be read ({exc.strerror})") from None
    if stat.S_ISDIR(info.st_mode):
        return True
    if not stat.S_ISREG(info.st_mode):
        raise InputError(str(root), "is not a regular file (name a Markdown or YAML "
                         "knowledge file, or a folder of them)")
    if root.suffix.lower() not in MARKDOWN + YAML:
        raise InputError(str(root), f"is not a knowledge file: expected {KINDS}")
    return False


def _type_for(folder: str, suffix: str) -> str:
    if folder in DOC_TYPES:
        return DOC_TYPES[folder]
    return "incident" if suffix in YAML else "runbook"


def read_source(path: Path, default_type: str) -> SourceFile:
    try:
        info = path.stat()
        if not stat.S_ISREG(info.st_mode):
            raise InputError(str(path), "is not a regular file")
        if info.st_size > MAX_DOC_BYTES:
            raise InputError(str(path), f"is {info.st_size // (1024 * 1024)} MiB, over the "
                             f"{MAX_DOC_BYTES // (1024 * 1024)} MiB limit for one document")
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(str(path), f"cannot be read ({exc.strerror})") from None
    return SourceFile(path=path, default_type=default_type, sha256=sha256(data), data=data)


# -- parsing ---------------------------------------------------------------------------


def parse_source(src: SourceFile) -> list[KnowledgeDoc]:
    try:
        text = src.data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InputError(str(src.path), "is not UTF-8 text") from None
    if src.path.suffix.lower() in YAML:
        return parse_yaml_records(text, str(src.path), src.default_type)
    return [parse_knowledge_doc(text, str(src.path), src.default_type)]


def parse_yaml_records(text: str, path: str, default_type: str) -> list[KnowledgeDoc]:
    """An incident or known-error record (or a list of them) written as YAML."""
    try:
        data = safe_load(text)
    except yaml.YAMLError as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else "syntax error"
        raise InputError(path, f"is not valid YAML ({first})") from None
    except (RecursionError, ValueError):
        raise InputError(path, "is not valid YAML (nested too deeply or too large)") from None
    if data is None:
        return []
    records = data if isinstance(data, list) else [data]
    docs: list[KnowledgeDoc] = []
    stem = Path(path).stem
    for n, record in enumerate(records):
        where = path if len(records) == 1 else f"{path}[{n}]"
        if not isinstance(record, dict):
            raise InputError(where, "a knowledge record must be a mapping")
        meta = {k: _plain(v) for k, v in record.items() if k in META_KEYS}
        if len(records) > 1 and not meta.get("id"):
            meta["id"] = f"{stem}-{n + 1}"
        body = _yaml_body(record)
        front = yaml.safe_dump(meta, sort_keys=False, allow_unicode=True)
        docs.append(parse_knowledge_doc(f"---\n{front}---\n{body}", where, default_type))
    return docs


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date | datetime) else value


def _yaml_body(record: dict[str, Any]) -> str:
    keys = [k for k in SECTION_ORDER if k in record]
    keys += [k for k in record if k not in keys and k not in META_KEYS[:-2] and k != "body"]
    parts = [f"# {record['title']}"] if isinstance(record.get("title"), str) else []
    for key in keys:
        rendered = _render(record[key])
        if rendered:
            parts.append(f"## {str(key).replace('_', ' ').capitalize()}\n{rendered}")
    if isinstance(record.get("body"), str):
        parts.append(record["body"])
    return "\n\n".join(parts) + "\n"


def _render(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, list):
        lines = []
        for item in value:
            if isinstance(item, dict):
                lines.append("- " + ", ".join(f"{k}: {_plain(v)}" for k, v in item.items()))
            else:
                lines.append(f"- {_plain(item)}")
        return "\n".join(lines)
    if isinstance(value, dict):
        return "\n".join(f"- {k}: {_plain(v)}" for k, v in value.items())
    return str(_plain(value))


# -- chunking --------------------------------------------------------------------------


def sections(body: str) -> list[tuple[tuple[str, ...], str]]:
    """(heading path, text) per section, headings inside code fences ignored."""
    out: list[tuple[tuple[str, ...], str]] = []
    stack: list[tuple[int, str]] = []
    lines: list[str] = []
    fence = ""

    def flush() -> None:
        text = "\n".join(lines).strip()
        if text:
            out.append((tuple(h for _, h in stack), text))
        lines.clear()

    for line in body.splitlines():
        marker = _FENCE.match(line)
        if marker:
            token = marker.group(1)
            if not fence:
                fence = token[0] * len(token)
            elif token.startswith(fence):
                fence = ""
            lines.append(line)
            continue
        heading = None if fence else _HEADING.match(line)
        if heading:
            flush()
            level = len(heading.group(1))
            while stack and stack[-1][0] >= level:
                stack.pop()
            stack.append((level, heading.group(2).strip()))
        else:
            lines.append(line)
    flush()
    return out


def chunk_doc(doc: KnowledgeDoc, key: str, max_words: int = MAX_WORDS) -> list[Chunk]:
    """Chunks of one document; `key` makes ids unique per file (and record)."""
    pieces: list[tuple[tuple[str, ...], str]] = []
    summary = _summary(doc)
    if summary:
        pieces.append((("Summary",), summary))
    for headings, text in sections(doc.body):
        if headings and headings[0] == doc.title:
            headings = headings[1:]
        for part in _split(text, max_words):
            pieces.append((headings, part))
    if not pieces:
        pieces.append(((), doc.title))
    # What the stores and the model take is UTF-8: a YAML escape (`"\ud800"`) or a file
    # name that is not UTF-8 leaves lone surrogates, made printable here, once.
    labels = {name: tuple(utf8_text(v) for v in getattr(doc, name))
              for name in ("services", "alerts", "tags")}
    return [
        Chunk(
            id=f"{key}:{n}", doc_id=utf8_text(doc.id), title=utf8_text(doc.title),
            doc_type=utf8_text(doc.doc_type),
            section=utf8_text(headings[-1]) if headings else "",
            headings=tuple(utf8_text(h) for h in headings), text=utf8_text(text),
            path=path_key(doc.path), ordinal=n, services=labels["services"],
            alerts=labels["alerts"], tags=labels["tags"],
            root_cause=utf8_text(doc.root_cause or ""),
            resolution=utf8_text(doc.resolution or ""),
        )
        for n, (headings, text) in enumerate(pieces)
    ]


def path_key(path: str | Path) -> str:
    """How a file is named in the index: its path, a byte that is not UTF-8 as `\\xNN`."""
    return utf8_text(str(path), escape=True)


def _summary(doc: KnowledgeDoc) -> str:
    """Root cause and resolution from front matter, when the body does not repeat them."""
    lines = []
    if doc.root_cause and doc.root_cause not in doc.body:
        lines.append(f"Root cause: {doc.root_cause}")
    if doc.resolution and doc.resolution not in doc.body:
        lines.append(f"Resolution: {doc.resolution}")
    return "\n".join(lines)


def _split(text: str, max_words: int) -> list[str]:
    """Paragraph-bounded pieces of at most about `max_words` words; fences stay whole."""
    if len(text.split()) <= max_words:
        return [text]
    blocks = _blocks(text)
    out: list[str] = []
    current: list[str] = []
    size = 0
    for block in blocks:
        words = len(block.split())
        if current and size + words > max_words:
            out.append("\n\n".join(current))
            current, size = [], 0
        if words > max_words and not block.lstrip().startswith(("```", "~~~")):
            out.extend(_hard_split(block, max_words))
            continue
        current.append(block)
        size += words
    if current:
        out.append("\n\n".join(current))
    return out


def _blocks(text: str) -> list[str]:
    blocks: list[str] = []
    current: list[str] = []
    fence = ""
    for line in text.splitlines():
        marker = _FENCE.match(line)
        if marker:
            token = marker.group(1)
            if not fence:
                fence = token[0] * len(token)
            elif token.startswith(fence):
                fence = ""
        if not fence and not marker and not line.strip():
            if current:
                blocks.append("\n".join(current))
                current = []
            continue
        current.append(line)
    if current:
        blocks.append("\n".join(current))
    return blocks


def _hard_split(block: str, max_words: int) -> list[str]:
    words = block.split()
    return [" ".join(words[i:i + max_words]) for i in range(0, len(words), max_words)]


def chunk_source(src: SourceFile) -> tuple[list[KnowledgeDoc], list[Chunk]]:
    docs = parse_source(src)
    key = sha256(os.fsencode(src.path))[:16]  # the name's bytes, UTF-8 or not
    chunks: list[Chunk] = []
    for n, doc in enumerate(docs):
        chunks.extend(chunk_doc(doc, key if len(docs) == 1 else f"{key}-{n}"))
    return docs, chunks
