"""Narrow a table's rows to those whose column has a value, and sort them by any column."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.widgets import Button, Checkbox, Label, Select

from daemon.protocol.tables import TableDescription

from ..formatting import parse_value
from ..widgets.form_input import FormInput
from .form_dialog import FormDialog, dialog_bindings, text_row


@dataclass(frozen=True)
class RowQuery:
    """A column filter (``column`` = ``value``; a value with % matches as LIKE) and a sort."""

    column: str = ""
    text: str = ""  # the value as typed
    sort: str = "id"
    descending: bool = False
    filters: dict[str, Any] = field(default_factory=dict)  # rows.list's filters for it

    def describe(self) -> str:
        return f"{self.column} = “{self.text}”" if self.column else ""


def filters_for(column: str, text: str, field_type: str) -> dict[str, Any]:
    """rows.list filters: equality, ``like`` when the text has a %, ``is_null`` when empty."""
    if not column:
        return {}
    if text.strip() == "":
        return {column: {"is_null": True}}
    if "%" in text and field_type in ("string", "text"):
        return {column: {"like": text.strip()}}
    return {column: parse_value(text, field_type)}


class RowFilterDialog(FormDialog[RowQuery | None]):
    AUTO_FOCUS = "#row-filter-column"
    BINDINGS = [
        *dialog_bindings("row-filter", "Keep the rows as they are", ("Apply", "Filter and sort"), submit_id="apply"),
        Binding("ctrl+r", "clear", "Clear", id="row-filter-clear", tooltip="Every row, by id"),
    ]
    PREFIX = "row-filter"
    SCROLLS = False
    SUBMIT_LABEL = "Apply"

    def __init__(self, table: TableDescription, current: RowQuery) -> None:
        super().__init__()
        self.table = table
        self.current = current
        self.types = {f.name: f.type for f in table.fields}

    def compose_form(self) -> ComposeResult:
        names = [f.name for f in self.table.fields]
        q = self.current
        yield Label(f"Filter and sort {self.table.name}", classes="dialog-title")
        with Horizontal(classes="form-row"):
            yield Label("column", classes="form-label")
            yield Select(
                [("(no filter)", ""), *[(n, n) for n in names]],
                value=q.column,
                allow_blank=False,
                id="row-filter-column",
                compact=True,
            )
        yield from text_row(
            "equals", "row-filter-value", q.text, placeholder="a value (% for any text; empty: no value)"
        )
        with Horizontal(classes="form-row"):
            yield Label("sort by", classes="form-label")
            yield Select(
                [(n, n) for n in names],
                value=q.sort if q.sort in names else "id",
                allow_blank=False,
                id="row-filter-sort",
                compact=True,
            )
        with Horizontal(classes="form-row"):
            yield Label("", classes="form-label")
            yield Checkbox("descending", q.descending, id="row-filter-descending", compact=True)

    def compose_more_buttons(self) -> ComposeResult:
        yield Button("Clear", id="row-filter-reset")

    def action_submit(self) -> None:
        column = self.query_one("#row-filter-column", Select).value
        column = column if isinstance(column, str) else ""
        text = self.query_one("#row-filter-value", FormInput).value
        sort = self.query_one("#row-filter-sort", Select).value
        try:
            filters = filters_for(column, text, self.types.get(column, "string"))
        except ValueError as e:
            self.show_error(f"{column}: {e}")
            return
        self.dismiss(
            RowQuery(
                column,
                text.strip() if column else "",
                sort if isinstance(sort, str) else "id",
                self.query_one("#row-filter-descending", Checkbox).value,
                filters,
            )
        )

    @on(Button.Pressed, "#row-filter-reset")
    def action_clear(self) -> None:
        self.dismiss(RowQuery())
