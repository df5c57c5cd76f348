"""Ask the memory directly: one read-only SQL statement (``query.sql``, operators only; a reader
is told so in words) or, after ``/``, full-text search across every table (``query.search``).
The answer fills a table; a truncated answer says so in the status line."""

from __future__ import annotations

from typing import Any, Literal

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.reactive import reactive
from textual.widgets import DataTable, Footer, Header, Static, TextArea

from daemon.protocol.query import Hit, SqlResult

from ..formatting import cell
from .base import ClarityScreen

MAX_ROWS = 1000
CELL_WIDTH = 60

Kind = Literal["sql", "search"]


class QueryScreen(ClarityScreen):
    MODE = "query"
    TITLE = "Clarity · Query"
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
    ]

    kind: reactive[Kind] = reactive("sql")
    """What the box holds: one SQL statement, or words to search for."""

    class Answered(Message):
        """The daemon answered: column names, rows of cells, and whether it stopped early."""

        def __init__(self, kind: Kind, columns: list[str], rows: list[list[Any]], truncated: bool) -> None:
            super().__init__()
            self.kind = kind
            self.columns = columns
            self.rows = rows
            self.truncated = truncated

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("", id="query-status", classes="status")
        yield TextArea("SELECT 1 AS one", id="query-box", language=None, show_line_numbers=False)
        yield DataTable(id="query-results", zebra_stripes=True)
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        self.watch_kind(self.kind)
        self.query_one("#query-box", TextArea).focus()

    def watch_kind(self, kind: Kind) -> None:
        box = self.query_one("#query-box", TextArea)
        box.border_title = "SQL (read-only, operators)" if kind == "sql" else "Search every table"
        self.query_one("#query-status", Static).update(
            f"{'SQL' if kind == 'sql' else 'Search'} · Ctrl+R runs · Ctrl+T or / switches"
        )

    def action_toggle_kind(self) -> None:
        self.kind = "search" if self.kind == "sql" else "sql"
        box = self.query_one("#query-box", TextArea)
        box.text = ""
        box.focus()

    def action_refresh(self) -> None:
        """Nothing follows live events here: an answer stays as it was given."""

    def action_run(self) -> None:
        text = self.query_one("#query-box", TextArea).text.strip()
        if not text:
            self.notify("Type something to run first.", severity="warning")
            return
        self.query_one("#query-status", Static).update("asking…")
        self.run_query(self.kind, text)

    @work(exclusive=True, group="query", exit_on_error=False)
    async def run_query(self, kind: Kind, text: str) -> None:
        if kind == "sql":
            result: SqlResult = await self.client.query.sql(sql=text, max_rows=MAX_ROWS)
            self.post_message(self.Answered(kind, result.columns, result.rows, result.truncated))
        else:
            hits: list[Hit] = await self.client.query.search(text=text)
            rows: list[list[Any]] = [[h.table, h.id, h.title, h.snippet] for h in hits]
            self.post_message(self.Answered(kind, ["table", "id", "title", "snippet"], rows, False))

    def on_query_screen_answered(self, message: QueryScreen.Answered) -> None:
        table = self.query_one("#query-results", DataTable)
        table.clear(columns=True)
        for name in message.columns:
            table.add_column(name)
        for row in message.rows:
            texts = (cell(v, CELL_WIDTH) for v in row)
            table.add_row(*(Text(t, no_wrap=True) for t in texts))  # never markup
        n = len(message.rows)
        what = "row" if message.kind == "sql" else "match"
        status = f"{n} {what}{'' if n == 1 else ('es' if what == 'match' else 's')}"
        if message.truncated:
            status += " · truncated: the daemon stopped early (narrow the query)"
        self.query_one("#query-status", Static).update(status)
