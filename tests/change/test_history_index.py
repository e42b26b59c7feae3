"""The incident history read from the knowledge index when no record paths are given."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from oncall.change.history import indexed_sources, load_history
from oncall.cli.main import app
from oncall.knowledge.paths import default_index_dir
from oncall.knowledge.store import KnowledgeIndex
from tests.change.conftest import git, record

runner = CliRunner()
NOW = "2026-11-25T10:00:00Z"
CHANGE = "autonomy: change\napprovers: {min: 1, groups: ['group:sre']}\n"


def _index(tmp_path: Path, *paths: Path) -> Path:
    index = tmp_path / "index"
    result = runner.invoke(app, ["index", "--lexical", "--index", str(index),
                                 *(str(p) for p in paths)])
    assert result.exit_code == 0, result.stderr
    return index


def _recurring(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, ["recurring", "--now", NOW, *args])
    return result.exit_code, result.stdout, result.stderr


def test_the_index_knows_incident_files_not_runbooks(history: Path, tmp_path: Path) -> None:
    (history / "runbooks").mkdir()
    (history / "runbooks" / "cpu.md").write_text("---\nservices: [checkout]\n---\n# CPU\n")
    store = KnowledgeIndex.open(tmp_path / "index", lexical=True)
    store.index_paths([history])
    sources = store.incident_sources()
    store.close()
    assert len(sources) == 8 and all("/incidents/" in s for s in sources)
    assert sources == sorted(sources)


def test_recurring_without_paths_reads_the_index(history: Path, tmp_path: Path) -> None:
    index = _index(tmp_path, history)
    code, out, err = _recurring("--index", str(index), "--format", "json")
    assert code == 0, err
    body = json.loads(out)
    assert body["records"] == 8 and body["missing_records"] == 0
    assert body["index"] == str(index)
    assert [(r["kind"], r["count"]) for r in body["recurring"]] == [("config", 2),
                                                                    ("capacity", 3)]
    explicit = json.loads(_recurring(str(history), "--format", "json")[1])
    assert [r["id"] for r in explicit["recurring"]] == [r["id"] for r in body["recurring"]]
    assert explicit["index"] is None and explicit["missing_records"] == 0


def test_the_default_index_is_the_users(history: Path) -> None:
    store = KnowledgeIndex.open(None, lexical=True)  # XDG_DATA_HOME is a temp dir in tests
    store.index_paths([history])
    store.close()
    code, out, err = _recurring()
    assert code == 0, err
    assert "2 recurring cause(s) in 8 record(s)" in out


def test_a_deleted_record_is_skipped_and_counted_once(history: Path, tmp_path: Path) -> None:
    index = _index(tmp_path, history)
    (history / "incidents" / "INC-CAP-2.md").unlink()
    (history / "incidents" / "INC-OTHER.md").unlink()
    code, out, err = _recurring("--index", str(index))
    assert code == 0, err
    assert "in 6 record(s)" in out
    assert out.count("2 indexed incident record(s) not found on disk") == 1
    body = json.loads(_recurring("--index", str(index), "--format", "json")[1])
    assert body["records"] == 6 and body["missing_records"] == 2
    capacity = next(r for r in body["recurring"] if r["kind"] == "capacity")
    assert [i["id"] for i in capacity["incidents"]] == ["INC-CAP-0", "INC-CAP-1"]


def test_explicit_paths_and_the_index_are_one_history(history: Path, tmp_path: Path) -> None:
    index = _index(tmp_path, history / "incidents" / "INC-CAP-0.md",
                   history / "incidents" / "INC-CAP-1.md")
    extra = tmp_path / "more"
    record(extra, "INC-CAP-9", "checkout", "capacity", "2026-11-20",
           "checkout CPU saturated at peak again")
    both = [history / "incidents" / "INC-CAP-1.md", extra]  # INC-CAP-1 is indexed too
    code, out, err = _recurring(*(str(p) for p in both), "--index", str(index),
                                "--format", "json")
    assert code == 0, err
    body = json.loads(out)
    assert body["records"] == 3  # read once, not twice
    assert [i["id"] for i in body["recurring"][0]["incidents"]] == [
        "INC-CAP-0", "INC-CAP-1", "INC-CAP-9"]
    records = load_history(both, None, indexed_sources(index).found)
    assert sorted(r.id for r in records) == ["INC-CAP-0", "INC-CAP-1", "INC-CAP-9"]


def test_indexed_yaml_outside_an_incidents_folder_still_counts(tmp_path: Path) -> None:
    loose = tmp_path / "notes" / "pool.yaml"  # indexed by name: doc type incident
    loose.parent.mkdir()
    loose.write_text("- id: INC-1\n  date: 2026-11-01\n  services: [payments]\n"
                     "  tags: [capacity]\n  root_cause: pool exhausted\n"
                     "- id: INC-2\n  date: 2026-11-03\n  services: [payments]\n"
                     "  tags: [capacity]\n  root_cause: pool exhausted again\n")
    index = _index(tmp_path, loose)
    body = json.loads(_recurring("--index", str(index), "--format", "json")[1])
    assert [i["id"] for i in body["recurring"][0]["incidents"]] == ["INC-1", "INC-2"]


def test_no_paths_and_no_incident_records_is_one_line_and_exit_2(tmp_path: Path) -> None:
    code, _, err = _recurring()
    assert code == 2 and len(err.strip().splitlines()) == 1
    assert str(default_index_dir()) in err and "no knowledge index" in err
    assert not default_index_dir().exists()  # looking did not create one

    runbooks = tmp_path / "kb" / "runbooks"
    runbooks.mkdir(parents=True)
    (runbooks / "cpu.md").write_text("# CPU\nscale out\n")
    index = _index(tmp_path, runbooks.parent)
    code, _, err = _recurring("--index", str(index))
    assert code == 2 and len(err.strip().splitlines()) == 1
    assert f"{index}: no incident records in the knowledge index" in err

    code, _, err = _recurring("--index", str(tmp_path / "nowhere"))
    assert code == 2 and "no knowledge index here" in err
    assert not (tmp_path / "nowhere").exists()


def test_propose_reads_the_index_without_history(history: Path, infra: Path,
                                                 tmp_path: Path) -> None:
    index = _index(tmp_path, history)
    (history / "incidents" / "INC-OTHER.md").unlink()
    body = json.loads(_recurring("--index", str(index), "--format", "json")[1])
    target = next(r["id"] for r in body["recurring"] if r["kind"] == "config")
    policy = tmp_path / "policy.yaml"
    policy.write_text(CHANGE)
    result = runner.invoke(app, [
        "change", "propose", target, "--index", str(index), "--repo", str(infra),
        "--policy", str(policy), "--now", NOW, "--audit", str(tmp_path / "audit.jsonl")])
    assert result.exit_code == 0, result.stderr
    assert f"on branch oncall/fix-{target.lower()}" in result.stdout
    assert "1 indexed incident record(s) not found on disk" in result.stderr
    message = git(infra, "log", "-1", "--format=%B", f"oncall/fix-{target.lower()}")
    assert "INC-CFG-0" in message and "INC-CFG-1" in message


def test_propose_without_history_or_index_says_where_it_looked(infra: Path) -> None:
    result = runner.invoke(app, ["change", "propose", "REC-x", "--repo", str(infra),
                                 "--now", NOW])
    assert result.exit_code == 2 and len(result.stderr.strip().splitlines()) == 1
    assert str(default_index_dir()) in result.stderr and "--history" in result.stderr
