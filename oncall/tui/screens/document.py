"""A runbook or past incident, read in place: the Markdown file at the hit's path.

The front matter is parsed the way the knowledge loader parses it and left out of the
view (its title becomes the heading). Links do not open a browser: a document is
input, and a dashboard during a page should not launch anything on a click.
"""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.widgets import Footer, Header, MarkdownViewer

from oncall.errors import OncallError
from oncall.model import KnowledgeHit
from oncall.sources.knowledge import parse_knowledge_doc
from oncall.tui.text import clean_lines

MAX_BYTES = 2 * 1024 * 1024


class DocumentScreen(Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "app.pop_screen", "Back"),
        Binding("t", "toc", "Contents"),
    ]

    def __init__(self, hit: KnowledgeHit, markdown: str) -> None:
        super().__init__()
        self.hit = hit
        self.markdown = markdown

    def compose(self) -> ComposeResult:
        yield Header()
        yield MarkdownViewer(self.markdown, show_table_of_contents=False, open_links=False)
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = self.hit.id[:60]
        self.query_one(MarkdownViewer).focus()

    def action_toc(self) -> None:
        viewer = self.query_one(MarkdownViewer)
        viewer.show_table_of_contents = not viewer.show_table_of_contents


def read_document(hit: KnowledgeHit) -> str:
    """The hit's Markdown without front matter; OncallError says why it cannot be shown."""
    if not hit.path:
        raise OncallError(f"{hit.id}: this hit has no file to open (it came from an index)")
    path = Path(hit.path)
    try:
        if not path.is_file():
            raise OncallError(f"{hit.path}: no such file")
        if path.stat().st_size > MAX_BYTES:
            raise OncallError(f"{hit.path}: over {MAX_BYTES // (1024 * 1024)} MiB, not shown")
        text = path.read_bytes().decode("utf-8-sig", errors="replace")
    except OSError as exc:
        raise OncallError(f"{hit.path}: {exc.strerror or exc}") from None
    try:
        doc = parse_knowledge_doc(text, str(path), hit.doc_type)
    except OncallError:
        return clean_lines(text)  # unreadable front matter: show the file as it is
    body = doc.body.lstrip()
    return clean_lines(body if body.startswith("# ") else f"# {doc.title}\n\n{body}")
