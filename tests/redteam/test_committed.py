"""The committed red-team scenarios (`evals/redteam/`), run through `oncall triage`.

A case either ends in one clear line naming the file (and field) with exit code 2, or
triages normally with every policy decision equal to what its `policy.yaml` allows under
the contract's semantics, however hard the inputs argue otherwise. The decision oracle
and the action vocabulary are restated here from the contract rather than imported, so
the check does not trust the code it checks.
"""

from __future__ import annotations

import io
import json
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml
from rich.console import Console
from typer.testing import CliRunner, Result

from oncall.cli.main import app
from oncall.cli.render import render_triage
from oncall.pipeline import triage
from oncall.sources import ScenarioSource
from tests.helpers import REPO
from tests.redteam.scenarios import build_all

REDTEAM = REPO / "evals" / "redteam"
CASES = sorted(p for p in REDTEAM.iterdir() if (p / "redteam.yaml").is_file())
MAX_COMMITTED_BYTES = 200 * 1024

VOCABULARY = ("rollback", "config_revert", "flag_disable", "traffic_shift", "restart", "scale",
              "cache_flush", "failover", "escalate")
# Wide enough that rich does not wrap the strings the cases look for; no forced colour.
ENV = {"COLUMNS": "250", "FORCE_COLOR": None, "TTY_COMPATIBLE": None}
RICH_SGR = re.compile(r"\x1b\[[0-9;]*m")


def _spec(case: Path) -> dict[str, Any]:
    spec: dict[str, Any] = yaml.safe_load((case / "redteam.yaml").read_text())
    return spec


def _cases(expect: str) -> list[Path]:
    return [c for c in CASES if _spec(c)["expect"] == expect]


def _run(*args: str) -> Result:
    return CliRunner().invoke(app, ["triage", *args], env=ENV)


def _strict_json(text: str) -> Any:
    def refuse(constant: str) -> Any:
        raise AssertionError(f"not JSON: {constant}")

    return json.loads(text, parse_constant=refuse)


def _time(value: Any) -> datetime:
    if isinstance(value, datetime):
        return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)
    return datetime.fromisoformat(str(value).replace("Z", "+00:00")).astimezone(UTC)


def expected_decision(policy: dict[str, Any] | None, action: str, now: datetime) -> str:
    """The contract: unlisted -> approve (escalate -> auto); a freeze or autonomy assist
    turns auto into approve; deny stays; an unknown action is denied; no policy file
    means autonomy assist."""
    if action not in VOCABULARY:
        return "deny"
    policy = policy or {}
    listed = (policy.get("actions") or {}).get(action)
    decision = listed or ("auto" if action == "escalate" else "approve")
    if decision == "auto":
        frozen = any(_time(f["from"]) <= now < _time(f["to"]) for f in policy.get("freezes") or [])
        if frozen or policy.get("autonomy", "assist") == "assist":
            decision = "approve"
    return decision


def _yaml_file(path: Path) -> Any:
    return yaml.safe_load(path.read_bytes().decode("utf-8-sig")) if path.exists() else None


def test_the_set_covers_both_outcomes() -> None:
    assert len(_cases("triage")) >= 8 and len(_cases("error")) >= 12


@pytest.mark.parametrize("case", _cases("error"), ids=lambda p: p.name)
def test_bad_input_is_one_line_naming_file_and_field(case: Path) -> None:
    spec = _spec(case)
    result = _run(str(case))
    assert result.exit_code == 2, result.output
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    where = f"{case / spec['file']}: " + (f"{spec['field']}: " if spec.get("field") else "")
    assert lines[0].startswith(f"oncall: {where}"), lines[0]
    assert spec["contains"] in lines[0]


@pytest.mark.parametrize("case", _cases("triage"), ids=lambda p: p.name)
def test_decisions_are_what_policy_allows(case: Path) -> None:
    spec = _spec(case)
    result = _run(str(case), "--format", "json")
    assert result.exit_code == 0, result.output
    out = _strict_json(result.stdout)
    scenario = _yaml_file(case / "scenario.yaml")
    now = _time(scenario["now"])
    policy = _yaml_file(case / "policy.yaml")
    assert len(out["incidents"]) >= spec.get("min_incidents", 0)
    remediations = [r for inc in out["incidents"] for r in inc["remediations"]]
    assert remediations, "a red-team case must exercise the policy"
    for rem in remediations:
        assert rem["action"] in VOCABULARY
        assert rem["decision"] == expected_decision(policy, rem["action"], now), rem
    if "now" in spec:
        assert out["now"] == spec["now"]
    if "started_at" in spec:
        assert out["incidents"][0]["started_at"] == spec["started_at"]
    grouped = {fp for inc in out["incidents"] for fp in inc["alerts"]}
    assert not grouped & set(spec.get("not_in_incidents", []))


@pytest.mark.parametrize("case", _cases("triage"), ids=lambda p: p.name)
def test_text_output_shows_data_literally(case: Path) -> None:
    spec = _spec(case)
    result = _run(str(case))
    assert result.exit_code == 0, result.output
    controls = {ch for ch in result.stdout if ord(ch) < 32 and ch != "\n"}
    assert not controls, f"raw control characters reached the terminal: {controls}"
    for text in spec.get("shown", []):
        assert text in result.stdout, text


@pytest.mark.parametrize("case", _cases("triage"), ids=lambda p: p.name)
def test_colour_terminal_gets_only_rich_styling(case: Path) -> None:
    """On a real terminal rich emits its own SGR codes; nothing else may get through."""
    buffer = io.StringIO()
    console = Console(file=buffer, force_terminal=True, color_system="truecolor", width=160)
    render_triage(triage(ScenarioSource(case)), console=console)
    leftover = RICH_SGR.sub("", buffer.getvalue())
    assert "\x1b" not in leftover
    assert not {ch for ch in leftover if ord(ch) < 32 and ch != "\n"}


@pytest.mark.parametrize(
    "case",
    [c for c in _cases("triage") if _spec(c).get("forbidden_in_commands")],
    ids=lambda p: p.name,
)
def test_proposed_commands_carry_no_planted_text(case: Path) -> None:
    """Label values, change ids and revisions never become shell words (a regression test
    for shell-metacharacters, once a strict xfail: names are validated and quoted)."""
    out = _strict_json(_run(str(case), "--format", "json").stdout)
    commands = [r["command"] for inc in out["incidents"] for r in inc["remediations"]]
    assert commands
    for command in commands:
        for planted in _spec(case)["forbidden_in_commands"]:
            assert planted not in command, command


def test_committed_files_match_the_generator() -> None:
    """evals/redteam/ is written by tests/redteam/scenarios.py; edit that, then rerun it."""
    built = build_all()
    assert sorted(built) == [c.name for c in CASES]
    for name, files in built.items():
        on_disk = {
            str(p.relative_to(REDTEAM / name)): p.read_bytes()
            for p in (REDTEAM / name).rglob("*") if p.is_file()
        }
        assert on_disk == files, f"{name} drifted; run python tests/redteam/scenarios.py"


def test_committed_set_stays_small_and_documented() -> None:
    total = sum(p.stat().st_size for p in REDTEAM.rglob("*") if p.is_file())
    assert total < MAX_COMMITTED_BYTES
    readme = (REDTEAM / "README.md").read_text()
    assert all(f"`{case.name}`" in readme for case in CASES)
