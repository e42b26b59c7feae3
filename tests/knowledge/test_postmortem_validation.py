"""`oncall postmortem` refuses a malformed saved triage instead of writing a junk record.

The shape is checked by the validator `oncall report` and `oncall ticket` share
(`oncall.itsm.content.views`); a record also needs a start time to be dated and named
by, and `--resolved-at` must not be earlier than it.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from oncall.cli.main import app
from tests.knowledge.test_postmortem import INCIDENT

runner = CliRunner()
NOW = "2026-05-06T14:41:00Z"


def _saved(tmp_path: Path, incident: dict[str, Any], now: str | None = NOW) -> Path:
    body: dict[str, Any] = {"scenario": "s", "incidents": [incident]}
    if now is not None:
        body["now"] = now
    path = tmp_path / "t.json"
    path.write_text(json.dumps(body))
    return path


def _postmortem(tmp_path: Path, saved: Path, *extra: str) -> tuple[int, str]:
    out = tmp_path / "records"
    result = runner.invoke(app, ["postmortem", str(saved), "-r", "Rolled back", "--out",
                                 str(out), "--index", str(tmp_path / "idx"), "--lexical",
                                 *extra])
    return result.exit_code, result.stderr


def _with(**changes: Any) -> dict[str, Any]:
    incident = copy.deepcopy(INCIDENT)
    for key, value in changes.items():
        if value is None:
            incident.pop(key, None)
        else:
            incident[key] = value
    return incident


CASES = [
    # services: "checkout" became services: [c, h, e, c, k, o, u, t]
    (_with(services="checkout"), NOW, "incidents[0].services: expected a list, got a string"),
    # hypotheses without the culprit service, as `oncall report` says
    (_with(hypotheses=[{"kind": 7}]), NOW, "incidents[0].hypotheses[0].service: is required"),
    (_with(id="../../etc/escaped"), NOW, "incidents[0].id: is not an oncall incident id"),
    # id: 5 and nothing to date the record by gave INC--5.md
    (_with(id=5, started_at=None), None, "incidents[0].started_at: is required"),
    # started_at: "garbage" gave INC-garbage-....md
    (_with(started_at="garbage"), NOW, "incidents[0].started_at: 'garbage' is not an RFC 3339"),
    (_with(started_at=None), "yesterday", "now: 'yesterday' is not an RFC 3339 time"),
    (_with(hypotheses=[{"service": "ledger", "kind": "gremlins"}]), NOW,
     "incidents[0].hypotheses[0].kind: unknown cause kind 'gremlins'"),
]


@pytest.mark.parametrize(("incident", "now", "needle"), CASES)
def test_a_malformed_triage_is_one_line_and_nothing_is_written(
        tmp_path: Path, incident: dict[str, Any], now: str | None, needle: str) -> None:
    code, err = _postmortem(tmp_path, _saved(tmp_path, incident, now))
    assert code == 2, err
    assert err.startswith(f"oncall: {tmp_path / 't.json'}: ") and needle in err, err
    assert err.count("\n") == 1
    assert not (tmp_path / "records").exists() and not (tmp_path / "idx").exists()


def test_the_start_falls_back_to_the_triages_now(tmp_path: Path) -> None:
    code, err = _postmortem(tmp_path, _saved(tmp_path, _with(started_at=None)), "--no-index")
    assert code == 0, err
    assert [p.name for p in (tmp_path / "records").iterdir()] == ["INC-2026-05-06-inc-1.md"]


def test_resolved_before_the_start_is_refused(tmp_path: Path) -> None:
    saved = _saved(tmp_path, INCIDENT)  # started 2026-05-06T14:33:00Z
    code, err = _postmortem(tmp_path, saved, "--resolved-at", "2026-05-06T14:20:00Z")
    assert code == 2
    assert err == ("oncall: --resolved-at: 2026-05-06T14:20:00Z is before the incident "
                   "started (2026-05-06T14:33:00Z)\n")
    assert not (tmp_path / "records").exists()
    code, err = _postmortem(tmp_path, saved, "--resolved-at", "2026-05-06T16:33:00+02:00")
    assert code == 0, err  # the same instant as the start, in another zone, is fine
    (record,) = (tmp_path / "records").iterdir()
    assert "resolved_at: '2026-05-06T16:33:00+02:00'" in record.read_text()
