"""Which retriever triage uses, decided without importing anything heavy.

The cheap, always-available choice is BM25 over the scenario's own documents. The hybrid
retriever (dense MiniLM + BM25 + labels, and the user's persistent index) costs an
onnxruntime session and sometimes chromadb, so it is chosen only when it has something to
add: an index the user built or named, a shared index server, or an installed model.
Every check here is a file or environment lookup, so `oncall triage` on a machine
without the model starts exactly as fast as before.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from oncall.knowledge.base import Retriever
from oncall.knowledge.lexical import LexicalRetriever
from oncall.knowledge.paths import default_index_dir, model_files_dir
from oncall.model import KnowledgeDoc

RetrieverFactory = Callable[[list[KnowledgeDoc]], Retriever]

INDEX_FILE = "oncall.sqlite3"


def user_index_exists(index: Path | None) -> bool:
    """A local index is there when `oncall index` has written its SQLite file.

    Something that cannot even be looked at (a folder without permission) counts as
    there: opening it then fails with the reason, which triage reports in `missing`
    instead of silently searching without the user's index."""
    try:
        return ((index or default_index_dir()) / INDEX_FILE).is_file()
    except OSError:
        return True


def model_installed(model_root: Path | None = None) -> bool:
    return (model_files_dir(model_root) / "model.onnx").is_file()


def choose_retriever(index: Path | None = None, *, lexical: bool = False,
                     chroma_url: str | None = None) -> RetrieverFactory:
    """The factory `pipeline.triage` should use.

    `index` names an index explicitly (it must then exist or be a server); `lexical`
    keeps dense retrieval out even with the model installed; `chroma_url` is the shared
    server (`ONCALL_CHROMA_URL`), which always means the user's index is searched.
    """
    has_index = bool(chroma_url) or user_index_exists(index)
    if not has_index and (lexical or not model_installed()):
        return LexicalRetriever
    from oncall.knowledge.hybrid import HybridFactory

    return HybridFactory(index, use_user_index=has_index, lexical=lexical)
