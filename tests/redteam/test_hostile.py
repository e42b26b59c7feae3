"""Hostile inputs generated at test time, through `oncall triage` (CliRunner).

Every case ends one of two ways: exit code 2 with ONE line on stderr that names the
file (and the field, where there is one), or a normal triage whose JSON is valid. Never
a traceback, never a hang: the generators in `hostile.py` are sized so that even a
regression terminates.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner, Result

from oncall.cli.main import app
from tests.redteam.hostile import (
    ALL_FILES,
    DOC,
    JSON_FILES,
    YAML_FILES,
    fifo_with_writer,
    hostile_body,
    leaf_paths,
    replaced,
    write_base,
)
from tests.redteam.scenarios import alert_body, full_scenario

ENV = {"COLUMNS": "200", "FORCE_COLOR": None, "TTY_COMPATIBLE": None}


def _run(*args: str) -> Result:
    return CliRunner().invoke(app, ["triage", *args], env=ENV)


def assert_user_error(result: Result, path: Path, field: str | None = None) -> str:
    """Exit 2, nothing on stdout, one line on stderr naming `path` (and `field`)."""
    assert result.exception is None or isinstance(result.exception, SystemExit), (
        f"crashed: {result.exception!r}")
    assert result.exit_code == 2, result.output
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    prefix = f"oncall: {path}: " + (f"{field}: " if field else "")
    assert lines[0].startswith(prefix), lines[0]
    return lines[0]


def assert_triaged(result: Result) -> dict[str, Any]:
    assert result.exception is None, f"crashed: {result.exception!r}"
    assert result.exit_code == 0, result.output

    def refuse(constant: str) -> Any:
        raise AssertionError(f"not JSON: {constant}")

    out: dict[str, Any] = json.loads(result.stdout, parse_constant=refuse)
    return out


# ---- whole files spoiled in every way, for every file ----------------------------

# What each spoiled file must lead to. Empty or null YAML for an optional file means
# "nothing there" (no changes, no entities, the default policy); a runbook without
# front matter is just prose. Everything else is an error naming the file.
OK_WHEN = {
    "bom": set(ALL_FILES),
    "empty": {"changes.yaml", "catalog.yaml", "policy.yaml", DOC},
    "null": {"changes.yaml", "catalog.yaml", "policy.yaml", DOC},
}
KINDS = ("empty", "null", "scalar", "list", "deep", "huge-int", "not-utf8", "bom", "bomb",
         "self-alias")
SPOILED = [
    (rel, kind) for rel in ALL_FILES for kind in KINDS
    if hostile_body(rel, kind, b"x") is not None
]


@pytest.mark.parametrize(("rel", "kind"), SPOILED, ids=[f"{r}-{k}" for r, k in SPOILED])
def test_spoiled_file(tmp_path: Path, rel: str, kind: str) -> None:
    root = write_base(tmp_path / "s")
    target = root / rel
    body = hostile_body(rel, kind, target.read_bytes())
    assert body is not None
    target.write_bytes(body)
    for fmt in ("json", "text"):
        result = _run(str(root), "--format", fmt)
        if rel in OK_WHEN.get(kind, set()):
            if fmt == "json":
                assert_triaged(result)
            else:
                assert result.exit_code == 0, result.output
        else:
            assert_user_error(result, target)


def test_a_bom_changes_nothing(tmp_path: Path) -> None:
    plain = write_base(tmp_path / "plain")
    marked = write_base(tmp_path / "marked")
    for rel in ALL_FILES:
        (marked / rel).write_bytes(b"\xef\xbb\xbf" + (marked / rel).read_bytes())
    a = assert_triaged(_run(str(plain), "--format", "json"))
    b = assert_triaged(_run(str(marked), "--format", "json"))
    for out in (a, b):
        out.pop("timings")
        for inc in out["incidents"]:
            for hit in inc["runbooks"]:
                hit.pop("path")
    assert a["incidents"] and a == b


# ---- a wrong type in every field -------------------------------------------------


def _decode(rel: str, data: bytes) -> Any:
    if rel == "catalog.yaml":
        return list(yaml.safe_load_all(data))
    return yaml.safe_load(data) if rel.endswith(".yaml") else json.loads(data)


def _encode(rel: str, body: Any) -> bytes:
    if rel == "catalog.yaml":
        return yaml.safe_dump_all(body).encode()
    return yaml.safe_dump(body).encode() if rel.endswith(".yaml") else json.dumps(body).encode()


def _field_mutations() -> list[tuple[str, str, tuple[Any, ...], Any]]:
    base = full_scenario("mutations", "a valid scenario", text="checkout errors")
    out: list[tuple[str, str, tuple[Any, ...], Any]] = []
    for rel in (*JSON_FILES, *YAML_FILES):
        for where, keys in leaf_paths(_decode(rel, base[rel])):
            for wrong in ({"nested": [1]}, None, True):
                out.append((rel, where, keys, wrong))
    return out


MUTATIONS = _field_mutations()


def _catalog_where(where: str) -> str:
    """`[1].metadata.name` in the document list is `document[1].metadata.name`."""
    return f"document{where}"


@pytest.mark.parametrize(
    ("rel", "where", "keys", "wrong"), MUTATIONS,
    ids=[f"{rel}:{where}={json.dumps(w)}" for rel, where, _, w in MUTATIONS],
)
def test_wrong_type_in_every_field(
    tmp_path: Path, rel: str, where: str, keys: tuple[Any, ...], wrong: Any
) -> None:
    """Each field of each file gets an object, a null and a boolean in turn: the run
    either copes (the field is optional or unused) or names this file and a field: one
    on the path to the spoiled value, or one that referred to it (a span's processID
    when its process is gone)."""
    root = write_base(tmp_path / "s")
    target = root / rel
    original = _decode(rel, target.read_bytes())
    target.write_bytes(_encode(rel, replaced(original, keys, wrong)))
    result = _run(str(root), "--format", "json")
    if result.exit_code == 0:
        assert_triaged(result)
        return
    line = assert_user_error(result, target)
    named = line.removeprefix(f"oncall: {target}: ")
    if ": " not in named:
        return  # a whole-file complaint
    field = named.split(": ", 1)[0]
    fix = _catalog_where if rel == "catalog.yaml" else str
    expected = fix(where)
    real = {fix(path) for path, _ in leaf_paths(original)}
    assert expected.startswith(field) or field.startswith(expected) or field in real, line


# ---- the file system -------------------------------------------------------------


@pytest.mark.parametrize("rel", ALL_FILES)
def test_a_directory_where_a_file_belongs(tmp_path: Path, rel: str) -> None:
    root = write_base(tmp_path / "s")
    target = root / rel
    target.unlink()
    target.mkdir()
    (target / "inside.json").write_text("[]")
    result = _run(str(root), "--format", "json")
    if rel == DOC:  # a folder named x.md is not a document: skipped
        assert_triaged(result)
    else:
        assert_user_error(result, target)


@pytest.mark.parametrize("rel", ALL_FILES)
def test_a_fifo_where_a_file_belongs(tmp_path: Path, rel: str) -> None:
    root = write_base(tmp_path / "s")
    target = root / rel
    valid = target.read_bytes()
    target.unlink()
    with fifo_with_writer(target, valid):
        result = _run(str(root), "--format", "json")
    assert_user_error(result, target)


@pytest.mark.parametrize("rel", ALL_FILES)
@pytest.mark.parametrize("link", ["loop", "dangling"])
def test_a_broken_symlink_where_a_file_belongs(tmp_path: Path, rel: str, link: str) -> None:
    root = write_base(tmp_path / "s")
    target = root / rel
    target.unlink()
    target.symlink_to(target if link == "loop" else tmp_path / "nowhere")
    assert_user_error(_run(str(root), "--format", "json"), target)


def test_symlink_loops_inside_knowledge(tmp_path: Path) -> None:
    root = write_base(tmp_path / "s")
    knowledge = root / "knowledge"
    (knowledge / "runbooks" / "again").symlink_to(knowledge)
    (knowledge / "self").symlink_to(knowledge / "self")
    out = assert_triaged(_run(str(root), "--format", "json"))
    ids = [hit["id"] for inc in out["incidents"] for hit in inc["runbooks"]]
    assert ids.count("checkout-timeouts") == len(out["incidents"])


def test_knowledge_that_is_a_file(tmp_path: Path) -> None:
    root = write_base(tmp_path / "s")
    for child in sorted((root / "knowledge").rglob("*"), reverse=True):
        child.rmdir() if child.is_dir() else child.unlink()
    (root / "knowledge").rmdir()
    (root / "knowledge").write_text("runbooks live elsewhere\n")
    assert_user_error(_run(str(root)), root / "knowledge")


def test_extra_knowledge_folder_that_does_not_exist(tmp_path: Path) -> None:
    root = write_base(tmp_path / "s")
    missing = tmp_path / "no-such-runbooks"
    assert_user_error(_run(str(root), "-k", str(missing)), missing)


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files whatever their mode")
def test_an_unreadable_file(tmp_path: Path) -> None:
    root = write_base(tmp_path / "s")
    target = root / "traces.json"
    target.chmod(0)
    try:
        assert_user_error(_run(str(root)), target)
    finally:
        target.chmod(0o644)


# ---- sizes -----------------------------------------------------------------------


def test_a_50_mb_alerts_file(tmp_path: Path) -> None:
    """500 alerts with 100 KB annotations each: read, clustered, rendered."""
    root = write_base(tmp_path / "s")
    padding = "x" * 100_000
    alerts = [
        alert_body("HighErrorRate", f"svc-{i % 25}", f"fp-{i}", summary=f"alert {i}",
               description=padding, pod=f"svc-{i % 25}-{i}")
        for i in range(500)
    ]
    (root / "alerts.json").write_text(json.dumps(alerts))
    assert (root / "alerts.json").stat().st_size > 50_000_000
    out = assert_triaged(_run(str(root), "--format", "json"))
    assert out["stats"]["firing"] == 500
    text = _run(str(root))
    assert text.exit_code == 0 and len(text.stdout) < 1_000_000


def test_a_file_over_the_size_limit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The limit itself is 512 MiB; lowered here so the check runs in a blink."""
    import oncall.sources.scenario as scenario

    monkeypatch.setattr(scenario, "MAX_FILE_BYTES", 1024 * 1024)
    root = write_base(tmp_path / "s")
    (root / "logs.json").write_bytes(b" " * (2 * 1024 * 1024) + b"{}")
    line = assert_user_error(_run(str(root)), root / "logs.json")
    assert "limit" in line


def test_very_long_strings_are_cut_on_screen_not_in_json(tmp_path: Path) -> None:
    root = write_base(tmp_path / "s")
    name = "Long" + "y" * 50_000
    alerts = json.loads((root / "alerts.json").read_text())
    alerts[0]["labels"]["alertname"] = name
    (root / "alerts.json").write_text(json.dumps(alerts))
    text = _run(str(root))
    assert text.exit_code == 0
    assert "more characters" in text.stdout and name not in text.stdout
    out = assert_triaged(_run(str(root), "--format", "json"))
    assert any(name in inc["title"] for inc in out["incidents"])


# ---- numbers and times no wire format can hold --------------------------------------


def _set(root: Path, rel: str, keys: tuple[Any, ...], value: Any) -> Path:
    target = root / rel
    target.write_bytes(_encode(rel, replaced(_decode(rel, target.read_bytes()), keys, value)))
    return target


OUT_OF_RANGE = [
    ("logs.json", ("data", "result", 0, "values", 0, 0), "9" * 400,
     "data.result[0].values[0][0]"),
    ("logs.json", ("data", "result", 0, "values", 0, 0), "\u00b2\u00b3",
     "data.result[0].values[0][0]"),
    ("logs.json", ("data", "result", 0, "values", 0, 0), "\u0663\u0664",
     "data.result[0].values[0][0]"),
    ("traces.json", ("data", 0, "spans", 0, "startTime"), 10**30, "data[0].spans[0].startTime"),
    ("traces.json", ("data", 0, "spans", 0, "duration"), -1, "data[0].spans[0].duration"),
    ("traces.json", ("data", 0, "spans", 0, "duration"), 2.5, "data[0].spans[0].duration"),
    ("metrics.json", ("data", "result", 0, "values", 0, 1), [1], "data.result[0].values[0][1]"),
    ("alerts.json", (0, "startsAt"), "9999-12-31T23:59:59-01:00", "[0].startsAt"),
    ("alerts.json", (0, "startsAt"), "0001-01-01T00:00:00+01:00", "[0].startsAt"),
    ("alerts.json", (0, "startsAt"), "2026-02-30T00:00:00Z", "[0].startsAt"),
    ("scenario.yaml", ("now",), "9999-12-31T23:59:59-01:00", "now"),
    ("policy.yaml", ("approvers", "min"), -3, "approvers.min"),
]


@pytest.mark.parametrize(("rel", "keys", "value", "field"), OUT_OF_RANGE,
                         ids=[f"{r}:{f}={str(v)[:12]}" for r, _, v, f in OUT_OF_RANGE])
def test_values_out_of_range(
    tmp_path: Path, rel: str, keys: tuple[Any, ...], value: Any, field: str
) -> None:
    root = write_base(tmp_path / "s")
    target = _set(root, rel, keys, value)
    assert_user_error(_run(str(root), "--format", "json"), target, field)


@pytest.mark.parametrize(("rel", "text"), [
    ("scenario.yaml", "name: x\nnow: 2026-02-30T02:19:00Z\n"),
    ("changes.yaml", "changes:\n- {id: a, kind: config, service: x, at: 2026-13-01T00:00:00Z}\n"),
    ("policy.yaml", "freezes:\n- {from: 2026-03-14T25:00:00Z, to: 2026-03-15T00:00:00Z}\n"),
])
def test_an_impossible_unquoted_yaml_date(tmp_path: Path, rel: str, text: str) -> None:
    """YAML builds the datetime itself and fails inside the parser, not in our fields."""
    root = write_base(tmp_path / "s")
    (root / rel).write_text(text)
    assert_user_error(_run(str(root)), root / rel)


def test_a_yaml_datetime_with_an_offset_is_read_as_utc(tmp_path: Path) -> None:
    root = write_base(tmp_path / "s")
    (root / "scenario.yaml").write_text("name: x\nnow: 2026-03-14T03:19:00+01:00\n")
    out = assert_triaged(_run(str(root), "--format", "json"))
    assert out["now"] == "2026-03-14T02:19:00Z"


# ---- text the terminal or the encoder cannot take -------------------------------------


@pytest.mark.parametrize("text", ["\ud800lone surrogate", "\x1b]0;pwned\x07title", "\u202eevil"])
def test_unencodable_and_control_text_in_labels(tmp_path: Path, text: str) -> None:
    root = write_base(tmp_path / "s")
    alerts = json.loads((root / "alerts.json").read_text())
    for alert in alerts:
        alert["labels"]["alertname"] += text
        alert["labels"]["pod"] = text
    (root / "alerts.json").write_text(json.dumps(alerts))
    assert_triaged(_run(str(root), "--format", "json"))
    result = _run(str(root))
    assert result.exit_code == 0, result.output
    assert not [ch for ch in result.stdout if ord(ch) < 32 and ch != "\n"]
    assert not [ch for ch in result.stdout if 0xD800 <= ord(ch) <= 0xDFFF or ch == "\u202e"]


def test_hostile_policy_keys_stay_on_one_escaped_line(tmp_path: Path) -> None:
    root = write_base(tmp_path / "s")
    (root / "policy.yaml").write_text('actions:\n  "\\e[2J\\nrestart": auto\n')
    line = assert_user_error(_run(str(root)), root / "policy.yaml")
    assert "\x1b" not in line and "\\x1b[2J" in line
