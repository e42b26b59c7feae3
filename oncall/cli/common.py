"""What every command shares: turning user errors into one line and exit code 2."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager

import typer

from oncall.errors import OncallError


@contextmanager
def user_errors() -> Iterator[None]:
    """Prints an `OncallError` as `oncall: <message>` on stderr and exits 2."""
    try:
        yield
    except OncallError as exc:
        message = " ".join(str(exc).split())
        sys.stderr.write(f"oncall: {message}\n")
        raise typer.Exit(code=exc.exit_code) from None
