"""Rich rendering of an evaluation: the summary side by side with the baselines, the
time per stage, then one row per true incident showing expected against got.

Kept beside the evaluation rather than in the command so `oncall/cli/eval.py` stays a
thin Typer command. Scenario-supplied strings (service names, ids) are data: they go
into `Text` through `printable`, never through rich markup.
"""

from __future__ import annotations

from rich.console import Console
from rich.table import Table
from rich.text import Text

from oncall.evaluate.case import IncidentResult
from oncall.evaluate.runner import BASELINES, CaseResult, Report
from oncall.evaluate.scorecard import MAXIMUM_METRICS, METRICS
from oncall.evaluate.thresholds import Failure
from oncall.sources.fields import printable

MAX_SKIPPED_SHOWN = 5
OK, BAD = "green", "red"


def render_report(report: Report, failures: list[Failure] | None = None,
                  console: Console | None = None) -> None:
    console = console or Console()
    console.print(_header(report))
    console.print(_summary_table(report, failures or []))
    console.print(_timings_table(report))
    console.print(_cases_table(report))


def _header(report: Report) -> Text:
    text = Text()
    text.append(f"{len(report.cases)} case(s), {report.incidents} true incident(s) scored "
                f"in {report.seconds:.1f}s", style="bold")
    if report.skipped:
        names = ", ".join(printable(p.name) for p in report.skipped[:MAX_SKIPPED_SHOWN])
        more = len(report.skipped) - MAX_SKIPPED_SHOWN
        names += f" and {more} more" if more > 0 else ""
        text.append(f"\nskipped {len(report.skipped)} scenario(s) without expected.yaml: "
                    f"{names}", style="dim")
    return text


def _summary_table(report: Report, failures: list[Failure]) -> Table:
    failed = {f.metric for f in failures}
    table = Table(title="Summary (micro-averaged over all cases)", title_justify="left")
    table.add_column("metric")
    table.add_column("oncall", justify="right")
    baselines = report.baseline_summary()
    for name in baselines:
        table.add_column(BASELINES[name], justify="right")
    ours = report.summary().values()
    theirs = {name: card.values() for name, card in baselines.items()}
    for metric in METRICS:
        style = BAD if metric in failed else ""
        row = [Text(metric, style=style), Text(_fmt(metric, ours.get(metric)), style=style)]
        for name in baselines:
            values = theirs[name]
            row.append(Text(_fmt(metric, values[metric]) if metric in values else "–",
                            style="dim"))
        table.add_row(*row)
    return table


def _fmt(metric: str, value: float | None) -> str:
    if value is None:
        return "n/a"
    if metric in MAXIMUM_METRICS:
        return str(int(value))
    return f"{value:.3f}"


def _timings_table(report: Report) -> Table:
    table = Table(title="Time per stage", title_justify="left")
    table.add_column("stage")
    table.add_column("total s", justify="right")
    table.add_column("mean ms/case", justify="right")
    for stage, t in report.timings().items():
        table.add_row(stage, f"{t['sum']:.3f}", f"{t['mean'] * 1000:.1f}")
    return table


def _cases_table(report: Report) -> Table:
    table = Table(title="Per case (expected / got where wrong)", title_justify="left",
                  show_lines=True)
    for name in ("case", "F1", "service", "kind", "change", "remediation", "runbooks",
                 "why wrong"):
        table.add_column(name, overflow="fold")
    for case in report.cases:
        for i, inc in enumerate(case.score.incidents):
            first = i == 0
            label = printable(case.name) if first else f"  #{i + 1}"
            why = list(inc.problems) + (case.score.problems if first else [])
            table.add_row(
                Text(label), _f1(case) if first else Text(""),
                *_cells(inc),
                Text("; ".join(printable(p) for p in why), style=BAD if why else ""),
            )
        if not case.score.incidents:
            table.add_row(Text(printable(case.name)), _f1(case), *[Text("")] * 5,
                          Text("; ".join(map(printable, case.score.problems)), style=BAD))
    return table


def _f1(case: CaseResult) -> Text:
    clustering = case.score.card.clustering
    f1 = clustering.f1 if clustering else 1.0
    return Text(f"{f1:.2f}", style=OK if f1 == 1.0 else BAD)


def _cells(inc: IncidentResult) -> list[Text]:
    rc, move, top = inc.truth.root_cause, inc.truth.remediation, inc.top
    cells = [
        _versus(rc.service if rc else None, inc.services[0] if inc.services else None,
                inc.checks.get("service_ac1")),
        _versus(rc.kind if rc else None, top.kind if top else None, inc.checks.get("kind_ac1")),
        _versus((rc.change or "none") if rc else None,
                (top.change or "none") if top else None, inc.checks.get("change_ac1")),
    ]
    if move is None:
        cells.append(Text("–", style="dim"))
    else:
        got = inc.move
        want_text = f"{move.action} {move.target} · {move.decision}"
        got_text = f"{got.action} {got.target} · {got.decision}" if got else "none"
        ok = inc.checks.get("remediation_top1", False) and inc.checks.get(
            "decision_accuracy", False)
        cells.append(_versus(want_text, got_text, ok))
    if inc.truth.runbooks is None:
        cells.append(Text("–", style="dim"))
    else:
        found = all(rb in inc.runbooks for rb in inc.truth.runbooks)
        cells.append(_versus(", ".join(inc.truth.runbooks) or "none",
                             ", ".join(inc.runbooks) or "none", found))
    return cells


def _versus(want: str | None, got: str | None, ok: bool | None) -> Text:
    if want is None or ok is None:
        return Text("–", style="dim")
    if ok:
        return Text(printable(want), style=OK)
    return Text(f"{printable(want)}\n/ {printable(got or 'none')}", style=BAD)
