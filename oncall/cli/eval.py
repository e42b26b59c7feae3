"""`oncall eval DIR...`: score triage against the ground truth of scenarios.

Exit codes: 0 all good, 1 a metric broke its threshold (CI fails), 2 bad input
(a broken expected.yaml, scenario or thresholds file), as everywhere in `oncall`.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from oncall.cli.common import user_errors
from oncall.cli.triage import OutputFormat


def eval_command(
    dirs: Annotated[
        list[Path],
        typer.Argument(help="Scenario directories, or folders searched for them "
                       "(only scenarios with expected.yaml are scored)."),
    ],
    output_format: Annotated[
        OutputFormat, typer.Option("--format", "-f", help="text for people, json for machines.")
    ] = OutputFormat.text,
    baselines: Annotated[
        bool, typer.Option("--baselines/--no-baselines", help="Also score the baselines.")
    ] = True,
    thresholds: Annotated[
        Path | None,
        typer.Option("--thresholds", help="A thresholds.yaml; exit 1 when a metric breaks it."),
    ] = None,
) -> None:
    """Run triage on scenarios with expected.yaml and score it (and simple baselines)."""
    from oncall.evaluate import evaluate
    from oncall.evaluate.thresholds import Failure, check, load_thresholds

    failures: list[Failure] | None = None
    with user_errors():
        limits = load_thresholds(thresholds) if thresholds is not None else None
        report = evaluate(list(dirs), with_baselines=baselines)
    if limits is not None:
        failures = check(report.summary().values(), limits)
    if output_format is OutputFormat.json:
        from oncall.evaluate.report import report_to_dict

        sys.stdout.write(json.dumps(report_to_dict(report, failures), indent=2) + "\n")
    else:
        from oncall.evaluate.render import render_report

        render_report(report, failures)
    if failures:
        sys.stderr.write(f"oncall: {len(failures)} metric(s) break the thresholds in "
                         f"{thresholds}:\n")
        for failure in failures:
            sys.stderr.write(f"  {failure.message}\n")
        raise typer.Exit(code=1)
