"""Reject a proposal: a reason is required (it goes into the audit trail)."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Footer, Input, Label, Static

from daemon.protocol.proposals import Proposal


class RejectDialog(ModalScreen[str | None]):
    """Returns the reason, or None when cancelled."""

    AUTO_FOCUS = "Input"  # the first field, ready to type into
    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="reject-cancel", tooltip="Close without deciding"),
    ]

    def __init__(self, proposal: Proposal) -> None:
        super().__init__()
        self.proposal = proposal

    def compose(self) -> ComposeResult:
        p = self.proposal
        with Vertical(classes="dialog", id="reject-dialog"):
            yield Label(f"Reject proposal #{p.id}: {p.kind} in {p.table}", classes="dialog-title")
            yield Static(p.source or p.created_by, classes="dialog-hint")
            with Horizontal(classes="form-row"):
                yield Label("reason *", classes="form-label")
                yield Input(placeholder="why it is rejected (required)", id="reject-reason", classes="form-input",
                            compact=True)
            yield Static("", id="reject-error", classes="dialog-error")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Reject", variant="error", id="reject-ok")
                yield Button("Cancel", id="reject-no")
        yield Footer(compact=True)

    @on(Input.Submitted)
    @on(Button.Pressed, "#reject-ok")
    def submit(self) -> None:
        reason = self.query_one("#reject-reason", Input).value.strip()
        if not reason:
            self.query_one("#reject-error", Static).update("A reason is required.")
            return
        self.dismiss(reason)

    @on(Button.Pressed, "#reject-no")
    def action_cancel(self) -> None:
        self.dismiss(None)
