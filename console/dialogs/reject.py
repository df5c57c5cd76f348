"""Reject one proposal or several marked ones: one reason is required (it goes into the
audit trail of each)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.widgets import Label, Static

from daemon.protocol.proposals import Proposal

from ..widgets.form_input import FormInput
from .form_dialog import FormDialog, dialog_bindings, text_row


class RejectDialog(FormDialog[str | None]):
    """Returns the reason, or None when cancelled."""

    AUTO_FOCUS = "#reject-reason"
    BINDINGS = dialog_bindings("reject", "Close without deciding")
    PREFIX = "reject"
    SUBMIT_VARIANT = "error"

    def __init__(self, proposals: Proposal | list[Proposal]) -> None:
        super().__init__()
        self.proposals = proposals if isinstance(proposals, list) else [proposals]

    def submit_label(self) -> str:
        n = len(self.proposals)
        return "Reject" if n == 1 else f"Reject {n}"

    def compose_form(self) -> ComposeResult:
        ps = self.proposals
        if len(ps) == 1:
            p = ps[0]
            yield Label(f"Reject proposal #{p.id}: {p.kind} in {p.table}", classes="dialog-title")
            yield Static(p.source or p.created_by, classes="dialog-hint")
        else:
            yield Label(f"Reject {len(ps)} proposals, with one reason", classes="dialog-title")
            shown = ", ".join(f"#{p.id} ({p.table})" for p in ps[:12]) + (" …" if len(ps) > 12 else "")
            yield Static(shown, classes="dialog-hint")
        yield from text_row("reason *", "reject-reason", placeholder="why it is rejected (required)")

    def action_submit(self) -> None:
        reason = self.query_one("#reject-reason", FormInput).value.strip()
        if not reason:
            self.show_error("A reason is required.")
            return
        self.finish(reason)
