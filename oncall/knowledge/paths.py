"""Where the index and the embedding model live on disk (XDG base directories)."""

from __future__ import annotations

import os
from pathlib import Path

from oncall.xdg import data_dir

MODEL_NAME = "all-MiniLM-L6-v2"


def default_index_dir() -> Path:
    return data_dir() / "index"


def default_model_dir() -> Path:
    """`$ONCALL_MODEL_DIR` when set, else `<data dir>/models`."""
    override = os.environ.get("ONCALL_MODEL_DIR")
    return Path(override) if override else data_dir() / "models"


__all__ = ["MODEL_NAME", "data_dir", "default_index_dir", "default_model_dir",
           "model_files_dir"]


def model_files_dir(root: Path | None = None) -> Path:
    """The folder with model.onnx and the tokenizer files.

    Laid out as `<root>/all-MiniLM-L6-v2/onnx/`, which is where chroma's built-in
    `ONNXMiniLM_L6_V2` looks once its `DOWNLOAD_PATH` is pointed at `<root>/all-MiniLM-L6-v2`.
    """
    return (root or default_model_dir()) / MODEL_NAME / "onnx"
