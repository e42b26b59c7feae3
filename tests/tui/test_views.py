"""The dashboard's plain-Python layer: rows, timeline, signals, documents (no terminal)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from oncall.errors import OncallError
from oncall.model import KnowledgeHit
from oncall.tui.screens.document import read_document
from oncall.tui.signals import verification_signals
from oncall.tui.summary import age, headline, incident_rows, severity
from oncall.tui.text import clean_lines, safe
from oncall.tui.timeline import incident_timeline, relative
from tests.tui.builders import NOW, ONSET, RUNBOOK, snapshot, triage


def test_ages_count_from_the_snapshot_now_not_the_wall_clock() -> None:
    assert age(NOW, NOW - timedelta(minutes=7)) == "7m"
    assert age(NOW, NOW - timedelta(hours=5, minutes=2)) == "5h02m"
    assert age(NOW, NOW - timedelta(days=3, hours=4)) == "3d4h"
    assert age(NOW, NOW + timedelta(minutes=3)) == "0m"  # clock skew never goes negative


def test_incident_rows_carry_worst_severity_tier_age_and_counts() -> None:
    first, second = incident_rows(triage())
    assert (first.severity, first.tier, first.age, first.alerts) == ("crit", "1", "9m", 3)
    assert first.services == "checkout, frontend"
    assert (second.severity, second.tier, second.age) == ("warn", "-", "5h02m")
    assert severity(triage().incidents[1]) == "warn"
    assert headline(triage()) == ("6 firing alert(s) -> 2 incident(s), 2 noise "
                                  "(67% fewer things to read)")


def test_timeline_orders_changes_onsets_and_alerts_on_one_clock() -> None:
    entries = incident_timeline(triage().incidents[0], snapshot())
    kinds = [(e.kind, e.service) for e in entries]
    assert kinds[0] == ("change", "payments")  # dep-1180: blast radius, inside the lookback
    assert ("change", "search") not in kinds  # unrelated service, a day old
    assert [e.at for e in entries] == sorted(e.at for e in entries)
    cfg = next(e for e in entries if e.text.startswith("cfg-2291"))
    assert cfg.suspect and cfg.at < ONSET
    onsets = [e for e in entries if e.kind == "onset"]
    assert {(e.service, e.text.split()[0]) for e in onsets} >= {
        ("checkout", "latency_p95_seconds"), ("checkout", "error_ratio")}
    assert all(ONSET - timedelta(minutes=5) <= e.at <= NOW for e in onsets)
    assert entries[-1].kind == "now" and entries[-1].at == NOW
    assert sum(e.kind == "alert" for e in entries) == 3


def test_relative_times_are_against_the_first_alert() -> None:
    assert relative(ONSET - timedelta(minutes=3), ONSET) == "T-3m"
    assert relative(ONSET, ONSET) == "T+0m"
    assert relative(ONSET + timedelta(minutes=65), ONSET) == "T+1h05m"


def test_verification_takes_the_worst_pod_and_judges_against_the_target() -> None:
    views = {(v.service, v.signal): v for v in
             verification_signals(triage().incidents[0], snapshot().metrics)}
    p95 = views[("checkout", "latency_p95_seconds")]
    assert p95.latest is not None and p95.latest >= 1.8  # pod a, not the healthy pod b
    assert p95.target == "<= 0.134" and p95.status == "above target"
    assert views[("payments", "latency_p95_seconds")].status == "recovered"
    assert ("payments", "error_ratio") not in views  # no series and no target
    assert len(p95.values) == 40


def test_a_signal_without_a_parsable_target_is_shown_but_not_judged() -> None:
    incident = triage().incidents[0]
    incident.remediations[0].verify = {"latency_p95_seconds": "back to normal"}
    incident.remediations[1].verify = {}
    views = {(v.service, v.signal): v for v in verification_signals(incident, snapshot().metrics)}
    assert views[("checkout", "latency_p95_seconds")].status == "no target"


def test_scenario_text_is_never_markup_or_terminal_control() -> None:
    text = safe("[red]policy: auto[/red]\x1b[2J")
    assert text.plain == "[red]policy: auto[/red]\\x1b[2J"
    assert text.spans == []
    assert clean_lines("a\tb\n\x1b[31mc") == "a    b\n\\x1b[31mc"


def test_a_runbook_opens_without_its_front_matter() -> None:
    hit = KnowledgeHit("checkout-timeouts", "Checkout latency", 0.9, "runbook", str(RUNBOOK))
    markdown = read_document(hit)
    assert markdown.startswith("# Checkout latency and timeouts to payments")
    assert "services:" not in markdown and "## Mitigation" in markdown


def test_a_hit_without_a_readable_file_says_why(tmp_path: Path) -> None:
    with pytest.raises(OncallError, match="no file to open"):
        read_document(KnowledgeHit("pm-1", "t", 0.5, "incident", ""))
    with pytest.raises(OncallError, match="no such file"):
        read_document(KnowledgeHit("x", "t", 0.5, "runbook", str(tmp_path / "gone.md")))


def test_timeline_without_metrics_or_changes_still_has_alerts_and_now() -> None:
    snap = snapshot()
    snap.metrics, snap.changes = None, None
    entries = incident_timeline(triage().incidents[0], snap)
    assert {e.kind for e in entries} == {"alert", "now"}
    assert entries[0].at == datetime(2026, 3, 14, 2, 10, tzinfo=UTC)
