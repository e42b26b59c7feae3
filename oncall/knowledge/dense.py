"""Dense stores: chroma (persistent or a shared server) and an in-memory matrix.

Both answer the same calls (`upsert`, `delete`, `query`, `reset`) so the index above
them does not care where vectors live. The index embeds the chunks itself (batches of
256 sorted by length) and hands the vectors over; a store embeds only when it is given
none. chromadb is imported in `open_chroma` only.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import urlsplit

from oncall.errors import InputError
from oncall.knowledge.chunk import Chunk

if TYPE_CHECKING:
    from oncall.knowledge.embed import Embedder

COLLECTION = "oncall-knowledge"
URL_ENV = "ONCALL_CHROMA_URL"
BATCH = 64
# Below this cosine MiniLM is saying "unrelated": such chunks are not ranked at all.
DENSE_FLOOR = 0.1


class DenseStore(Protocol):
    def upsert(self, chunks: Sequence[Chunk], file_sha: dict[str, str],
               progress: Callable[[int], None] | None = None,
               vectors: Any = None) -> None: ...

    def delete(self, ids: Sequence[str]) -> None: ...

    def query(self, vector: Any, limit: int, services: Sequence[str],
              doc_types: Sequence[str]) -> list[tuple[str, float]]: ...

    def reset(self) -> None: ...


def join_labels(values: Sequence[str]) -> str:
    """`|a|b|`: a delimited list that a substring test can match exactly."""
    return "|" + "|".join(values) + "|" if values else ""


def chunk_metadata(chunk: Chunk, file_sha: str) -> dict[str, str | int | bool]:
    import json

    meta: dict[str, str | int | bool] = {
        "doc_id": chunk.doc_id, "title": chunk.title, "doc_type": chunk.doc_type,
        "section": chunk.section, "headings": json.dumps(list(chunk.headings)),
        "path": chunk.path, "ordinal": chunk.ordinal, "file_sha256": file_sha,
        "services": join_labels(chunk.services), "alerts": join_labels(chunk.alerts),
        "tags": join_labels(chunk.tags), "root_cause": chunk.root_cause,
        "resolution": chunk.resolution, "svc_any": not chunk.services,
    }
    for service in chunk.services:
        meta[f"svc:{service}"] = True
    return meta


def chroma_where(services: Sequence[str], doc_types: Sequence[str]) -> dict[str, Any] | None:
    clauses: list[dict[str, Any]] = []
    if services:
        options: list[dict[str, Any]] = [{f"svc:{s}": True} for s in services]
        options.append({"svc_any": True})  # written for every service
        clauses.append({"$or": options})
    if doc_types:
        clauses.append({"doc_type": {"$in": list(doc_types)}})
    if not clauses:
        return None
    return clauses[0] if len(clauses) == 1 else {"$and": clauses}


class ChromaStore:
    """A chroma collection; chroma calls our onnxruntime function to embed documents."""

    def __init__(self, client: Any, embedder: Embedder | None, location: str) -> None:
        from oncall.knowledge.embed import chroma_embedding_function

        self.client = client
        self.location = location
        self._ef = chroma_embedding_function(embedder) if embedder is not None else None
        self.collection = self._open()

    def _open(self) -> Any:
        return self.client.get_or_create_collection(
            COLLECTION, embedding_function=self._ef, configuration={"hnsw": {"space": "cosine"}},
        )

    def upsert(self, chunks: Sequence[Chunk], file_sha: dict[str, str],
               progress: Callable[[int], None] | None = None,
               vectors: Any = None) -> None:
        """Writes chunks with `vectors` (rows in chunk order), or has chroma embed them."""
        if self._ef is None and vectors is None:
            raise RuntimeError("no embedding model: dense writes need `oncall model install`")
        for start in range(0, len(chunks), BATCH):
            batch = chunks[start:start + BATCH]
            extra: dict[str, Any] = {}
            if vectors is not None:
                extra["embeddings"] = vectors[start:start + BATCH]
            self.collection.upsert(
                ids=[c.id for c in batch],
                documents=[c.embed_text() for c in batch],
                metadatas=[chunk_metadata(c, file_sha.get(c.path, "")) for c in batch],
                **extra,
            )
            if progress:
                progress(len(batch))

    def delete(self, ids: Sequence[str]) -> None:
        for start in range(0, len(ids), 500):
            self.collection.delete(ids=list(ids[start:start + 500]))

    def query(self, vector: Any, limit: int, services: Sequence[str],
              doc_types: Sequence[str]) -> list[tuple[str, float]]:
        if limit <= 0:
            return []
        result = self.collection.query(
            query_embeddings=[vector], n_results=limit, where=chroma_where(services, doc_types),
            include=["distances"],
        )
        ids = result["ids"][0] if result["ids"] else []
        distances = (result.get("distances") or [[]])[0]
        pairs = [(i, 1.0 - float(d)) for i, d in zip(ids, distances, strict=False)]
        return [(i, s) for i, s in pairs if s >= DENSE_FLOOR]

    def reset(self) -> None:
        # absent already: chroma raises its own NotFound types
        with contextlib.suppress(Exception):
            self.client.delete_collection(COLLECTION)
        self.collection = self._open()

    def get_generation(self) -> str:
        meta = self.collection.metadata or {}
        return str(meta.get("oncall_generation", ""))

    def get_model(self) -> str:
        meta = self.collection.metadata or {}
        return str(meta.get("oncall_model", ""))

    def set_generation(self, value: str, model: str) -> None:
        self.collection.modify(metadata={"oncall_generation": value, "oncall_model": model})

    def everything(self) -> Any:
        return self.collection.get(include=["documents", "metadatas", "embeddings"])


class MemoryStore:
    """Vectors in a numpy matrix: for small, throwaway indexes (a scenario's knowledge/)."""

    def __init__(self, embedder: Embedder) -> None:
        import numpy as np

        self._np = np
        self.embedder = embedder
        self.ids: list[str] = []
        self.meta: list[Chunk] = []
        self.matrix = np.zeros((0, 384), dtype=np.float32)

    def upsert(self, chunks: Sequence[Chunk], file_sha: dict[str, str],
               progress: Callable[[int], None] | None = None,
               vectors: Any = None) -> None:
        np = self._np
        self.delete([c.id for c in chunks])
        if vectors is None:
            vectors = self.embedder.embed([c.embed_text() for c in chunks])
        vectors = np.asarray(vectors, dtype=np.float32)
        self.ids.extend(c.id for c in chunks)
        self.meta.extend(chunks)
        self.matrix = np.vstack([self.matrix, vectors]) if len(self.ids) > len(chunks) \
            else vectors
        if progress:
            progress(len(chunks))

    def delete(self, ids: Sequence[str]) -> None:
        drop = set(ids)
        keep = [n for n, i in enumerate(self.ids) if i not in drop]
        if len(keep) != len(self.ids):
            self.ids = [self.ids[n] for n in keep]
            self.meta = [self.meta[n] for n in keep]
            self.matrix = self.matrix[keep]

    def query(self, vector: Any, limit: int, services: Sequence[str],
              doc_types: Sequence[str]) -> list[tuple[str, float]]:
        if not self.ids:
            return []
        scores = self.matrix @ vector
        order = self._np.argsort(-scores)
        out: list[tuple[str, float]] = []
        for n in order:
            chunk = self.meta[n]
            if doc_types and chunk.doc_type not in doc_types:
                continue
            if services and chunk.services and not set(chunk.services) & set(services):
                continue
            if float(scores[n]) < DENSE_FLOOR:
                break
            out.append((self.ids[n], float(scores[n])))
            if len(out) >= limit:
                break
        return out

    def reset(self) -> None:
        self.ids, self.meta = [], []
        self.matrix = self._np.zeros((0, 384), dtype=self._np.float32)


def chroma_settings() -> Any:
    from chromadb.config import Settings

    return Settings(anonymized_telemetry=False)


def open_chroma(index_dir: Path, embedder: Embedder | None,
                url: str | None = None) -> ChromaStore:
    """A persistent client under `index_dir/chroma`, or an HTTP client for `url`."""
    os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
    import chromadb

    if url:
        host, port, ssl = parse_url(url)
        try:
            client = chromadb.HttpClient(host=host, port=port, ssl=ssl, settings=chroma_settings())
            client.heartbeat()
        except Exception as exc:  # connection refused, bad TLS, a proxy page
            raise InputError(URL_ENV, f"cannot reach chroma at {url} "
                             f"({type(exc).__name__}: {_first_line(exc)})") from None
        return ChromaStore(client, embedder, url)
    path = index_dir / "chroma"
    path.mkdir(parents=True, exist_ok=True)
    client = chromadb.PersistentClient(path=str(path), settings=chroma_settings())
    return ChromaStore(client, embedder, str(path))


def parse_url(url: str) -> tuple[str, int, bool]:
    parts = urlsplit(url if "://" in url else f"http://{url}")
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InputError(URL_ENV, f"expected http(s)://HOST:PORT, got {url!r}")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 8000)
    except ValueError:
        raise InputError(URL_ENV, f"bad port in {url!r}") from None
    return parts.hostname, port, parts.scheme == "https"


def _first_line(exc: Exception) -> str:
    text = str(exc).strip()
    return text.splitlines()[0][:200] if text else ""
