"""Runbooks and past incidents that fit, ranked; enter opens the Markdown in a viewer."""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import DataTable, Static

from oncall.errors import OncallError
from oncall.model import KnowledgeHit
from oncall.tui.rows import row_key
from oncall.tui.screens.document import DocumentScreen, read_document
from oncall.tui.text import safe

NO_HITS = Text("No runbook or past incident matched. Add folders with -k, or build an "
               "index with `oncall index`.", style="italic")

# Document ids up to 27 characters show whole at 80 columns; longer ones end in an ellipsis.
ID_WIDTH = 27
TITLE_WIDTH = 31


class KnowledgePane(Vertical):
    def __init__(self, hits: list[KnowledgeHit]) -> None:
        super().__init__(id="knowledge-pane")
        self.hits = hits

    def compose(self) -> ComposeResult:
        yield Static(id="knowledge-hint", classes="hint")
        table: DataTable[Text | str] = DataTable(id="knowledge-table", cursor_type="row")
        yield table

    def on_mount(self) -> None:
        self.show(self.hits)

    def show(self, hits: list[KnowledgeHit]) -> None:
        """Refills the table in place, keeping the cursor row."""
        self.hits = hits
        table = self.query_one("#knowledge-table", DataTable)
        keep = table.cursor_row
        table.clear(columns=True)
        table.display = bool(hits)
        self.query_one("#knowledge-hint", Static).update(
            Text("enter opens the document", style="dim") if hits else NO_HITS)
        if not hits:
            return
        table.add_column("Type", width=8)
        table.add_column("Id", width=ID_WIDTH)
        table.add_column("Title / section", width=TITLE_WIDTH)
        table.add_column("Score", width=5)
        for index, hit in enumerate(self.hits):
            title = safe(hit.title, limit=200)
            if hit.section:
                title.append(" § ", style="dim")
                title.append(safe(hit.section, style="dim", limit=80))
            title.truncate(TITLE_WIDTH, overflow="ellipsis")  # the viewer shows it whole
            table.add_row(safe(hit.doc_type, limit=12), safe(hit.id, limit=ID_WIDTH), title,
                          f"{hit.score:.2f}", key=str(index))
        table.move_cursor(row=min(max(keep, 0), table.row_count - 1))

    @on(DataTable.RowSelected, "#knowledge-table")
    def _open(self, event: DataTable.RowSelected) -> None:
        key = row_key(event)
        index = int(key) if key is not None else len(self.hits)
        if index >= len(self.hits):  # a stale event from before a refill
            return
        hit = self.hits[index]
        try:
            markdown = read_document(hit)
        except OncallError as exc:
            self.notify(str(exc), title="cannot open", severity="warning", markup=False)
            return
        self.app.push_screen(DocumentScreen(hit, markdown))
