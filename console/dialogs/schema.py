"""Propose a schema change from the console: a new field in a table, or a new table.

The form shows a sketch of the statements as it is filled in; the daemon's proposal
(proposals.schema_tweak) carries the exact DDL and the rows it touches, and it waits for an
operator's approval (schema changes are never automatic)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Checkbox, Label, Select, Static

from ..widgets.form_input import FormInput
from .form_dialog import FormDialog, dialog_bindings, text_row

TYPES = ("string", "text", "integer", "float", "boolean", "datetime", "json", "list")
SQL_TYPES = {
    "string": "TEXT",
    "text": "TEXT",
    "integer": "INTEGER",
    "float": "REAL",
    "boolean": "BOOLEAN",
    "datetime": "DATETIME",
    "json": "JSON",
    "list": "JSON",
}
NAME = re.compile(r"^[a-z][a-z0-9_]*$")


@dataclass
class SchemaRequest:
    """proposals.schema_tweak's params."""

    params: dict[str, Any] = field(default_factory=dict)


def parse_fields(text: str) -> list[dict[str, Any]]:
    """``title:string, pages:integer`` -> field definitions (ValueError with a reason)."""
    fields = []
    for part in (p.strip() for p in text.split(",")):
        if not part:
            continue
        name, _, ftype = part.partition(":")
        name, ftype = name.strip(), (ftype.strip() or "string")
        if not NAME.match(name):
            raise ValueError(f"{name!r} is not a field name (lowercase letters, digits, _)")
        if ftype not in TYPES:
            raise ValueError(f"{ftype!r} is not a type; one of {', '.join(TYPES)}")
        fields.append({"name": name, "type": ftype})
    return fields


def sketch(params: dict[str, Any]) -> str:
    """What the statements will look like (the daemon's preview is the exact one)."""
    if params.get("action") == "add_column" and params.get("field"):
        f = params["field"]
        null = " NOT NULL" if f.get("required") else ""
        return f'ALTER TABLE "memory_{params["table"]}" ADD COLUMN "{f["name"]}" {SQL_TYPES[f["type"]]}{null}'
    if params.get("action") == "create_table":
        columns = ['"id" INTEGER PRIMARY KEY', "…the columns every table has…"]
        columns += [f'"{f["name"]}" {SQL_TYPES[f["type"]]}' for f in params.get("fields", [])]
        return f'CREATE TABLE "memory_{params["table"]}" (\n  ' + ",\n  ".join(columns) + "\n)"
    return ""


class SchemaDialog(FormDialog[SchemaRequest | None]):
    AUTO_FOCUS = "#schema-action"
    BINDINGS = dialog_bindings(
        "schema", "Close without proposing anything", ("Propose", "Propose the change (it waits for approval)")
    )
    PREFIX = "schema"
    SUBMIT_LABEL = "Propose"

    def __init__(self, table: str | None) -> None:
        super().__init__()
        self.table = table or ""

    def compose_form(self) -> ComposeResult:
        yield Label("Propose a schema change", classes="dialog-title")
        with Horizontal(classes="form-row"):
            yield Label("change", classes="form-label")
            yield Select(
                [("a new field in a table", "add_column"), ("a new table", "create_table")],
                value="add_column",
                allow_blank=False,
                id="schema-action",
                compact=True,
            )
        yield from text_row(
            "table *", "schema-table", self.table, placeholder="the table (a new one: lowercase, digits, _)"
        )
        yield from text_row("field *", "schema-field", row_id="schema-field-row", placeholder="the new field's name")
        with Horizontal(classes="form-row", id="schema-type-row"):
            yield Label("type", classes="form-label")
            yield Select([(t, t) for t in TYPES], value="string", allow_blank=False, id="schema-type", compact=True)
        with Horizontal(classes="form-row", id="schema-required-row"):
            yield Label("", classes="form-label")
            yield Checkbox("required", False, id="schema-required", compact=True)
        yield from text_row(
            "fields *", "schema-fields", row_id="schema-fields-row", placeholder="name:type, name:type, …"
        )
        yield from text_row("description", "schema-description", placeholder="what it holds")
        yield from text_row("reasoning", "schema-reasoning", placeholder="why (shown with the proposal)")
        yield Label("DDL preview (a sketch: the proposal shows the daemon's exact statements)", classes="dialog-hint")
        yield Static("", id="schema-preview", classes="ddl")

    def on_mount(self) -> None:
        self.show_action()

    def chosen_action(self) -> str:
        value = self.query_one("#schema-action", Select).value
        return value if isinstance(value, str) else "add_column"

    @on(Select.Changed, "#schema-action")
    def show_action(self) -> None:
        adding = self.chosen_action() == "add_column"
        for row in ("#schema-field-row", "#schema-type-row", "#schema-required-row"):
            self.query_one(row).display = adding
        self.query_one("#schema-fields-row").display = not adding
        self.update_preview()

    @on(FormInput.Changed)
    @on(Select.Changed)
    @on(Checkbox.Changed)
    def update_preview(self) -> None:
        try:
            text = sketch(self.params())
        except ValueError as e:
            text = f"({e})"
        self.query_one("#schema-preview", Static).update(text)

    def params(self) -> dict[str, Any]:
        """The params of proposals.schema_tweak from the form (ValueError when incomplete)."""

        def value(selector: str) -> str:
            return self.query_one(selector, FormInput).value.strip()

        table = value("#schema-table")
        if not NAME.match(table):
            raise ValueError("a table name: lowercase letters, digits and _")
        params: dict[str, Any] = {
            "action": self.chosen_action(),
            "table": table,
            "reasoning": value("#schema-reasoning"),
        }
        description = value("#schema-description")
        if params["action"] == "add_column":
            name = value("#schema-field")
            if not NAME.match(name):
                raise ValueError("a field name: lowercase letters, digits and _")
            ftype = self.query_one("#schema-type", Select).value
            params["field"] = {
                "name": name,
                "type": ftype,
                "required": self.query_one("#schema-required", Checkbox).value,
                "description": description,
            }
        else:
            fields = parse_fields(value("#schema-fields"))
            if not fields:
                raise ValueError("at least one field: name:type, …")
            params["fields"] = fields
            params["description"] = description
        return params

    def action_submit(self) -> None:
        try:
            params = self.params()
        except ValueError as e:
            self.show_error(str(e))
            return
        self.finish(SchemaRequest(params))
