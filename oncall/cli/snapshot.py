"""`oncall snapshot --out DIR`: freeze what the live systems show now as a scenario.

Any real incident can then be replayed (`oncall triage DIR`), attached to a ticket,
or added to the eval corpus. A source that is down is left out and named in
`scenario.yaml`; only Alertmanager being unreachable stops the capture (exit 2).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from oncall.cli.common import user_errors

CONFIG_HELP = ("oncall.yaml to use (default: $ONCALL_CONFIG, else "
               "$XDG_CONFIG_HOME/oncall/oncall.yaml).")


def snapshot_command(
    out: Annotated[Path, typer.Option("--out", "-o", help="New scenario directory to write.")],
    config: Annotated[Path | None, typer.Option("--config", "-c", help=CONFIG_HELP)] = None,
) -> None:
    """Capture alerts, metrics, logs, traces, changes and catalog into a scenario dir."""
    from oncall.sources.live import build_live_source, write_scenario
    from oncall.sources.live.writer import check_out

    with user_errors():
        check_out(out)  # before anything is fetched
        with build_live_source(config) as source:
            capture = source.capture()
        written = write_scenario(capture, out)
    snap = capture.snapshot
    counts = [f"{len(snap.alerts)} alert(s)"]
    if snap.metrics is not None:
        counts.append(f"{len(snap.metrics)} series")
    if snap.logs is not None:
        counts.append(f"{len(snap.logs)} log line(s)")
    if snap.spans is not None:
        counts.append(f"{len(snap.spans)} span(s)")
    if snap.changes is not None:
        counts.append(f"{len(snap.changes)} change(s)")
    if snap.catalog is not None:
        counts.append(f"{len(snap.catalog.entities)} catalog entities")
    typer.echo(f"wrote {out} ({len(written)} files): {', '.join(counts)}")
    for line in snap.missing:
        typer.echo(f"  missing: {' '.join(line.split())}")
    typer.echo(f"replay: oncall triage {out}")
