"""litellm loads only when a call is about to be made, with the local cost map set first."""

from __future__ import annotations

import os
import subprocess
import sys


def _probe(code: str) -> str:
    env = {k: v for k, v in os.environ.items() if k != "LITELLM_LOCAL_MODEL_COST_MAP"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, env=env, timeout=120)
    return out.stdout.strip()


def test_importing_every_llm_module_loads_no_litellm() -> None:
    code = (
        "import sys\n"
        "import oncall.cli.ask, oncall.llm.assist, oncall.llm.ask, oncall.llm.gather\n"
        "import oncall.llm.client, oncall.llm.show, oncall.llm.rerank\n"
        "print('litellm' in sys.modules)"
    )
    assert _probe(code) == "False"


def test_the_local_cost_map_is_set_before_litellm_is_imported() -> None:
    code = (
        "import os, sys\n"
        "from oncall.llm.client import _litellm\n"
        "assert 'LITELLM_LOCAL_MODEL_COST_MAP' not in os.environ\n"
        "module = _litellm()\n"
        "print(os.environ['LITELLM_LOCAL_MODEL_COST_MAP'], 'litellm' in sys.modules)"
    )
    assert _probe(code) == "True True"
