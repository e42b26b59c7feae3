"""Start-up stays light: heavy libraries load only in the commands that need them."""

from __future__ import annotations

import subprocess
import sys

HEAVY = ("litellm", "chromadb", "textual", "onnxruntime", "torch")


def _loaded_after(code: str) -> list[str]:
    probe = (
        f"import sys\n{code}\n"
        f"print(','.join(m for m in {HEAVY!r} if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                         check=True)
    return [m for m in out.stdout.strip().split(",") if m]


def test_importing_the_cli_loads_no_heavy_library() -> None:
    assert _loaded_after("import oncall.cli.main") == []


def test_a_triage_run_loads_no_heavy_library(tmp_path) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "scenario.yaml").write_text("name: t\nnow: 2026-03-14T02:19:00Z\n")
    (tmp_path / "alerts.json").write_text("[]")
    code = (
        "from typer.testing import CliRunner\nfrom oncall.cli.main import app\n"
        f"r = CliRunner().invoke(app, ['triage', {str(tmp_path)!r}])\nassert r.exit_code == 0"
    )
    assert _loaded_after(code) == []
