"""Errors that reach the user as one clear line and exit code 2.

Anything a user can fix (a missing file, a wrong field, an unknown action) is an
`OncallError`; the CLI prints `str(error)` and exits 2. Bugs stay tracebacks.
"""

from __future__ import annotations


class OncallError(Exception):
    """A problem the user can fix; the message is one line."""

    exit_code = 2


class InputError(OncallError):
    """Bad input: names the file and, where there is one, the field."""

    def __init__(self, path: str, message: str, field: str | None = None) -> None:
        self.path = path
        self.field = field
        self.detail = message
        where = f"{path}: {field}" if field else path
        super().__init__(f"{where}: {message}")


class SourceUnavailable(OncallError):
    """A live system did not answer after bounded retries."""
