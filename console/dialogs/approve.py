"""Approve a proposal, optionally correcting its fields, moving an insert to another table,
and leaving a note for the audit trail."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Footer, Label, Static

from daemon.protocol.proposals import Proposal
from daemon.protocol.tables import TableDescription

from ..formatting import COMMON_FIELDS, cell, guess_type
from ..proposal_view import changes, ddl_text
from ..widgets.fields_form import FieldsForm, FormError, FormField
from ..widgets.form_input import FormInput
from .confirm import daemon_reachable


@dataclass
class ApproveDecision:
    fields: dict[str, Any] | None  # corrected values only; None when nothing was corrected
    table: str | None  # another table for an insert; None to keep it
    note: str | None


def form_fields(proposal: Proposal, table: TableDescription | None) -> list[FormField]:
    """The fields an operator may correct: for an insert, every field of the table (the
    proposed values filled in, then fields the table lacks); for an update, the changed ones."""
    payload = proposal.payload
    described = {f.name: f for f in table.fields} if table else {}
    names = list(payload)
    if proposal.kind == "insert" and table:
        names = [f.name for f in table.fields if not f.common] + [n for n in payload if n not in described]
    fields = []
    for name in names:
        if name in COMMON_FIELDS and name not in payload:
            continue
        info = described.get(name)
        fields.append(FormField(name, info.type if info else guess_type(payload.get(name)), payload.get(name),
                                info.required if info else False, info.description if info else ""))
    return fields


class ApproveDialog(ModalScreen[ApproveDecision | None]):
    AUTO_FOCUS = "FormInput"  # the first field, ready to type into
    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="approve-cancel", tooltip="Close without deciding"),
        Binding("ctrl+s", "submit", "Approve", id="approve-submit", tooltip="Approve with the values shown"),
    ]

    def __init__(self, proposal: Proposal, table: TableDescription | None,
                 current: dict[str, Any] | None = None) -> None:
        super().__init__()
        self.proposal = proposal
        self.table = table
        self.current = current

    def compose(self) -> ComposeResult:
        p = self.proposal
        with VerticalScroll(classes="dialog", id="approve-dialog"):
            yield Label(f"Approve proposal #{p.id}: {p.kind} in {p.table} (confidence {p.confidence:.2f})",
                        classes="dialog-title")
            if p.reasoning:
                yield Static(p.reasoning, classes="dialog-hint")
            if self.current is not None and p.kind == "update":
                diff = "\n".join(f"  {k}: {v}" for k, v in changes(self.current, p.payload).items())
                yield Static(f"Row {p.table}/{p.row_id} (version {self.current.get('version')}), before → after:\n"
                             f"{diff}", classes="dialog-hint", id="approve-diff")
            elif self.current is not None:
                now = self.current
                shown = ", ".join(f"{k}={cell(self.current.get(k), 40)}" for k in now if k not in COMMON_FIELDS)
                yield Static(f"Row {p.table}/{p.row_id} now (version {self.current.get('version')}): {shown}",
                             classes="dialog-hint")
            if p.kind in ("insert", "update"):
                yield Static("Correct any value before approving (empty = null; lists and objects as JSON).",
                             classes="dialog-hint")
                yield FieldsForm(form_fields(p, self.table), id="approve-fields")
            elif p.preview:
                yield Static("DDL preview:\n" + ddl_text(p.preview), classes="dialog-hint", id="approve-ddl")
            if p.kind == "insert":
                with Horizontal(classes="form-row"):
                    yield Label("table", classes="form-label")
                    yield FormInput(p.table, id="approve-table", classes="form-input",
                                tooltip="Move the row to another table (fields it lacks are dropped)")
            with Horizontal(classes="form-row"):
                yield Label("note", classes="form-label")
                yield FormInput(placeholder="why (kept in the audit trail)", id="approve-note", classes="form-input",
                            compact=True)
            yield Static("", id="approve-error", classes="dialog-error")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Approve", variant="success", id="approve-ok")
                yield Button("Cancel", id="approve-no")
        yield Footer(compact=True, show_command_palette=False)

    @on(FormInput.Submitted)
    @on(Button.Pressed, "#approve-ok")
    def action_submit(self) -> None:
        error = self.query_one("#approve-error", Static)
        try:
            fields = self.query_one(FieldsForm).changes() if self.query(FieldsForm) else {}
        except FormError as e:
            error.update(str(e))
            return
        table = self.query_one("#approve-table", FormInput).value.strip() if self.query("#approve-table") else ""
        note = self.query_one("#approve-note", FormInput).value.strip()
        if not daemon_reachable(self):
            return
        self.dismiss(ApproveDecision(fields or None, table if table and table != self.proposal.table else None,
                                     note or None))

    @on(Button.Pressed, "#approve-no")
    def action_cancel(self) -> None:
        self.dismiss(None)
