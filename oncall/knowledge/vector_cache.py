"""Remembers the vectors of texts already embedded, keyed by model and text hash.

Triage re-reads a scenario's `knowledge/` folder on every run and puts it in a
throwaway index; embedding a dozen runbooks costs seconds on two cores while the same
text never changes between runs. The cache is one SQLite file in the user's data
directory. It is an optimisation only: when the file cannot be opened or written the
embedder runs uncached, and a corrupt row is simply embedded again.
"""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path
from typing import TYPE_CHECKING

from oncall.knowledge.embed import DIMENSIONS, Embedder
from oncall.knowledge.paths import data_dir

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

_SCHEMA = "CREATE TABLE IF NOT EXISTS vectors (key TEXT PRIMARY KEY, vector BLOB NOT NULL)"


def default_cache_path() -> Path:
    return data_dir() / "cache" / "vectors.sqlite3"


class CachedEmbedder:
    """An `Embedder` that asks `inner` only for texts it has not seen with this model."""

    def __init__(self, inner: Embedder, path: Path | None = None) -> None:
        self.inner = inner
        self.files = inner.files
        self.fingerprint = inner.fingerprint
        self._db = _open(path or default_cache_path())

    def embed(self, texts: list[str]) -> npt.NDArray[np.float32]:
        import numpy as np

        if self._db is None:
            return self.inner.embed(texts)
        keys = [self._key(t) for t in texts]
        found = self._lookup(set(keys))
        missing = [i for i, k in enumerate(keys) if k not in found]
        out = np.zeros((len(texts), DIMENSIONS), dtype=np.float32)
        if missing:
            fresh = self.inner.embed([texts[i] for i in missing])
            for row, i in enumerate(missing):
                out[i] = fresh[row]
                found[keys[i]] = fresh[row]
            self._store({keys[i]: fresh[row] for row, i in enumerate(missing)})
        for i, key in enumerate(keys):
            if i not in missing:
                out[i] = found[key]
        return out

    def _key(self, text: str) -> str:
        # surrogatepass: a query that was not UTF-8 (lone surrogates) still has a key
        data = f"{self.fingerprint}\0{text}".encode("utf-8", "surrogatepass")
        return hashlib.sha256(data).hexdigest()

    def _lookup(self, keys: set[str]) -> dict[str, npt.NDArray[np.float32]]:
        import numpy as np

        found: dict[str, npt.NDArray[np.float32]] = {}
        if self._db is None or not keys:
            return found
        ordered = sorted(keys)
        try:
            for start in range(0, len(ordered), 500):
                part = ordered[start:start + 500]
                marks = ",".join("?" * len(part))
                rows = self._db.execute(
                    f"SELECT key, vector FROM vectors WHERE key IN ({marks})", part)
                for key, blob in rows:
                    vector = np.frombuffer(blob, dtype=np.float32)
                    if vector.shape == (DIMENSIONS,):
                        found[key] = vector
        except sqlite3.Error:
            return {}
        return found

    def _store(self, vectors: dict[str, npt.NDArray[np.float32]]) -> None:
        if self._db is None:
            return
        try:
            self._db.executemany(
                "INSERT OR REPLACE INTO vectors(key, vector) VALUES (?, ?)",
                [(k, v.astype("float32").tobytes()) for k, v in vectors.items()])
            self._db.commit()
        except sqlite3.Error:
            self._db = None


def _open(path: Path) -> sqlite3.Connection | None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        db = sqlite3.connect(path, timeout=2.0)
        db.execute(_SCHEMA)
        db.commit()
        return db
    except (OSError, sqlite3.Error):
        return None
