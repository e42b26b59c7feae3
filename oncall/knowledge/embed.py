"""Sentence embeddings through onnxruntime: dynamic padding, mean pooling, L2 norm.

This is what sentence-transformers computes for all-MiniLM-L6-v2 (truncate at 256
word pieces, mean of the token vectors under the attention mask, unit length), without
torch at run time. Unlike chroma's built-in function, which pads every input to 256
tokens, a batch is padded only to its longest member, and inputs are batched by length
so a short query or a short section costs what it is.

Two builds of the same model can be installed side by side: `model.onnx` (float32, what
torch computes) and `model_int8.onnx` (its MatMul weights quantized to int8 per channel by
`oncall model install`). int8 is the default because benchmarks/retrieval.py shows the
same recall@3 at about 1.6x the throughput; `ONCALL_MODEL_VARIANT=fp32` picks the float
model. Vectors of the two differ slightly (cosine ~0.99), so each has its own
fingerprint and an index never mixes them.

onnxruntime, tokenizers and numpy are imported when an embedder is built, never at
`import oncall...` time.
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections import OrderedDict
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from oncall.errors import InputError
from oncall.knowledge.base import utf8_text
from oncall.knowledge.onnx_export import (
    INT8_FILE,
    MANIFEST,
    MODEL_FILE,
    TOKENIZER_FILES,
    read_manifest,
)
from oncall.knowledge.paths import MODEL_NAME, model_files_dir

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

MAX_TOKENS = 256
DIMENSIONS = 384
VARIANT_ENV = "ONCALL_MODEL_VARIANT"
VARIANTS = {"int8": INT8_FILE, "fp32": MODEL_FILE}
DEFAULT_VARIANT = "int8"
QUERY_CACHE = 256  # single-text embeddings kept per embedder (a query is often asked twice)


def find_model(root: Path | None = None) -> Path | None:
    """The installed model folder, or None when `oncall model install` has not run."""
    files = model_files_dir(root)
    if not (files / "model.onnx").is_file():
        return None
    if not all((files / name).is_file() for name in ("tokenizer.json",)):
        return None
    return files


def choose_variant(files: Path, requested: str | None = None) -> str:
    """`requested`, else `$ONCALL_MODEL_VARIANT`, else int8 when it is installed."""
    wanted = requested or os.environ.get(VARIANT_ENV) or ""
    if wanted and wanted not in VARIANTS:
        raise InputError(VARIANT_ENV, f"unknown model variant {wanted!r} "
                         f"(expected one of {', '.join(sorted(VARIANTS))})")
    if wanted:
        if not (files / VARIANTS[wanted]).is_file():
            raise InputError(VARIANT_ENV, f"{files / VARIANTS[wanted]} is not installed; "
                             "run `oncall model install`")
        return wanted
    return DEFAULT_VARIANT if (files / VARIANTS[DEFAULT_VARIANT]).is_file() else "fp32"


def model_fingerprint(files: Path, variant: str = "fp32") -> str:
    """Identifies the vectors a model makes: changing the model file invalidates an index.

    The float model keeps the name indexes built before int8 existed carry."""
    manifest = read_manifest(files) or {}
    key = "sha256" if variant == "fp32" else f"{variant}_sha256"
    digest = str(manifest.get(key) or "")
    if not digest:
        digest = hashlib.sha256((files / VARIANTS[variant]).read_bytes()).hexdigest()
    name = MODEL_NAME if variant == "fp32" else f"{MODEL_NAME}-{variant}"
    return f"{name}:{digest[:16]}"


class Embedder(Protocol):
    """What the index needs from a model: unit vectors and a name for them."""

    files: Path
    fingerprint: str

    def embed(self, texts: list[str]) -> npt.NDArray[np.float32]: ...


class OnnxEmbedder:
    """Embeds text with the model in `files` (see `oncall model install`).

    `variant` is "int8" or "fp32" (default: `choose_variant`). The session runs
    sequentially on `threads` intra-op threads (0: one per physical core, which is what
    a 2-core machine wants), without spinning; a query embedding is cached, since
    triage asks the same text of several indexes."""

    def __init__(self, files: Path, threads: int = 0, batch_size: int = 32,
                 variant: str | None = None, model_path: Path | None = None) -> None:
        import numpy as np
        import onnxruntime as ort
        from tokenizers import Tokenizer

        self.files = files
        self.batch_size = batch_size
        # model_path: a build of `variant` being checked before it is renamed into place
        self.variant = variant if model_path and variant else choose_variant(files, variant)
        installed = files / VARIANTS[self.variant]
        model_path = model_path or installed
        self._np = np
        tokenizer = Tokenizer.from_file(str(files / "tokenizer.json"))
        tokenizer.enable_truncation(max_length=MAX_TOKENS)
        tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")  # to the longest in a batch
        self._tokenizer = tokenizer
        options = ort.SessionOptions()
        options.log_severity_level = 3
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        options.inter_op_num_threads = 1
        # Idle workers sleep instead of spinning: between two runs the same process
        # scans vectors and BM25 postings, and on two cores a spinning pool takes the
        # core it needs (measured: query embedding p50 13 -> 7 ms on a busy machine).
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        if threads:
            options.intra_op_num_threads = threads
        self._session = ort.InferenceSession(str(model_path), sess_options=options,
                                             providers=["CPUExecutionProvider"])
        self._inputs = {i.name for i in self._session.get_inputs()}
        self._lock = threading.Lock()
        self._queries: OrderedDict[str, npt.NDArray[np.float32]] = OrderedDict()
        self.fingerprint = model_fingerprint(files, self.variant) if model_path == installed \
            else f"unchecked:{model_path.name}"

    def embed(self, texts: list[str]) -> npt.NDArray[np.float32]:
        """Unit vectors, one row per text, in input order."""
        np = self._np
        if len(texts) == 1:
            return self._embed_one(texts[0])
        out = np.zeros((len(texts), DIMENSIONS), dtype=np.float32)
        if not texts:
            return out
        # Batch by length: padding costs what the longest member of a batch costs.
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        for start in range(0, len(order), self.batch_size):
            idx = order[start:start + self.batch_size]
            out[idx] = self._forward([texts[i] for i in idx])
        return out

    def _embed_one(self, text: str) -> npt.NDArray[np.float32]:
        """One text (a query, mostly), through a small LRU cache."""
        with self._lock:
            hit = self._queries.get(text)
            if hit is not None:
                self._queries.move_to_end(text)
        if hit is None:
            hit = self._forward([text])
            hit.setflags(write=False)  # shared by every caller that asks again
            with self._lock:
                self._queries[text] = hit
                while len(self._queries) > QUERY_CACHE:
                    self._queries.popitem(last=False)
        return hit

    def _forward(self, batch: list[str]) -> npt.NDArray[np.float32]:
        np = self._np
        # The tokenizer takes only what encodes as UTF-8: a query from argv that was not
        # UTF-8 arrives with surrogate escapes, and it must not end a search or a triage.
        texts = [utf8_text(t if isinstance(t, str) else str(t)) for t in batch]
        with self._lock:  # the tokenizer's padding settings are shared state
            encoded = self._tokenizer.encode_batch(texts)
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
_BROKEN: set[str] = set()  # models that failed to load in this process


def load_embedder(root: Path | None = None,
                  variant: str | None = None) -> OnnxEmbedder | None:
    """The installed model's embedder (one per process and variant), or None.

    None also when the model files are there but cannot be loaded (truncated, corrupt,
    built by an incompatible onnxruntime): searching goes on by BM25, as without a model,
    and says once why and how to repair it. A page is never blocked by the model."""
    files = find_model(root)
    if files is None:
        return None
    chosen = choose_variant(files, variant)
    key = f"{files.resolve()}\0{chosen}"
    if key in _BROKEN:
        return None
    if key not in _CACHE:
        try:
            _CACHE[key] = OnnxEmbedder(files, variant=chosen)
        except Exception as exc:  # onnxruntime and tokenizers raise their own types
            from oncall.knowledge.hybrid import note_once

            _BROKEN.add(key)
            reason = " ".join(str(exc).split())[:160] or type(exc).__name__
            note_once(f"the embedding model in {files} cannot be loaded ({reason}); ranking "
                      "by BM25 only (run `oncall model install --force` to rebuild it)")
            return None
    return _CACHE[key]


class _LazyEmbedder:
    """Loads model files on first use (chroma rebuilds functions from stored config)."""

    def __init__(self, files: Path, variant: str | None = None) -> None:
        self.files = files
        self.variant = variant
        self.fingerprint = ""
        self._inner: OnnxEmbedder | None = None

    def embed(self, texts: list[str]) -> npt.NDArray[np.float32]:
        if self._inner is None:
            self._inner = OnnxEmbedder(self.files, variant=self.variant)
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
            variant = getattr(self._inner, "variant", None)
            return {"files": str(self._inner.files), **({"variant": variant} if variant else {})}

        @staticmethod
        def build_from_config(config: dict[str, Any]) -> Any:
            variant = config.get("variant")
            return OncallOnnxEmbeddingFunction(_LazyEmbedder(
                Path(str(config.get("files"))), str(variant) if variant else None))

    return OncallOnnxEmbeddingFunction


def chroma_builtin_function(root: Path | None = None) -> Any:
    """Chroma's own `ONNXMiniLM_L6_V2`, pointed at the locally built files (no download)."""
    files = find_model(root)
    if files is None:
        return None
    from chromadb.utils.embedding_functions import ONNXMiniLM_L6_V2

    missing = [n for n in (*TOKENIZER_FILES, MODEL_FILE) if not (files / n).is_file()]
    if missing:
        return None
    ef = ONNXMiniLM_L6_V2(preferred_providers=["CPUExecutionProvider"])
    ef.DOWNLOAD_PATH = files.parent
    return ef


__all__ = [
    "MANIFEST",
    "Embedder",
    "OnnxEmbedder",
    "choose_variant",
    "chroma_builtin_function",
    "find_model",
    "load_embedder",
]
