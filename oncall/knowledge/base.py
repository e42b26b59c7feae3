"""The retrieval seam: triage asks with a `KnowledgeQuery`, any retriever answers.

The in-memory lexical retriever needs nothing installed; the vector index plugs in
behind the same protocol.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Protocol

from oncall.model import KnowledgeHit


@dataclass(slots=True)
class KnowledgeQuery:
    text: str
    services: list[str] = field(default_factory=list)
    alerts: list[str] = field(default_factory=list)
    kinds: list[str] = field(default_factory=list)  # likely cause kinds, best first


class Retriever(Protocol):
    def search(self, query: KnowledgeQuery, limit: int = 5) -> list[KnowledgeHit]: ...


def utf8_text(text: str, escape: bool = False) -> str:
    """`text` with nothing a UTF-8 encoder refuses.

    Python hands over bytes that are not UTF-8 (a query in argv, a file name) as lone
    surrogates ("surrogate escapes"), and a JSON or YAML escape such as `\\ud800` makes
    one too; SQLite, the tokenizer and chroma all refuse them. Each one becomes U+FFFD,
    or with `escape` a visible escape (`\\xe9` for the byte 0xE9), which
    keeps two file names that differ only there apart. Valid text comes back unchanged.
    """
    if not _SURROGATE.search(text):
        return text
    if escape:
        return _SURROGATE.sub(_escape, text)
    return _SURROGATE.sub("\ufffd", text)


_SURROGATE = re.compile("[\ud800-\udfff]")


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code - 0xDC00:02x}" if 0xDC80 <= code <= 0xDCFF else f"\\u{code:04x}"
