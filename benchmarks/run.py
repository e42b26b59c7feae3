"""Scale benchmarks: `oncall`'s stages against the simplest thing that does a similar job.

Shared machines are noisy, so nothing here asserts a time. Each case times `oncall` and
a plain-Python baseline on the same synthetic input in the same run and reports the
ratio; a ratio that grows with the input size is the signal (the stage scales worse
than linearly), not any single number.

    python benchmarks/run.py            # 1k/10k/100k alerts, 100k spans, 10k chunks
    python benchmarks/run.py --quick    # small sizes, a few seconds
    python benchmarks/run.py --markdown # also print the table as Markdown

Inputs are generated from a fixed seed into a temporary directory (nothing is written
into the checkout).
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from oncall.analyze import analyze_incident
from oncall.analyze.traces import analyze_traces
from oncall.correlate import correlate
from oncall.knowledge import KnowledgeQuery, LexicalRetriever
from oncall.model import (
    Alert,
    Catalog,
    CatalogEntity,
    Incident,
    KnowledgeDoc,
    MetricSeries,
    Snapshot,
    Span,
)
from oncall.pipeline import triage
from oncall.sources import ScenarioSource
from oncall.sources.traces import parse_traces
from oncall.topology import build_topology

REPO = Path(__file__).resolve().parents[1]
NOW = datetime(2026, 3, 14, 2, 19, tzinfo=UTC)
SEED = 20260314
SERVICES = 200  # a mid-sized company; held fixed so the alert count alone grows
ALERT_NAMES = 40
# "distinct": alerts that each name their own service (a `service` label filled with a
# pod or instance name does this), so the number of alerting services grows too.
# "analysis": span counts for the incident analysis, run with SERIES_PER_10K_SPANS
# metric series per 10,000 spans (100,000 spans -> 2,000 series, the budget case).
FULL: dict[str, tuple[int, ...]] = {"alerts": (1_000, 10_000, 100_000), "distinct": (1_000, 4_000),
                                    "spans": (100_000,), "analysis": (100_000,),
                                    "chunks": (10_000,)}
QUICK: dict[str, tuple[int, ...]] = {"alerts": (1_000,), "distinct": (500,), "spans": (10_000,),
                                     "analysis": (10_000,), "chunks": (1_000,)}
SERIES_PER_10K_SPANS = 200
QUERIES = 100


@dataclass(slots=True)
class Row:
    case: str
    size: str
    baseline: str
    oncall_s: float
    baseline_s: float
    note: str = ""

    @property
    def ratio(self) -> float:
        return self.oncall_s / self.baseline_s if self.baseline_s > 0 else float("inf")


def best_of(repeats: int, fn: Callable[[], object]) -> float:
    """The fastest of `repeats` runs: the least disturbed by whatever else the host does."""
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def _repeats(size: int) -> int:
    return 5 if size <= 2_000 else 3 if size <= 20_000 else 1


Sizes = Mapping[str, tuple[int, ...]]  # "alerts", "spans", "chunks" -> the sizes to run


# ---- correlation -----------------------------------------------------------------


def service_names(count: int = SERVICES) -> list[str]:
    return [f"svc-{i:03d}" for i in range(count)]


def synthetic_catalog(rng: random.Random, count: int = SERVICES) -> Catalog:
    """A layered call graph: each service calls two or three in deeper layers."""
    names = service_names(count)
    layers = 6
    per_layer = max(1, count // layers)
    entities = []
    for i, name in enumerate(names):
        layer = i // per_layer
        deeper = names[(layer + 1) * per_layer:]
        deps = rng.sample(deeper, k=min(len(deeper), rng.randint(2, 3))) if deeper else []
        entities.append(CatalogEntity(kind="Component", name=name, owner="group:team",
                                      depends_on=tuple(f"component:{d}" for d in deps)))
    return Catalog(entities=tuple(entities))


def synthetic_alerts(
    count: int, rng: random.Random, services: int = SERVICES, one_service_each: bool = False
) -> list[Alert]:
    """A storm: alerts spread over the last 40 minutes, some resolved, silenced,
    informational or re-sent, the way a real Alertmanager body looks. Services are
    skewed towards a few hot ones, or with `one_service_each` alert i names service i."""
    names = service_names(services)
    alertnames = [f"Alert{i:02d}" for i in range(ALERT_NAMES)]
    out: list[Alert] = []
    for i in range(count):
        hot = min(int(rng.paretovariate(1.2)) - 1, services - 1)
        service = names[i % services if one_service_each
                        else hot if rng.random() < 0.7 else rng.randrange(services)]
        start = NOW - timedelta(seconds=rng.randrange(40 * 60))
        resolved = rng.random() < 0.1
        ends = start + timedelta(minutes=2) if resolved else NOW + timedelta(minutes=5)
        labels = {"alertname": rng.choice(alertnames), "service": service,
                  "pod": f"{service}-{rng.randrange(20)}",
                  "severity": "info" if rng.random() < 0.05 else "critical"}
        fingerprint = f"{i:016x}" if rng.random() > 0.1 else f"{max(i - 1, 0):016x}"
        out.append(Alert(fingerprint=fingerprint, labels=labels, annotations={},
                         starts_at=start, ends_at=ends, updated_at=start,
                         silenced_by=("s1",) if rng.random() < 0.05 else ()))
    return out


def group_by_baseline(alerts: Iterable[Alert], now: datetime) -> dict[tuple[str, str], int]:
    """Alertmanager's grouping: firing alerts by (alertname, service), de-duplicated."""
    groups: dict[tuple[str, str], set[str]] = defaultdict(set)
    for alert in alerts:
        if alert.firing_at(now) and not alert.suppressed:
            groups[(alert.name, alert.service or "")].add(alert.fingerprint)
    return {key: len(fps) for key, fps in groups.items()}


def bench_correlation(count: int, services: int = SERVICES) -> Row:
    """`services` == `count` puts every alert on its own service."""
    rng = random.Random(SEED + count)
    catalog = synthetic_catalog(rng, services)
    alerts = synthetic_alerts(count, rng, services, one_service_each=services >= count)
    topology = build_topology(catalog, None)
    repeats = _repeats(count)
    result = correlate(alerts, NOW, topology)
    ours = best_of(repeats, lambda: correlate(alerts, NOW, topology))
    base = best_of(repeats, lambda: group_by_baseline(alerts, NOW))
    groups = len(group_by_baseline(alerts, NOW))
    return Row("correlate", f"{count:,} alerts, {services:,} services",
               "group_by(alertname, service)", ours, base,
               f"{len(result.incidents)} incident(s) vs {groups} groups")


# ---- traces ------------------------------------------------------------------------


def synthetic_jaeger(spans: int, rng: random.Random, services: int = 30) -> str:
    """Jaeger query-API body: traces of ten spans down a call chain, 5 % failing."""
    names = service_names(services)
    onset_us = int((NOW - timedelta(minutes=10)).timestamp() * 1e6)
    data = []
    for t in range(max(1, spans // 10)):
        trace_id = f"{t:032x}"
        start = onset_us + rng.randrange(-1_200_000_000, 600_000_000)
        chain = rng.sample(names, k=10)
        failing = rng.random() < 0.05
        processes = {f"p{i}": {"serviceName": s, "tags": [
            {"key": "hostname", "type": "string", "value": f"{s}-{rng.randrange(4)}"}]}
            for i, s in enumerate(chain)}
        trace_spans = []
        for depth in range(10):
            tags: list[dict[str, Any]] = [{"key": "span.kind", "type": "string",
                                           "value": "server"}]
            if failing and depth >= 7:
                tags.append({"key": "error", "type": "bool", "value": True})
            refs = [] if depth == 0 else [{"refType": "CHILD_OF", "traceID": trace_id,
                                           "spanID": f"{t:08x}{depth - 1:08x}"}]
            trace_spans.append({
                "traceID": trace_id, "spanID": f"{t:08x}{depth:08x}",
                "operationName": f"op{depth}", "references": refs,
                "startTime": start + depth * 1000, "duration": (10 - depth) * 5000,
                "tags": tags, "logs": [], "processID": f"p{depth}"})
        data.append({"traceID": trace_id, "spans": trace_spans, "processes": processes})
    return json.dumps({"data": data})


def error_count_baseline(text: str) -> Counter[str]:
    """json.loads, then one pass counting failed spans per service."""
    body = json.loads(text)
    errors: Counter[str] = Counter()
    for trace in body["data"]:
        processes = trace["processes"]
        for span in trace["spans"]:
            if any(tag["key"] == "error" and tag["value"] is True for tag in span["tags"]):
                errors[processes[span["processID"]]["serviceName"]] += 1
    return errors


def load_and_analyse_traces(text: str) -> int:
    spans = parse_traces(json.loads(text), "traces.json")
    onset_us = int((NOW - timedelta(minutes=10)).timestamp() * 1e6)
    return analyze_traces(spans, onset_us).failed_traces


def bench_traces(spans: int) -> Row:
    text = synthetic_jaeger(spans, random.Random(SEED + spans))
    repeats = _repeats(spans)
    ours = best_of(repeats, lambda: load_and_analyse_traces(text))
    base = best_of(repeats, lambda: error_count_baseline(text))
    return Row("parse + analyse traces", f"{spans:,} spans", "json.loads + error count",
               ours, base, f"{len(text) / 1e6:.1f} MB of JSON")


def synthetic_series(count: int, rng: random.Random, services: int = 30) -> list[MetricSeries]:
    """Per-pod p95 latency and error-ratio series, an hour at 15 s; a tenth shift at onset."""
    names = service_names(services)
    onset = (NOW - timedelta(minutes=10)).timestamp()
    start = (NOW - timedelta(minutes=60)).timestamp()
    out = []
    for n in range(count):
        service = names[n % len(names)]
        signal = ("latency_p95_seconds", "error_ratio")[n % 2]
        base = 0.12 if n % 2 == 0 else 0.002
        shifted = n % 10 == 0
        samples = tuple(
            (start + 15 * i, base * (8.0 if shifted and start + 15 * i >= onset else 1.0)
             * rng.uniform(0.9, 1.1)) for i in range(240))
        out.append(MetricSeries(signal, {"service": service, "pod": f"{service}-{n // 60}"},
                                samples))
    return out


def incident_on(services: list[str]) -> Incident:
    onset = NOW - timedelta(minutes=9)
    alerts = [Alert(f"fp-{s}", {"alertname": "HighLatencyP95", "service": s}, {}, onset,
                    None, onset) for s in services]
    return Incident("inc-bench", alerts, list(services), onset)


def series_baseline(series: list[MetricSeries], spans: list[Span]) -> int:
    """One pass over the spans counting errors, one over the series comparing means."""
    onset = (NOW - timedelta(minutes=10)).timestamp()
    errors: Counter[str] = Counter(s.service for s in spans if s.error)
    shifted = 0
    for one in series:
        before = [v for t, v in one.samples if t < onset]
        after = [v for t, v in one.samples if t >= onset]
        if before and after and sum(after) / len(after) > 2 * sum(before) / len(before):
            shifted += 1
    return shifted + len(errors)


def bench_analysis(spans: int) -> Row:
    """The whole incident analysis on data already in memory (parsing is its own row)."""
    rng = random.Random(SEED + spans + 1)
    parsed = parse_traces(json.loads(synthetic_jaeger(spans, rng)), "traces.json")
    series = synthetic_series(max(1, spans * SERIES_PER_10K_SPANS // 10_000), rng)
    snap = Snapshot(name="bench", now=NOW, alerts=[], spans=parsed, metrics=series)
    topology = build_topology(None, parsed)
    incident = incident_on(service_names(30)[:3])
    repeats = _repeats(spans)
    ours = best_of(repeats, lambda: analyze_incident(incident, snap, topology))
    base = best_of(repeats, lambda: series_baseline(series, parsed))
    return Row("analyse incident", f"{spans:,} spans, {len(series):,} series",
               "error count + mean shift", ours, base,
               f"{len(analyze_incident(incident, snap, topology))} cause(s)")


# ---- knowledge -----------------------------------------------------------------------


_WORDS = (
    "latency timeout error rate pod node cpu memory disk network dns tls certificate "
    "deploy rollback config flag cache database replica primary failover queue kafka "
    "consumer lag throttle saturation oom restart crashloop probe ingress gateway upstream "
    "connection pool exhausted retry circuit breaker slow query lock deadlock index "
    "checkout payments orders cart search inventory shipping auth session token expired"
).split()


def synthetic_chunks(count: int, rng: random.Random) -> list[KnowledgeDoc]:
    """Runbook sections of ~120 words from an SRE vocabulary plus rarer tokens."""
    rare = [f"term{i}" for i in range(5_000)]
    services = service_names(50)
    docs = []
    for i in range(count):
        words = [rng.choice(_WORDS) if rng.random() < 0.8 else rng.choice(rare)
                 for _ in range(120)]
        docs.append(KnowledgeDoc(
            id=f"chunk-{i}", title=" ".join(words[:6]), doc_type="runbook",
            body="## Steps\n" + " ".join(words),
            services=(rng.choice(services),), tags=(rng.choice(_WORDS),)))
    return docs


def synthetic_queries(count: int, rng: random.Random) -> list[KnowledgeQuery]:
    services = service_names(50)
    return [KnowledgeQuery(text=" ".join(rng.choice(_WORDS) for _ in range(20)),
                           services=[rng.choice(services)], alerts=["HighErrorRate"],
                           kinds=["config"]) for _ in range(count)]


def retrieve(docs: list[KnowledgeDoc], queries: list[KnowledgeQuery]) -> int:
    retriever = LexicalRetriever(docs)
    return sum(len(retriever.search(q, limit=5)) for q in queries)


def substring_baseline(docs: list[KnowledgeDoc], queries: list[KnowledgeQuery]) -> int:
    """Lower-case every document once, then score each by query words it contains."""
    bodies = [f"{d.title} {d.body}".lower() for d in docs]
    found = 0
    for query in queries:
        words = set(query.text.lower().split())
        scores = [(sum(w in body for w in words), i) for i, body in enumerate(bodies)]
        scores.sort(reverse=True)
        found += len(scores[:5])
    return found


def bench_knowledge(chunks: int, queries: int = QUERIES) -> Row:
    rng = random.Random(SEED + chunks)
    docs = synthetic_chunks(chunks, rng)
    asked = synthetic_queries(queries, rng)
    repeats = 1 if chunks * queries >= 200_000 else 3
    ours = best_of(repeats, lambda: retrieve(docs, asked))
    base = best_of(repeats, lambda: substring_baseline(docs, asked))
    return Row("knowledge build + queries", f"{chunks:,} chunks, {queries} queries",
               "substring scan", ours, base)


# ---- full triage ---------------------------------------------------------------------


def largest_scenario() -> Path | None:
    """The largest bundled example, else the largest shared real case, by bytes on disk."""
    for folder in (REPO / "examples", REPO.parent / "shared" / "datasets" / "train-ticket"):
        cases = [p for p in folder.glob("*") if (p / "scenario.yaml").is_file()]
        if cases:
            return max(cases, key=lambda p: (sum(f.stat().st_size for f in p.rglob("*")
                                                  if f.is_file()), p.name))
    return None


def bench_triage(scenario: Path) -> Row:
    size = sum(f.stat().st_size for f in scenario.rglob("*") if f.is_file())
    ours = best_of(3, lambda: triage(ScenarioSource(scenario)))
    base = best_of(3, lambda: ScenarioSource(scenario).snapshot())
    return Row("full triage", f"{scenario.name} ({size / 1e6:.1f} MB)", "loading it",
               ours, base)


# ---- running and reporting -------------------------------------------------------------


def run(
    sizes: Sizes,
    scenario: Path | None = None,
    progress: Callable[[Row], None] = lambda row: None,
) -> list[Row]:
    """Every case at the given sizes; the triage case on `scenario`, else the largest
    example, else a synthetic scenario written to a temporary directory."""
    rows: list[Row] = []

    def add(row: Row) -> None:
        rows.append(row)
        progress(row)

    for count in sizes["alerts"]:
        add(bench_correlation(count))
    for count in sizes.get("distinct", ()):
        add(bench_correlation(count, services=count))
    for spans in sizes["spans"]:
        add(bench_traces(spans))
    for spans in sizes.get("analysis", ()):
        add(bench_analysis(spans))
    for chunks in sizes["chunks"]:
        add(bench_knowledge(chunks))
    scenario = scenario or largest_scenario()
    if scenario is None:
        with tempfile.TemporaryDirectory() as tmp:
            add(bench_triage(write_synthetic_scenario(Path(tmp) / "synthetic")))
    else:
        add(bench_triage(scenario))
    return rows


def write_synthetic_scenario(root: Path, alerts: int = 200, spans: int = 20_000) -> Path:
    """Used when neither examples/ nor the shared datasets are present."""
    rng = random.Random(SEED)
    root.mkdir(parents=True)
    (root / "scenario.yaml").write_text(f"name: synthetic\nnow: {NOW:%Y-%m-%dT%H:%M:%SZ}\n")
    body = [{"labels": a.labels, "annotations": {}, "fingerprint": a.fingerprint,
             "startsAt": f"{a.starts_at:%Y-%m-%dT%H:%M:%SZ}",
             "endsAt": f"{a.ends_at:%Y-%m-%dT%H:%M:%SZ}" if a.ends_at else None}
            for a in synthetic_alerts(alerts, rng, services=30)]
    (root / "alerts.json").write_text(json.dumps(body))
    (root / "traces.json").write_text(synthetic_jaeger(spans, rng))
    return root


def markdown(rows: list[Row]) -> str:
    lines = ["| case | size | oncall (s) | baseline | baseline (s) | ratio | note |",
             "|---|---|---:|---|---:|---:|---|"]
    lines += [f"| {r.case} | {r.size} | {r.oncall_s:.4f} | {r.baseline} | {r.baseline_s:.4f} | "
              f"{r.ratio:.1f}x | {r.note} |" for r in rows]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="small sizes only")
    parser.add_argument("--markdown", action="store_true", help="also print a Markdown table")
    args = parser.parse_args(argv)

    from rich.console import Console
    from rich.table import Table

    # Piped into a file or CI log, rich would assume 80 columns and fold every row.
    console = Console() if sys.stdout.isatty() else Console(width=150)
    console.print(f"python {sys.version.split()[0]}; ratio = oncall / baseline, "
                  "best of several runs; larger inputs run once")
    rows = run(QUICK if args.quick else FULL, progress=lambda r: console.print(
        f"  {r.case}, {r.size}: {r.oncall_s:.3f} s vs {r.baseline_s:.3f} s", style="dim"))
    table = Table(title="oncall benchmarks (ratio = oncall / baseline)")
    table.add_column("case")
    table.add_column("size")
    table.add_column("oncall s", justify="right")
    table.add_column("baseline")
    table.add_column("baseline s", justify="right")
    table.add_column("ratio", justify="right")
    table.add_column("note")
    for r in rows:
        table.add_row(r.case, r.size, f"{r.oncall_s:.4f}", r.baseline, f"{r.baseline_s:.4f}",
                      f"{r.ratio:.1f}x", r.note)
    console.print(table)
    if args.markdown:
        print(markdown(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
