"""Which row a DataTable event is about.

A table with no rows still posts highlight events (an arrow key on an empty incident
list): Textual then reports `row_key` None and `cursor_row` -1, which every handler
must take as "no row" rather than read `.value` from.
"""

from __future__ import annotations

from typing import Any


def row_key(event: Any) -> str | None:
    """The event's row key as text; None when the event is about no row."""
    value = getattr(getattr(event, "row_key", None), "value", None)
    return None if value is None else str(value)


__all__ = ["row_key"]
