"""Reject one proposal or several marked ones: one reason is required (it goes into the
audit trail of each)."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Footer, Label, Static

from daemon.protocol.proposals import Proposal

from ..widgets.form_input import FormInput
from .confirm import daemon_reachable


class RejectDialog(ModalScreen[str | None]):
    """Returns the reason, or None when cancelled."""

    AUTO_FOCUS = "#reject-reason"
    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="reject-cancel", tooltip="Close without deciding"),
    ]

    def __init__(self, proposals: Proposal | list[Proposal]) -> None:
        super().__init__()
        self.proposals = proposals if isinstance(proposals, list) else [proposals]

    def compose(self) -> ComposeResult:
        ps = self.proposals
        with Vertical(classes="dialog", id="reject-dialog"):
            if len(ps) == 1:
                p = ps[0]
                yield Label(f"Reject proposal #{p.id}: {p.kind} in {p.table}", classes="dialog-title")
                yield Static(p.source or p.created_by, classes="dialog-hint")
            else:
                yield Label(f"Reject {len(ps)} proposals, with one reason", classes="dialog-title")
                shown = ", ".join(f"#{p.id} ({p.table})" for p in ps[:12]) + (" …" if len(ps) > 12 else "")
                yield Static(shown, classes="dialog-hint")
            with Horizontal(classes="form-row"):
                yield Label("reason *", classes="form-label")
                yield FormInput(placeholder="why it is rejected (required)", id="reject-reason", classes="form-input")
            yield Static("", id="reject-error", classes="dialog-error")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Reject" if len(ps) == 1 else f"Reject {len(ps)}", variant="error", id="reject-ok")
                yield Button("Cancel", id="reject-no")
        yield Footer(compact=True, show_command_palette=False)

    @on(FormInput.Submitted)
    @on(Button.Pressed, "#reject-ok")
    def submit(self) -> None:
        reason = self.query_one("#reject-reason", FormInput).value.strip()
        if not reason:
            self.query_one("#reject-error", Static).update("A reason is required.")
            return
        if daemon_reachable(self):
            self.dismiss(reason)

    @on(Button.Pressed, "#reject-no")
    def action_cancel(self) -> None:
        self.dismiss(None)
