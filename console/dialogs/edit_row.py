"""Edit a row. Saving does not change the row: it creates an update proposal made against
the version shown, which waits for an operator unless the policy lets your own edits through."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Footer, Label, Static

from daemon.protocol.tables import TableDescription

from ..formatting import guess_type
from ..widgets.fields_form import FieldsForm, FormError, FormField
from ..widgets.form_input import FormInput
from .confirm import daemon_reachable


@dataclass
class RowEdit:
    fields: dict[str, Any]  # changed values only
    reasoning: str


def row_fields(table: TableDescription, row: dict[str, Any]) -> list[FormField]:
    """Every field an edit may change: the table's own fields, not the common columns."""
    described = [FormField(f.name, f.type, row.get(f.name), f.required, f.description)
                 for f in table.fields if not f.common]
    known = {f.name for f in table.fields}
    extra = [FormField(name, guess_type(value), value) for name, value in row.items() if name not in known]
    return described + extra


class EditRowDialog(ModalScreen[RowEdit | None]):
    AUTO_FOCUS = "FormInput"  # the first field, ready to type into
    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="edit-cancel", tooltip="Close without proposing anything"),
        Binding("ctrl+s", "submit", "Propose", id="edit-submit", tooltip="Propose the changed values"),
    ]

    def __init__(self, table: TableDescription, row: dict[str, Any]) -> None:
        super().__init__()
        self.table = table
        self.row = row

    def compose(self) -> ComposeResult:
        with VerticalScroll(classes="dialog", id="edit-dialog"):
            yield Label(f"Edit {self.table.name} row {self.row.get('id')} (version {self.row.get('version')})",
                        classes="dialog-title")
            yield Static("Saving creates an update proposal against this version: it waits in Proposals for "
                         "an operator's approval (unless the policy lets your own edits through).",
                         classes="dialog-hint")
            yield FieldsForm(row_fields(self.table, self.row), id="edit-fields")
            with Horizontal(classes="form-row"):
                yield Label("reasoning", classes="form-label")
                yield FormInput(placeholder="why (shown with the proposal)", id="edit-reasoning", classes="form-input",
                            compact=True)
            yield Static("", id="edit-error", classes="dialog-error")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Propose change", variant="primary", id="edit-ok")
                yield Button("Cancel", id="edit-no")
        yield Footer(compact=True, show_command_palette=False)

    @on(FormInput.Submitted)
    @on(Button.Pressed, "#edit-ok")
    def action_submit(self) -> None:
        error = self.query_one("#edit-error", Static)
        try:
            fields = self.query_one(FieldsForm).changes()
        except FormError as e:
            error.update(str(e))
            return
        if not fields:
            error.update("Nothing changed.")
            return
        if not daemon_reachable(self):
            return
        self.dismiss(RowEdit(fields, self.query_one("#edit-reasoning", FormInput).value.strip()))

    @on(Button.Pressed, "#edit-no")
    def action_cancel(self) -> None:
        self.dismiss(None)
