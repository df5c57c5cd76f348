"""Edit a row. Saving does not change the row: it creates an update proposal made against
the version shown, which waits for an operator unless the policy lets your own edits through."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from textual.app import ComposeResult
from textual.widgets import Label, Static

from daemon.protocol.tables import TableDescription

from ..formatting import guess_type
from ..widgets.fields_form import FieldsForm, FormError, FormField
from ..widgets.form_input import FormInput
from .form_dialog import FormDialog, dialog_bindings, text_row


@dataclass
class RowEdit:
    fields: dict[str, Any]  # changed values only
    reasoning: str


def row_fields(table: TableDescription, row: dict[str, Any]) -> list[FormField]:
    """Every field an edit may change: the table's own fields, not the common columns."""
    described = [
        FormField(f.name, f.type, row.get(f.name), f.required, f.description) for f in table.fields if not f.common
    ]
    known = {f.name for f in table.fields}
    extra = [FormField(name, guess_type(value), value) for name, value in row.items() if name not in known]
    return described + extra


class EditRowDialog(FormDialog[RowEdit | None]):
    AUTO_FOCUS = "FormInput"  # the first field, ready to type into
    BINDINGS = dialog_bindings("edit", "Close without proposing anything", ("Propose", "Propose the changed values"))
    PREFIX = "edit"
    SUBMIT_LABEL = "Propose change"

    def __init__(self, table: TableDescription, row: dict[str, Any]) -> None:
        super().__init__()
        self.table = table
        self.row = row

    def compose_form(self) -> ComposeResult:
        yield Label(
            f"Edit {self.table.name} row {self.row.get('id')} (version {self.row.get('version')})",
            classes="dialog-title",
        )
        yield Static(
            "Saving creates an update proposal against this version: it waits in Proposals for "
            "an operator's approval (unless the policy lets your own edits through).",
            classes="dialog-hint",
        )
        yield FieldsForm(row_fields(self.table, self.row), id="edit-fields")
        yield from text_row("reasoning", "edit-reasoning", placeholder="why (shown with the proposal)")

    def action_submit(self) -> None:
        try:
            fields = self.query_one(FieldsForm).changes()
        except FormError as e:
            self.show_error(str(e))
            return
        if not fields:
            self.show_error("Nothing changed.")
            return
        self.finish(RowEdit(fields, self.query_one("#edit-reasoning", FormInput).value.strip()))
