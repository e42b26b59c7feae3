"""Sentence embeddings through onnxruntime: dynamic padding, mean pooling, L2 norm.

This is what sentence-transformers computes for all-MiniLM-L6-v2 (truncate at 256
word pieces, mean of the token vectors under the attention mask, unit length), without
torch at run time. Unlike chroma's built-in function, which pads every input to 256
tokens, a batch is padded only to its longest member, and inputs are batched by length
so a short query or a short section costs what it is.

onnxruntime, tokenizers and numpy are imported when an embedder is built, never at
`import oncall...` time.
"""

from __future__ import annotations

import hashlib
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from oncall.knowledge.onnx_export import MANIFEST, TOKENIZER_FILES, read_manifest
from oncall.knowledge.paths import MODEL_NAME, model_files_dir

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

MAX_TOKENS = 256
DIMENSIONS = 384


def find_model(root: Path | None = None) -> Path | None:
    """The installed model folder, or None when `oncall model install` has not run."""
    files = model_files_dir(root)
    if not (files / "model.onnx").is_file():
        return None
    if not all((files / name).is_file() for name in ("tokenizer.json",)):
        return None
    return files


def model_fingerprint(files: Path) -> str:
    """Identifies the vectors a model makes: changing model.onnx invalidates an index."""
    manifest = read_manifest(files)
    if manifest and manifest.get("sha256"):
        return f"{MODEL_NAME}:{str(manifest['sha256'])[:16]}"
    digest = hashlib.sha256((files / "model.onnx").read_bytes()).hexdigest()
    return f"{MODEL_NAME}:{digest[:16]}"


class Embedder(Protocol):
    """What the index needs from a model: unit vectors and a name for them."""

    files: Path
    fingerprint: str

    def embed(self, texts: list[str]) -> npt.NDArray[np.float32]: ...


class OnnxEmbedder:
    """Embeds text with model.onnx in `files` (see `oncall model install`)."""

    def __init__(self, files: Path, threads: int = 0, batch_size: int = 32) -> None:
        import numpy as np
        import onnxruntime as ort
        from tokenizers import Tokenizer

        self.files = files
        self.batch_size = batch_size
        self._np = np
        tokenizer = Tokenizer.from_file(str(files / "tokenizer.json"))
        tokenizer.enable_truncation(max_length=MAX_TOKENS)
        tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")  # to the longest in a batch
        self._tokenizer = tokenizer
        options = ort.SessionOptions()
        options.log_severity_level = 3
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        if threads:
            options.intra_op_num_threads = threads
        self._session = ort.InferenceSession(str(files / "model.onnx"), sess_options=options,
                                             providers=["CPUExecutionProvider"])
        self._inputs = {i.name for i in self._session.get_inputs()}
        self._lock = threading.Lock()
        self.fingerprint = model_fingerprint(files)

    def embed(self, texts: list[str]) -> npt.NDArray[np.float32]:
        """Unit vectors, one row per text, in input order."""
        np = self._np
        out = np.zeros((len(texts), DIMENSIONS), dtype=np.float32)
        if not texts:
            return out
        # Batch by length: padding costs what the longest member of a batch costs.
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        for start in range(0, len(order), self.batch_size):
            idx = order[start:start + self.batch_size]
            out[idx] = self._forward([texts[i] for i in idx])
        return out

    def _forward(self, batch: list[str]) -> npt.NDArray[np.float32]:
        np = self._np
        with self._lock:  # the tokenizer's padding settings are shared state
            encoded = self._tokenizer.encode_batch(batch)
        ids = np.array([e.ids for e in encoded], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encoded], dtype=np.int64)
        feed = {"input_ids": ids, "attention_mask": mask}
        if "token_type_ids" in self._inputs:
            feed["token_type_ids"] = np.zeros_like(ids)
        hidden = self._session.run(None, feed)[0]
        weights = mask[:, :, None].astype(np.float32)
        pooled = (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        return (pooled / np.clip(norms, 1e-12, None)).astype(np.float32)


_CACHE: dict[str, OnnxEmbedder] = {}


def load_embedder(root: Path | None = None) -> OnnxEmbedder | None:
    """The installed model's embedder (one per process), or None without a model."""
    files = find_model(root)
    if files is None:
        return None
    key = str(files.resolve())
    if key not in _CACHE:
        _CACHE[key] = OnnxEmbedder(files)
    return _CACHE[key]


class _LazyEmbedder:
    """Loads model files on first use (chroma rebuilds functions from stored config)."""

    def __init__(self, files: Path) -> None:
        self.files = files
        self.fingerprint = ""
        self._inner: OnnxEmbedder | None = None

    def embed(self, texts: list[str]) -> npt.NDArray[np.float32]:
        if self._inner is None:
            self._inner = OnnxEmbedder(self.files)
            self.fingerprint = self._inner.fingerprint
        return self._inner.embed(texts)


_EF_CLASS: list[Any] = []


def chroma_embedding_function(embedder: Embedder) -> Any:
    """Wraps an embedder as a chromadb `EmbeddingFunction` (chroma imported here only).

    The class is made once per process: chroma registers it by name on first use."""
    if not _EF_CLASS:
        _EF_CLASS.append(_make_ef_class())
    return _EF_CLASS[0](embedder)


def _make_ef_class() -> Any:
    from chromadb.api.types import Documents, EmbeddingFunction, Embeddings

    class OncallOnnxEmbeddingFunction(EmbeddingFunction[Documents]):
        def __init__(self, inner: Embedder) -> None:
            self._inner = inner

        def __call__(self, input: Documents) -> Embeddings:
            return list(self._inner.embed(list(input)))

        @staticmethod
        def name() -> str:
            return "oncall_onnx_minilm"

        def default_space(self) -> Any:
            return "cosine"

        def supported_spaces(self) -> Any:
            return ["cosine"]

        def get_config(self) -> dict[str, Any]:
            return {"files": str(self._inner.files)}

        @staticmethod
        def build_from_config(config: dict[str, Any]) -> Any:
            return OncallOnnxEmbeddingFunction(_LazyEmbedder(Path(str(config.get("files")))))

    return OncallOnnxEmbeddingFunction


def chroma_builtin_function(root: Path | None = None) -> Any:
    """Chroma's own `ONNXMiniLM_L6_V2`, pointed at the locally built files (no download)."""
    files = find_model(root)
    if files is None:
        return None
    from chromadb.utils.embedding_functions import ONNXMiniLM_L6_V2

    missing = [n for n in (*TOKENIZER_FILES, "model.onnx") if not (files / n).is_file()]
    if missing:
        return None
    ef = ONNXMiniLM_L6_V2(preferred_providers=["CPUExecutionProvider"])
    ef.DOWNLOAD_PATH = files.parent
    return ef


__all__ = ["MANIFEST", "Embedder", "OnnxEmbedder", "chroma_builtin_function", "find_model",
           "load_embedder"]
