"""The generator itself: deterministic, contract-shaped, and the eval mix it promises."""

from __future__ import annotations

import hashlib
from collections import Counter
from pathlib import Path

import pytest

from oncall.synth import build, eval_mix
from oncall.synth.__main__ import generate
from oncall.synth.cases import SHAPES, CaseSpec
from oncall.synth.faults import KINDS
from oncall.synth.knowledge import runbook_files
from oncall.synth.names import fingerprint
from oncall.synth.policy import decide
from tests.synth.contract import check_not_after_now, check_structure, check_truth, load

REPO = Path(__file__).resolve().parents[2]
RUNBOOKS = REPO / "runbooks"


def _quick(seed: int = 7) -> list[CaseSpec]:
    """Two small cases (no storm) covering a change kind and a non-change kind."""
    specs = [s for s in eval_mix(seed, 48) if s.shape in ("direct", "missing", "partial")]
    picked = [
        next(s for s in specs if s.kind == "config"),
        next(s for s in specs if s.kind == "network"),
    ]
    for s in picked:
        s.size = (6, 8)
    return picked


def _digest(root: Path) -> dict[str, str]:
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def test_same_seed_same_bytes(tmp_path: Path) -> None:
    generate(_quick(), tmp_path / "a", RUNBOOKS, quiet=True)
    generate(_quick(), tmp_path / "b", RUNBOOKS, quiet=True)
    a, b = _digest(tmp_path / "a"), _digest(tmp_path / "b")
    assert a and a == b


def test_other_seed_other_case() -> None:
    available = runbook_files(RUNBOOKS)
    one = build(_quick(7)[0], available)
    two = build(_quick(8)[0], available)
    assert one["alerts.json"] != two["alerts.json"]


def test_fresh_cases_obey_the_contract(tmp_path: Path) -> None:
    specs = _quick(11)
    generate(specs, tmp_path, RUNBOOKS, quiet=True)
    for spec in specs:
        s = load(tmp_path / spec.name)
        check_structure(s)
        check_truth(s)
        check_not_after_now(s)


def test_regenerating_replaces_only_its_own_directories(tmp_path: Path) -> None:
    (tmp_path / "redteam").mkdir()
    (tmp_path / "redteam" / "keep.txt").write_text("x")
    spec = _quick(3)[:1]
    generate(spec, tmp_path, RUNBOOKS, quiet=True)
    (tmp_path / spec[0].name / "stale.json").write_text("{}")
    generate(spec, tmp_path, RUNBOOKS, quiet=True)
    assert (tmp_path / "redteam" / "keep.txt").exists()
    assert not (tmp_path / spec[0].name / "stale.json").exists()


def test_eval_mix_meets_the_design() -> None:
    specs = eval_mix(20261125, 48)
    assert len({s.name for s in specs}) == 48
    kinds = Counter(s.kind for s in specs)
    assert all(kinds[k] >= 4 for k in KINDS)
    shapes = Counter(s.shape for s in specs)
    assert set(shapes) == set(SHAPES)
    assert sum(s.callers_only for s in specs) >= 8
    assert sum(s.second is not None for s in specs) >= 6
    assert sum(s.storm for s in specs) >= 4
    assert sum(bool(s.missing) for s in specs) >= 8
    assert {m for s in specs for m in s.missing} == {
        "traces.json",
        "logs.json",
        "metrics.json",
        "catalog.yaml",
    }
    assert sum(s.freeze for s in specs) >= 5
    assert sum(s.partial for s in specs) >= 8
    assert sum(s.decoys != 0 for s in specs) >= 40
    assert 4 <= sum(s.otlp for s in specs) <= 12


def test_generated_evals_have_the_mix() -> None:
    """Counted from the files of evals/ (when generated), not from the design."""
    import re

    from oncall.synth.readme import case_facts

    dirs = sorted(p for p in (REPO / "evals").glob("*") if re.match(r"^\d{3}-", p.name))
    if not dirs:
        pytest.skip("evals/ not generated yet")
    facts = []
    for d in dirs:
        files = {
            p.relative_to(d).as_posix(): p.read_text("utf-8") for p in d.rglob("*") if p.is_file()
        }
        facts.append(case_facts(files))
    assert len(facts) >= 48
    kinds = Counter(i["root_cause"]["kind"] for f in facts for i in f["incidents"][:1])
    assert all(kinds[k] >= 4 for k in KINDS), kinds
    assert sum(f["callers_only"] for f in facts) >= 8
    assert sum(len(f["incidents"]) > 1 for f in facts) >= 6
    assert sum(f["firing"] >= 50 for f in facts) >= 4
    assert sum(bool(f["missing"]) for f in facts) >= 8
    assert sum(f["freeze"] for f in facts) >= 5
    assert sum(f["windows"] for f in facts) >= 24
    assert sum(f["decoys"] > 0 for f in facts) >= 30
    assert sum(f["silenced"] for f in facts) >= 24 and sum(f["inhibited"] for f in facts) >= 12
    assert sum(f["partial"] for f in facts) >= 8


def test_decision_rule() -> None:
    now = 1_773_454_740.0
    freeze = {"from": "2026-03-13T18:00:00Z", "to": "2026-03-16T06:00:00Z", "reason": "x"}
    base = {"autonomy": "execute", "actions": {"restart": "auto", "rollback": "deny"}}
    assert decide(base, "restart", now) == "auto"
    assert decide(base, "scale", now) == "approve"  # unlisted
    assert decide(base, "escalate", now) == "auto"  # unlisted escalate
    assert decide(base, "rollback", now) == "deny"
    assert decide({**base, "freezes": [freeze]}, "restart", now) == "approve"
    assert decide({**base, "freezes": [freeze]}, "escalate", now) == "approve"
    assert decide({**base, "autonomy": "assist"}, "restart", now) == "approve"
    assert decide({**base, "autonomy": "assist"}, "rollback", now) == "deny"


def test_fingerprint_convention_matches_the_shared_dataset() -> None:
    # labels and fingerprint of the first alert of train-ticket/2023-01-29-26
    labels = {
        "alertname": "HighLatencyP95",
        "service": "ts-basic-service",
        "pod": "ts-basic-service-5dc8d4f9fd-46997",
        "namespace": "train-ticket",
        "severity": "critical",
        "cluster": "tt-prod",
    }
    assert fingerprint(labels) == "79fbe6a95ceabfba"


def test_an_unsatisfiable_design_is_one_line_and_exit_2(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    from oncall.synth import __main__ as cli
    from oncall.synth.build import DesignUnsatisfied

    def refuse(spec: object, runbooks: object) -> dict[str, str]:
        raise DesignUnsatisfied("001-code-storm: no attempt of 200 satisfied the design "
                                "(storm has only 3 alerts); try another --seed")

    monkeypatch.setattr(cli, "build", refuse)
    assert cli.main(["evals", "--out", str(tmp_path / "out"), "--count", "1"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("oncall.synth: 001-code-storm") and len(err.strip().splitlines()) == 1
