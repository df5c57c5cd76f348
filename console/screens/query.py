"""Ask the memory directly: one read-only SQL statement (``query.sql``, operators only; a reader
is told so in words) or, after ``/``, full-text search across every table (``query.search``).

The answer fills a paged table: a SQL answer comes a page at a time as the cursor nears the
end (``next_offset``: the daemon runs the statement again from there, holding nothing between
pages), so an answer of any length scrolls without being loaded whole. Ctrl+S (or ``x`` from
the results) writes the whole answer to a file, with the Tables screen's export dialog and formats."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import Any, Literal, NamedTuple

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.reactive import reactive
from textual.widgets import Footer, Header, Static

from daemon.client import ConnectionLost
from daemon.export_format import render_chunk

from ..dialogs.export import ExportDialog, ExportRequest
from ..error_text import describe_error, first_fitting
from ..formatting import cell
from ..messages import RowsExported
from ..widgets.paged_table import PagedTable
from ..widgets.query_box import QueryBox
from .base import ClarityScreen

PAGE_SIZE = 500  # rows a page in the table (each page runs the statement again: not too small)
EXPORT_PAGE = 10_000  # rows a page when exporting: query.sql's largest
SEARCH_LIMIT = 500  # matches: query.search's largest
CELL_WIDTH = 60

Kind = Literal["sql", "search"]

PLACEHOLDER: dict[Kind, str] = {
    "sql": "one read-only statement, e.g. SELECT * FROM memory_feedback LIMIT 20 (tables are memory_*)",
    "search": "words to find in every table",
}


class Page(NamedTuple):
    columns: list[str]
    rows: list[list[Any]]
    next_offset: int | None  # where the next page starts; None at the end
    truncated: bool  # the daemon stopped early (with next_offset None: a row too large to send)


class QueryScreen(ClarityScreen):
    MODE = "query"
    TITLE = "Clarity · Query"
    AUTO_FOCUS = "#query-box"
    BINDINGS = [
        Binding("ctrl+r", "run", "Run", id="query-run", priority=True, tooltip="Run the SQL or the search in the box"),
        Binding("ctrl+enter", "run", "Run", id="query-run-enter", show=False, priority=True, tooltip="Run (as Ctrl+R)"),
        Binding(
            "slash",
            "toggle_kind",
            "SQL/Search",
            id="query-toggle",
            key_display="/",
            tooltip="Switch the box between SQL and full-text search (from the results table)",
        ),
        Binding(
            "ctrl+t",
            "toggle_kind",
            "SQL/Search",
            id="query-toggle-box",
            show=False,
            priority=True,
            tooltip="Switch between SQL and full-text search (also in the box)",
        ),
        Binding(
            "ctrl+s",
            "export",
            "Export",
            id="query-export",
            priority=True,
            tooltip="Write the whole answer to a file (asks before replacing one)",
        ),
        Binding(
            "x",
            "export",
            "Export",
            id="query-export-x",
            show=False,
            tooltip="Export, from the results table (as in Tables; Ctrl+S also in the box)",
        ),
    ]

    kind: reactive[Kind] = reactive("sql")
    """What the box holds: one SQL statement, or words to search for."""

    class Answered(Message):
        """A page of the answer to ``text`` arrived; ``offset`` is where it starts (0: a new answer)."""

        def __init__(self, kind: Kind, text: str, offset: int, page: Page) -> None:
            super().__init__()
            self.kind = kind
            self.text = text
            self.offset = offset
            self.page = page

    def __init__(self) -> None:
        super().__init__()
        self.answered: tuple[Kind, str] | None = None
        """What the table shows the answer to (kind, text); None before the first."""
        self.next_offset: int | None = None
        self.texts: dict[Kind, str] = {"sql": "", "search": ""}
        """What was typed in each kind of box, kept while the other is shown."""

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("", id="query-status", classes="status")
        yield QueryBox(id="query-box", language=None, show_line_numbers=False)
        yield PagedTable(id="query-results")
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        self.watch_kind(self.kind)

    def on_screen_resume(self) -> None:
        # Arriving (by key, palette or from another screen): into the box, so what is typed
        # next is SQL, never a screen's key (q would quit from the results).
        self.set_focus(self.query_one("#query-box", QueryBox))

    def watch_kind(self, kind: Kind) -> None:
        box = self.query_one("#query-box", QueryBox)
        box.border_title = "SQL (read-only, operators)" if kind == "sql" else "Search every table"
        box.border_subtitle = "Tab/Esc: to the results"
        box.placeholder = PLACEHOLDER[kind]
        self.query_one("#query-status", Static).update(
            f"{'SQL' if kind == 'sql' else 'Search'} · Ctrl+R runs · Ctrl+T or / switches · Ctrl+U clears"
        )

    def action_toggle_kind(self) -> None:
        box = self.query_one("#query-box", QueryBox)
        self.texts[self.kind] = box.text
        self.kind = "search" if self.kind == "sql" else "sql"
        box.text = self.texts[self.kind]
        box.move_cursor(box.document.end)
        self.set_focus(box)

    def action_refresh(self) -> None:
        """Nothing follows live events here: an answer stays as it was given."""

    def action_run(self) -> None:
        text = self.query_one("#query-box", QueryBox).text.strip()
        if not text:
            self.notify("Type something to run first.", severity="warning")
            return
        self.query_one("#query-status", Static).update("asking…")
        self.query_one("#query-results", PagedTable).has_more = False
        self.run_query(self.kind, text, 0)

    async def fetch_page(self, kind: Kind, text: str, offset: int, limit: int) -> Page:
        """One page of the answer to ``text`` from ``offset`` (a search comes whole, best first)."""
        if kind == "sql":
            r = await self.client.query.sql(sql=text, max_rows=limit, offset=offset)
            return Page(r.columns, r.rows, r.next_offset, r.truncated)
        hits = await self.client.query.search(text=text, limit=SEARCH_LIMIT)
        rows: list[list[Any]] = [[h.table, h.id, h.title, h.snippet] for h in hits]
        return Page(["table", "id", "title", "snippet"], rows, None, False)

    @work(exclusive=True, group="query", exit_on_error=False)
    async def run_query(self, kind: Kind, text: str, offset: int) -> None:
        self.post_message(self.Answered(kind, text, offset, await self.fetch_page(kind, text, offset, PAGE_SIZE)))

    @on(PagedTable.EndApproached, "#query-results")
    def next_page(self) -> None:
        if self.answered is not None and self.next_offset is not None:
            kind, text = self.answered
            self.run_query(kind, text, self.next_offset)

    def on_query_screen_answered(self, message: QueryScreen.Answered) -> None:
        table = self.query_one("#query-results", PagedTable)
        page = message.page
        if message.offset == 0:
            self.answered = (message.kind, message.text)
            table.clear(columns=True)
            for name in page.columns:
                table.add_column(name)
        elif (message.kind, message.text) != self.answered or message.offset != table.row_count:
            return  # a page of an answer no longer shown
        for row in page.rows:
            texts = (cell(v, CELL_WIDTH) for v in row)
            table.add_row(*(Text(t, no_wrap=True) for t in texts))  # never markup
        self.next_offset = page.next_offset
        table.has_more = page.next_offset is not None
        n = table.row_count
        if message.kind == "search":
            status = f"{n} match{'' if n == 1 else 'es'}"
        else:
            status = f"{n} row{'' if n == 1 else 's'}"
            if page.next_offset is not None:
                status += " so far · more load as you scroll (End, PgDn)"
            elif page.truncated:
                status += " · stopped: the next row is larger than a reply may be"
        self.query_one("#query-status", Static).update(status)
        table.check_end()  # a short page (cut by bytes) may leave the cursor near the end already

    def worker_failed(self, error: BaseException, group: str) -> None:
        if group != "query":
            return  # a failed export: its notification says it all
        table = self.query_one("#query-results", PagedTable)
        table.has_more = self.next_offset is not None  # a page that failed is asked for again on the next move
        why = "clarityd is unreachable" if isinstance(error, ConnectionLost) else describe_error(error)[1]
        why = why.removeprefix("SQL refused: ")  # "not answered" says as much
        width = self.size.width - 2
        line = f"not answered: {why}"
        if table.row_count:  # the reason before the reminder, if both do not fit
            line = first_fitting(width, line + " · below: the last answer", line)
        line = cell(line, width)  # one line (the notification has it in full)
        self.query_one("#query-status", Static).update(line)

    # -- export --------------------------------------------------------------------------

    def action_export(self) -> None:
        if self.answered is None:
            self.notify("Run a query first: its answer is what is exported.", severity="warning")
            return
        kind, text = self.answered

        def chosen(request: ExportRequest | None) -> None:
            if request is not None:
                self.export(kind, text, request)

        scope = "the whole answer to the SQL" if kind == "sql" else f"the matches for “{text}”"
        self.app.push_screen(ExportDialog("query", scope), chosen)

    @work(exclusive=True, group="export", exit_on_error=False)
    async def export(self, kind: Kind, text: str, request: ExportRequest) -> None:
        """Every page of the answer, written as it arrives to a file beside the target, which
        then takes its place: a failed export leaves no half-written file."""
        part = request.path.with_name(request.path.name + ".part")
        out = await asyncio.to_thread(open, part, "w", encoding="utf-8")
        rows, truncated, offset = 0, False, 0
        try:
            while True:
                page = await self.fetch_page(kind, text, offset, EXPORT_PAGE)
                records = [dict(zip(page.columns, row, strict=True)) for row in page.rows]
                last = page.next_offset is None
                piece = render_chunk(page.columns, records, request.format, first=offset == 0, last=last)
                await asyncio.to_thread(out.write, piece)  # off the event loop: an answer can be large
                rows += len(records)
                if page.next_offset is None:
                    truncated = page.truncated
                    break
                offset = page.next_offset
            await asyncio.to_thread(out.close)
            await asyncio.to_thread(os.replace, part, request.path)
        except BaseException:
            out.close()
            Path(part).unlink(missing_ok=True)
            raise
        self.post_message(RowsExported(request.path, rows, truncated, request.format))
