"""Approve a proposal, optionally moving an insert to another table, leaving a note for the
audit trail (these two first, always in sight) and correcting its fields."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from textual.app import ComposeResult
from textual.widgets import Label, Static

from daemon.protocol.proposals import Proposal
from daemon.protocol.tables import TableDescription

from ..formatting import COMMON_FIELDS, cell, guess_type
from ..proposal_view import changes, ddl_text
from ..widgets.fields_form import FieldsForm, FormError, FormField
from ..widgets.form_input import FormInput
from .form_dialog import FormDialog, dialog_bindings, text_row


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
        fields.append(
            FormField(
                name,
                info.type if info else guess_type(payload.get(name)),
                payload.get(name),
                info.required if info else False,
                info.description if info else "",
            )
        )
    return fields


class ApproveDialog(FormDialog[ApproveDecision | None]):
    AUTO_FOCUS = "FormInput"  # the first field, ready to type into
    BINDINGS = dialog_bindings("approve", "Close without deciding", ("Approve", "Approve with the values shown"))
    PREFIX = "approve"
    SUBMIT_LABEL = "Approve"
    SUBMIT_VARIANT = "success"

    def __init__(
        self, proposal: Proposal, table: TableDescription | None, current: dict[str, Any] | None = None
    ) -> None:
        super().__init__()
        self.proposal = proposal
        self.table = table
        self.current = current

    def compose_form(self) -> ComposeResult:
        p = self.proposal
        yield Label(
            f"Approve proposal #{p.id}: {p.kind} in {p.table} (confidence {p.confidence:.2f})", classes="dialog-title"
        )
        if p.reasoning:
            yield Static(p.reasoning, classes="dialog-hint")
        # Table and note first: a record's fields may be many, and these must be in sight at 80×24.
        if p.kind == "insert":
            yield from text_row(
                "table", "approve-table", p.table, tooltip="Move the row to another table (fields it lacks are dropped)"
            )
        yield from text_row("note", "approve-note", placeholder="why (kept in the audit trail)")
        if self.current is not None and p.kind == "update":
            diff = "\n".join(f"  {k}: {v}" for k, v in changes(self.current, p.payload).items())
            yield Static(
                f"Row {p.table}/{p.row_id} (version {self.current.get('version')}), before → after:\n{diff}",
                classes="dialog-hint",
                id="approve-diff",
            )
        elif self.current is not None:
            now = self.current
            shown = ", ".join(f"{k}={cell(self.current.get(k), 40)}" for k in now if k not in COMMON_FIELDS)
            yield Static(
                f"Row {p.table}/{p.row_id} now (version {self.current.get('version')}): {shown}", classes="dialog-hint"
            )
        if p.kind in ("insert", "update"):
            yield Static(
                "Correct any value before approving (empty = null; lists and objects as JSON).", classes="dialog-hint"
            )
            yield FieldsForm(form_fields(p, self.table), id="approve-fields")
        elif p.preview:
            yield Static("DDL preview:\n" + ddl_text(p.preview), classes="dialog-hint", id="approve-ddl")

    def on_mount(self) -> None:
        # The first field of the record, ready to correct (table and note are above it, in sight).
        first = self.query("#approve-fields FormInput")
        if first:
            self.set_focus(first.first(), scroll_visible=False)  # the dialog's top (table, note) stays in sight

    def action_submit(self) -> None:
        try:
            fields = self.query_one(FieldsForm).changes() if self.query(FieldsForm) else {}
        except FormError as e:
            self.show_error(str(e))
            return
        table = self.query_one("#approve-table", FormInput).value.strip() if self.query("#approve-table") else ""
        note = self.query_one("#approve-note", FormInput).value.strip()
        self.finish(
            ApproveDecision(fields or None, table if table and table != self.proposal.table else None, note or None)
        )
