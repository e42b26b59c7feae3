"""The audit log: chained records; any edit, reorder, deletion or truncation is named."""

from __future__ import annotations

import itertools
import json
import multiprocessing
from pathlib import Path

import pytest
from typer.testing import CliRunner

from oncall.audit import GENESIS, AuditLog
from oncall.cli.main import app
from oncall.errors import InputError

runner = CliRunner()


def _filled(path: Path, n: int = 4, key: bytes | None = None) -> AuditLog:
    log = AuditLog(path, key=key, actor="alice")
    for i in range(n):
        log.append("proposal" if i % 2 == 0 else "decision", {"action": "rollback", "i": i},
                   incident="inc-1")
    return log


def _lines(path: Path) -> list[str]:
    return path.read_text().splitlines()


def test_records_chain_and_verify(tmp_path: Path) -> None:
    log = _filled(tmp_path / "a.jsonl")
    records = list(log.records())
    assert [r["seq"] for r in records] == [1, 2, 3, 4]
    assert records[0]["prev"] == GENESIS
    assert all(b["prev"] == a["hash"] for a, b in itertools.pairwise(records))
    verdict = log.verify()
    assert verdict.ok and verdict.records == 4 and verdict.head == records[-1]["hash"]


@pytest.mark.parametrize("tamper, line, needle", [
    ("edit", 2, "edited"),
    ("delete", 2, "out of sequence"),
    ("swap", 2, "out of sequence"),
    ("garbage", 3, "not valid JSON"),
])
def test_tampering_names_the_first_bad_record(tmp_path: Path, tamper: str, line: int,
                                              needle: str) -> None:
    path = tmp_path / "a.jsonl"
    log = _filled(path)
    lines = _lines(path)
    if tamper == "edit":
        record = json.loads(lines[1])
        record["data"]["action"] = "failover"
        lines[1] = json.dumps(record, sort_keys=True)
    elif tamper == "delete":
        del lines[1]
    elif tamper == "swap":
        lines[1], lines[2] = lines[2], lines[1]
    else:
        lines[2] = lines[2][:-5]
    path.write_text("\n".join(lines) + "\n")
    problem = log.verify().problem
    assert problem is not None and problem.line == line and needle in problem.message


def test_renumbering_after_a_deletion_still_breaks_the_chain(tmp_path: Path) -> None:
    path = tmp_path / "a.jsonl"
    log = _filled(path)
    lines = [json.loads(x) for x in _lines(path)]
    del lines[1]
    for n, record in enumerate(lines, start=1):
        record["seq"] = n
    path.write_text("".join(json.dumps(r) + "\n" for r in lines))
    problem = log.verify().problem
    assert problem is not None and problem.line == 2 and "does not follow" in problem.message


def test_a_keyed_chain_cannot_be_recomputed_without_the_key(tmp_path: Path) -> None:
    from oncall.audit import record_hash

    path = tmp_path / "a.jsonl"
    _filled(path, key=b"secret")
    records = [json.loads(x) for x in _lines(path)]
    records[1]["data"]["action"] = "failover"
    prev = records[0]["hash"]
    for record in records[1:]:  # the forger recomputes every plain hash
        record["prev"] = prev
        record["hash"] = prev = record_hash(record, None)
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    assert AuditLog(path, key=b"secret").verify().problem is not None
    assert AuditLog(path, key=b"secret").verify().problem.line == 2  # type: ignore[union-attr]


def test_truncation_is_caught_against_a_recorded_head(tmp_path: Path) -> None:
    path = tmp_path / "a.jsonl"
    log = _filled(path)
    head = log.head()
    path.write_text("\n".join(_lines(path)[:-1]) + "\n")
    assert log.verify().ok  # a shorter chain is still a chain...
    problem = log.verify(expect_head=head).problem  # ...but not the one we recorded
    assert problem is not None and "removed from the end" in problem.message


def _append_many(path: str) -> None:
    log = AuditLog(Path(path), actor="worker")
    for i in range(25):
        log.append("note", {"i": i})


def test_concurrent_writers_never_fork_the_chain(tmp_path: Path) -> None:
    path = tmp_path / "a.jsonl"
    ctx = multiprocessing.get_context("fork")
    workers = [ctx.Process(target=_append_many, args=(str(path),)) for _ in range(3)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(timeout=60)
    verdict = AuditLog(path).verify()
    assert verdict.ok and verdict.records == 75


def test_unknown_events_and_broken_tails_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "a.jsonl"
    log = _filled(path, n=1)
    with pytest.raises(ValueError):
        log.append("launch-missiles")
    with open(path, "a") as fh:
        fh.write('{"seq": 2, "hash"')
    with pytest.raises(InputError, match="not a complete record"):
        log.append("note")


def test_cli_show_and_verify(tmp_path: Path) -> None:
    path = tmp_path / "a.jsonl"
    log = _filled(path)
    shown = runner.invoke(app, ["audit", "show", "--audit", str(path), "--format", "json"])
    assert shown.exit_code == 0
    body = json.loads(shown.stdout)
    assert body["head"] == log.head() and len(body["records"]) == 4
    ok = runner.invoke(app, ["audit", "verify", "--audit", str(path)])
    assert ok.exit_code == 0 and "chain intact" in ok.stdout
    text = runner.invoke(app, ["audit", "show", "--audit", str(path), "-n", "2"])
    assert text.exit_code == 0 and "decision" in text.stdout

    lines = _lines(path)
    path.write_text("\n".join(lines[:1] + lines[2:]) + "\n")
    bad = runner.invoke(app, ["audit", "verify", "--audit", str(path)])
    assert bad.exit_code == 1 and "line 2" in bad.stderr and "record 3" in bad.stderr

    path.write_bytes(b"\xff\xfe not text")
    broken = runner.invoke(app, ["audit", "show", "--audit", str(path)])
    assert broken.exit_code == 2 and "not UTF-8" in broken.stderr


@pytest.mark.parametrize("command", [["audit", "verify"], ["audit", "show"], ["report"]])
def test_a_named_audit_log_that_does_not_exist_is_exit_2(tmp_path: Path,
                                                         command: list[str]) -> None:
    missing = tmp_path / "typo.jsonl"
    result = runner.invoke(app, [*command, "--audit", str(missing)])
    assert result.exit_code == 2
    assert result.stderr == f"oncall: {missing}: --audit: no such audit log\n"
    assert not missing.exists()


def test_the_default_log_not_existing_yet_is_said_plainly(tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch
                                                          ) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    default = tmp_path / "oncall" / "audit.jsonl"
    result = runner.invoke(app, ["audit", "verify"])
    assert result.exit_code == 0
    assert result.stdout == f"{default}: no audit log yet (nothing has been recorded), " \
        "nothing to verify\n"
    shown = runner.invoke(app, ["audit", "show"])
    assert shown.exit_code == 0 and "no audit log yet" in shown.stdout
    # a head recorded earlier means there were records: the log was removed
    gone = runner.invoke(app, ["audit", "verify", "--expect-head", "ab" * 32])
    assert gone.exit_code == 1 and "the log was removed or moved" in gone.stderr
    assert not default.exists()
    _filled(default)
    assert "4 record(s), chain intact" in runner.invoke(app, ["audit", "verify"]).stdout


def test_the_actor_falls_back_to_the_account_of_the_uid(monkeypatch: pytest.MonkeyPatch
                                                         ) -> None:
    import os
    import pwd

    for variable in ("ONCALL_ACTOR", "USER", "LOGNAME"):
        monkeypatch.delenv(variable, raising=False)
    try:
        expected = pwd.getpwuid(os.getuid()).pw_name
    except KeyError:
        expected = f"uid:{os.getuid()}"
    assert AuditLog(Path("unused.jsonl")).actor == expected != "unknown"

    def no_account(uid: int) -> pwd.struct_passwd:
        raise KeyError(f"getpwuid(): uid not found: {uid}")

    monkeypatch.setattr(pwd, "getpwuid", no_account)
    assert AuditLog(Path("unused.jsonl")).actor == f"uid:{os.getuid()}"
    monkeypatch.setenv("LOGNAME", "carol")
    assert AuditLog(Path("unused.jsonl")).actor == "carol"
    monkeypatch.setenv("ONCALL_ACTOR", "deploy-bot")
    assert AuditLog(Path("unused.jsonl")).actor == "deploy-bot"
