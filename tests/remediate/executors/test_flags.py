"""Feature flags: a flagd flag file edited atomically with a backup, or an HTTP service."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from oncall.remediate.executors import ActionRequest, Refused
from oncall.remediate.executors.config import FlagsConfig, HttpSettings
from oncall.remediate.executors.flags import FlagdFileExecutor, FlagServiceExecutor
from oncall.remediate.executors.http import Sender
from tests.remediate.fakes import Recorder

REQ = ActionRequest("flag_disable", "checkout", "inc-1")
FLAGS = {
    "$schema": "https://flagd.dev/schema/v0/flags.json",
    "flags": {
        "new-pricing": {"state": "ENABLED", "variants": {"on": True, "off": False},
                        "defaultVariant": "on",
                        "targeting": {"fractional": [["on", 50], ["off", 50]]}},
        "other": {"state": "ENABLED", "variants": {"on": True}, "defaultVariant": "on"},
    },
}


@pytest.fixture
def flag_file(tmp_path: Path) -> Path:
    path = tmp_path / "flags.json"
    path.write_text(json.dumps(FLAGS))
    path.chmod(0o640)
    return path


def make(path: Path, mode: str = "variant") -> FlagdFileExecutor:
    return FlagdFileExecutor(FlagsConfig({"checkout": "new-pricing"}, flagd_file=path,
                                         mode=mode))


def test_preview_writes_nothing(flag_file: Path) -> None:
    before = flag_file.read_bytes()
    preview = make(flag_file).preview(REQ)
    assert "defaultVariant 'on' -> 'off', targeting rules removed" in preview.call
    assert flag_file.read_bytes() == before
    assert list(flag_file.parent.iterdir()) == [flag_file]


def test_disable_then_undo_restores_the_exact_bytes(flag_file: Path) -> None:
    original = flag_file.read_bytes()
    ex = make(flag_file)
    result = ex.execute(REQ)
    doc = json.loads(flag_file.read_text())
    flag = doc["flags"]["new-pricing"]
    assert flag["defaultVariant"] == "off" and "targeting" not in flag
    assert doc["flags"]["other"] == FLAGS["flags"]["other"]
    assert Path(result.state["backup"]).read_bytes() == original
    assert flag_file.stat().st_mode & 0o777 == 0o640
    ex.undo(REQ, result)
    assert flag_file.read_bytes() == original


def test_undo_refuses_to_clobber_a_later_edit(flag_file: Path) -> None:
    ex = make(flag_file)
    result = ex.execute(REQ)
    flag_file.write_text(flag_file.read_text().replace('"other"', '"other2"'))
    with pytest.raises(Refused, match="changed since"):
        ex.undo(REQ, result)
    assert '"other2"' in flag_file.read_text()


def test_state_mode_disables_the_flag(flag_file: Path) -> None:
    make(flag_file, mode="state").execute(REQ)
    assert json.loads(flag_file.read_text())["flags"]["new-pricing"]["state"] == "DISABLED"


def test_unknown_flag_missing_variant_and_unmapped_service_are_refused(flag_file: Path) -> None:
    with pytest.raises(Refused, match="defines no flag"):
        FlagdFileExecutor(FlagsConfig({"checkout": "nope"}, flagd_file=flag_file)).preview(REQ)
    with pytest.raises(Refused, match="no variant 'off'"):
        FlagdFileExecutor(FlagsConfig({"checkout": "other"}, flagd_file=flag_file)).preview(REQ)
    with pytest.raises(Refused, match="no flag configured"):
        make(flag_file).preview(ActionRequest("flag_disable", "payments", "inc-1"))


def test_the_http_flag_service_is_read_then_put_and_restored() -> None:
    flag = {"key": "new-pricing", "enabled": True, "rollout": 30}
    rec = Recorder({("GET", "/flags/new-pricing"): flag, ("PUT", "/flags/new-pricing"): {}})
    settings = HttpSettings("https://flags.example.test")
    ex = FlagServiceExecutor(FlagsConfig({"checkout": "new-pricing"}, http=settings),
                             Sender(rec.client(settings.url), "flags", settings))
    preview = ex.preview(REQ)
    assert preview.dry_run_ok is None and rec.bodies("PUT") == []
    result = ex.execute(REQ)
    ex.undo(REQ, result)
    assert rec.bodies("PUT") == [{**flag, "enabled": False}, flag]
