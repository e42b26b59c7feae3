"""What every command shares: turning user errors into one line and exit code 2."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from oncall.errors import InputError, OncallError

if TYPE_CHECKING:
    from oncall.sources.live.reader import PrometheusReader


@contextmanager
def user_errors() -> Iterator[None]:
    """Prints an `OncallError` as `oncall: <message>` on stderr and exits 2."""
    try:
        yield
    except OncallError as exc:
        message = " ".join(str(exc).split())
        sys.stderr.write(f"oncall: {message}\n")
        raise typer.Exit(code=exc.exit_code) from None


def live_reader(config: Path | None, where: str) -> PrometheusReader | None:
    """The Prometheus of `oncall.yaml` that verification polls after a live move; None,
    with a note saying a move run from `where` ends unverified, when none is configured.
    Any other configuration problem is an `InputError`, as for every command."""
    from oncall.sources.live.reader import PrometheusReader

    try:
        return PrometheusReader.from_config(config_path=config)
    except InputError as exc:
        if exc.field != "sources.prometheus":
            raise
        typer.echo(f"oncall: no prometheus source in oncall.yaml: a move {where} ends "
                   "unverified", err=True)
        return None
