"""benchmarks/run.py still runs: every case at the smallest sizes, no timing asserted.

Timings on shared machines say nothing in a test; what can rot silently is the script
itself (an import that moved, a generator that no longer matches the contract), so
this proves each case produces a row and the synthetic inputs are valid.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

from benchmarks import run as bench
from oncall.sources import ScenarioSource
from oncall.sources.traces import parse_traces


def test_every_case_runs_at_the_smallest_size(tmp_path: Path) -> None:
    scenario = bench.write_synthetic_scenario(tmp_path / "tiny", alerts=20, spans=200)
    sizes = {"alerts": (50,), "distinct": (20,), "spans": (200,), "analysis": (500,),
             "chunks": (30,)}
    rows = bench.run(sizes, scenario=scenario)
    assert [r.case for r in rows] == ["correlate", "correlate", "parse + analyse traces",
                                      "analyse incident", "knowledge build + queries",
                                      "full triage"]
    for row in rows:
        assert row.oncall_s > 0 and row.baseline_s > 0 and row.ratio > 0
    table = bench.markdown(rows)
    assert table.count("\n") == len(rows) + 1 and "| correlate | 50 alerts, 200 services |" in table


def test_synthetic_inputs_follow_the_contract(tmp_path: Path) -> None:
    scenario = bench.write_synthetic_scenario(tmp_path / "tiny", alerts=20, spans=200)
    snap = ScenarioSource(scenario).snapshot()
    assert len(snap.alerts) == 20 and len(snap.spans or []) == 200
    text = bench.synthetic_jaeger(100, random.Random(1))
    spans = parse_traces(json.loads(text), "traces.json")
    errors = bench.error_count_baseline(text)
    assert sum(errors.values()) == sum(s.error for s in spans)


def test_the_baselines_do_what_they_claim() -> None:
    rng = random.Random(7)
    alerts = bench.synthetic_alerts(300, rng, services=10)
    groups = bench.group_by_baseline(alerts, bench.NOW)
    firing = {a.fingerprint for a in alerts if a.firing_at(bench.NOW) and not a.suppressed}
    assert sum(groups.values()) >= len(firing) > 0
    docs = bench.synthetic_chunks(40, rng)
    queries = bench.synthetic_queries(3, rng)
    assert bench.substring_baseline(docs, queries) == 15
    assert bench.retrieve(docs, queries) > 0
