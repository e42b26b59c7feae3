"""History records -> recurring causes, ranked by what they cost."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from oncall.change.history import load_history
from oncall.change.recurrence import find_recurring
from tests.change.conftest import record

NOW = datetime(2026, 11, 25, tzinfo=UTC)


def test_same_service_same_kind_alike_causes_recur(history: Path) -> None:
    found = find_recurring(load_history([history]), NOW)
    assert [(r.service, r.kind, r.count) for r in found] == [
        ("checkout", "config", 2), ("checkout", "capacity", 3)]  # config cost more
    capacity = found[1]
    assert [i.id for i in capacity.incidents] == ["INC-CAP-0", "INC-CAP-1", "INC-CAP-2"]
    assert capacity.total_revenue == 15000.0 and capacity.mean_minutes == 30.0
    assert capacity.id.startswith("REC-checkout-capacity-")


def test_the_window_and_the_minimum_count_apply(history: Path) -> None:
    records = load_history([history])
    assert find_recurring(records, NOW, window_days=30) == []  # one of each since Oct 26
    recent = find_recurring(records, NOW, window_days=60)  # since Sep 26: CAP-0 drops out
    assert [(r.kind, r.count) for r in recent] == [("config", 2), ("capacity", 2)]
    assert [r.kind for r in find_recurring(records, NOW, min_count=3)] == ["capacity"]
    old = find_recurring(records, datetime(2025, 1, 2, tzinfo=UTC), window_days=30)
    assert old == []  # INC-OLD alone


def test_unlike_causes_of_one_kind_stay_apart(history: Path) -> None:
    config = [r for r in find_recurring(load_history([history]), NOW) if r.kind == "config"]
    assert [i.id for i in config[0].incidents] == ["INC-CFG-0", "INC-CFG-1"]  # not the log one


def test_hand_written_yaml_records_count_and_thin_notes_are_skipped(tmp_path: Path) -> None:
    root = tmp_path / "kb"
    (root / "incidents").mkdir(parents=True)
    (root / "incidents" / "old.yaml").write_text(
        "- id: INC-1\n  date: 2026-11-01\n  services: [payments]\n  tags: [capacity]\n"
        "  root_cause: pool exhausted\n- id: INC-2\n  date: 2026-11-03\n"
        "  services: [payments]\n  tags: [capacity]\n  root_cause: pool exhausted again\n"
        "- id: NOTE\n  title: no service, no kind\n")
    record(root, "INC-3", "payments", "capacity", "2026-11-05", "pool exhausted at peak")
    found = find_recurring(load_history([root]), NOW)
    assert [i.id for i in found[0].incidents] == ["INC-1", "INC-2", "INC-3"]
