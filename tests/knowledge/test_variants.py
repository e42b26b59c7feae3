"""Which model build embeds: int8 when installed, `ONCALL_MODEL_VARIANT` to choose (no model
needed: only which files exist matters)."""

from __future__ import annotations

from pathlib import Path

import pytest

from oncall.errors import InputError
from oncall.knowledge.embed import VARIANT_ENV, choose_variant, model_fingerprint
from oncall.knowledge.onnx_export import INT8_FILE, MODEL_FILE


def _files(tmp_path: Path, *names: str) -> Path:
    for name in names:
        (tmp_path / name).write_bytes(name.encode())
    return tmp_path


def test_int8_is_chosen_when_installed_float_otherwise(tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(VARIANT_ENV, raising=False)
    only_float = tmp_path / "a"
    only_float.mkdir()
    assert choose_variant(_files(only_float, MODEL_FILE)) == "fp32"
    both = tmp_path / "b"
    both.mkdir()
    _files(both, MODEL_FILE, INT8_FILE)
    assert choose_variant(both) == "int8"
    monkeypatch.setenv(VARIANT_ENV, "fp32")
    assert choose_variant(both) == "fp32"
    assert choose_variant(both, "int8") == "int8"  # an explicit request wins


def test_unknown_or_missing_variants_are_user_errors(tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    _files(tmp_path, MODEL_FILE)
    monkeypatch.setenv(VARIANT_ENV, "fp16")
    with pytest.raises(InputError, match="unknown model variant 'fp16'"):
        choose_variant(tmp_path)
    monkeypatch.setenv(VARIANT_ENV, "int8")
    with pytest.raises(InputError, match=r"model_int8\.onnx is not installed"):
        choose_variant(tmp_path)


def test_each_build_has_its_own_fingerprint(tmp_path: Path) -> None:
    _files(tmp_path, MODEL_FILE, INT8_FILE)
    fp32, int8 = model_fingerprint(tmp_path, "fp32"), model_fingerprint(tmp_path, "int8")
    assert fp32.startswith("all-MiniLM-L6-v2:") and int8.startswith("all-MiniLM-L6-v2-int8:")
    assert fp32.split(":")[1] != int8.split(":")[1]
