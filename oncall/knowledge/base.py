"""The retrieval seam: triage asks with a `KnowledgeQuery`, any retriever answers.

The in-memory lexical retriever needs nothing installed; the vector index plugs in
behind the same protocol.
"""

from __future__ import annotations

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
