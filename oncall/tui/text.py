"""Scenario strings on screen: always data, never markup or terminal control.

Textual reads a plain `str` cell or label as content markup, so a label such as
`[red]policy: auto[/]` in an alert would restyle the dashboard. Everything that came
from input (labels, evidence, commands, titles) goes through `safe`, which escapes
control and bidi characters and returns a `rich.text.Text`, which is never parsed.
"""

from __future__ import annotations

from rich.text import Text

from oncall.sources.fields import printable

# One value longer than this does not fit any pane; the JSON output keeps it whole.
MAX_CHARS = 2000


def clean(value: str, limit: int = MAX_CHARS) -> str:
    """`value` with control characters escaped and cut to `limit` characters."""
    if len(value) > limit:
        value = f"{value[: max(limit - 1, 0)]}…"
    return printable(value)


def safe(value: str, style: str = "", limit: int = MAX_CHARS) -> Text:
    """A `Text` of a scenario string: shown verbatim, optionally styled."""
    return Text(clean(value, limit), style=style)


def clean_lines(text: str) -> str:
    """A multi-line document made safe line by line: newlines stay, tabs become spaces."""
    lines = text.replace("\r\n", "\n").replace("\t", "    ").split("\n")
    return "\n".join(printable(line) for line in lines)
