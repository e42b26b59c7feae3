"""`oncall postmortem`: a resolved incident becomes a past-incident record triage finds."""

from __future__ import annotations

import json
from pathlib import Path

import yaml
from typer.testing import CliRunner

from oncall.cli.main import app
from oncall.knowledge.postmortem import Outcome, build_record
from oncall.sources.knowledge import load_knowledge_dir
from tests.helpers import EXAMPLES

runner = CliRunner()

INCIDENT = {
    "id": "inc-1", "title": "HighErrorRate: likely bad deploy on ledger",
    "narrative": "Since 14:33Z ledger fails.", "started_at": "2026-05-06T14:33:00Z",
    "alerts": ["a1", "a2"], "alertnames": ["HighErrorRate"], "services": ["transfers"],
    "impact": {"tier": 1, "summary": "tier 1; 8 min"},
    "hypotheses": [{"service": "ledger", "change": "dep-1", "kind": "deploy", "pod": None,
                    "score": 0.8, "evidence": ["change dep-1 landed 2 min before"]}],
}


def _front(text: str) -> dict[str, object]:
    return dict(yaml.safe_load(text.split("---\n")[1]))


def test_the_record_carries_cause_resolution_and_labels_for_retrieval() -> None:
    record = build_record(INCIDENT, Outcome("Rolled back dep-1", ["rollback ledger"]),
                          "s", "2026-05-06T14:41:00Z")
    front = _front(record.text)
    assert record.id == "INC-2026-05-06-inc-1" and record.filename == "INC-2026-05-06-inc-1.md"
    assert front["type"] == "incident" and front["services"] == ["ledger", "transfers"]
    assert front["alerts"] == ["HighErrorRate"] and front["tags"] == ["deploy", "postmortem"]
    assert front["root_cause"] == "deploy on ledger (change dep-1)"
    assert "- rollback ledger" in record.text and "Verified: signals back" in record.text


def test_a_corrected_cause_wins_and_the_miss_is_recorded() -> None:
    outcome = Outcome("Raised the pool", root_cause="payments-db pool exhausted by a batch job",
                      kind="capacity", verified=False)
    record = build_record(INCIDENT, outcome, "s", "2026-05-06T14:41:00Z")
    front = _front(record.text)
    assert front["root_cause"] == "payments-db pool exhausted by a batch job"
    assert front["tags"] == ["capacity", "postmortem"]
    assert "oncall ranked first: deploy on ledger" in record.text
    assert "Not verified" in record.text


def test_the_learning_loop_end_to_end(tmp_path: Path) -> None:
    saved = tmp_path / "triage.json"
    first = runner.invoke(app, ["triage", str(EXAMPLES / "bad-deploy-5xx"), "--format", "json"])
    saved.write_text(first.stdout)
    incident_id = json.loads(first.stdout)["incidents"][0]["id"]
    idx, out = tmp_path / "idx", tmp_path / "kb" / "incidents"
    result = runner.invoke(app, ["postmortem", str(saved), "-r", "Rolled the release back",
                                 "-a", "rollback ledger", "--out", str(out), "--index",
                                 str(idx), "--lexical"])
    assert result.exit_code == 0, result.stderr
    record_id = f"INC-{json.loads(first.stdout)['incidents'][0]['started_at'][:10]}-{incident_id}"
    assert [d.id for d in load_knowledge_dir(tmp_path / "kb")] == [record_id]

    again = runner.invoke(app, ["triage", str(EXAMPLES / "bad-deploy-5xx"), "--format",
                                "json", "--index", str(idx), "--lexical"])
    hits = [r["id"] for r in json.loads(again.stdout)["incidents"][0]["runbooks"]]
    assert record_id in hits

    twice = runner.invoke(app, ["postmortem", str(saved), "-r", "x", "--out", str(out),
                                "--no-index"])
    assert twice.exit_code == 2 and "already exists" in twice.stderr


def test_bad_input_is_one_line_and_exit_2(tmp_path: Path) -> None:
    broken = tmp_path / "t.json"
    broken.write_text("{not json")
    cases = [
        ([str(broken), "-r", "x"], "invalid JSON"),
        ([str(tmp_path / "none.json"), "-r", "x"], "no such file"),
    ]
    good = tmp_path / "good.json"
    good.write_text(json.dumps({"incidents": [INCIDENT]}))
    cases += [
        ([str(good), "-r", "x", "-i", "nope"], "no incident 'nope'"),
        ([str(good), "-r", "x", "-a", "reboot-the-world now"], "--action"),
        ([str(good), "-r", "x", "--kind", "gremlins", "--root-cause", "y"], "gremlins"),
        ([str(good), "-r", "  "], "--resolution"),
        ([str(good), "-r", "x", "--resolved-at", "yesterday"], "RFC 3339"),
    ]
    for args, needle in cases:
        result = runner.invoke(app, ["postmortem", *args, "--out", str(tmp_path / "o"),
                                     "--no-index"])
        assert result.exit_code == 2, (args, result.stdout)
        assert needle in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "o").exists()
