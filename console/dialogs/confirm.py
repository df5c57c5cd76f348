"""Ask before doing something: a question, what it concerns, and optionally a line of text
(a reason or a note), required or not. Returns the text ("" when none was asked for or
given), or None when cancelled. While the daemon is unreachable the dialog stays open
with its text, so nothing typed is lost."""

from __future__ import annotations

from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Footer, Label, Static

from ..widgets.form_input import FormInput


def daemon_reachable(screen: ModalScreen[Any]) -> bool:
    """Whether a dialog may hand its answer over; if not, it says why and keeps its text."""
    if getattr(screen.app, "reachable", True):
        return True
    screen.notify("clarityd is unreachable: the dialog stays open with what you typed; "
                  "submit again once the banner is gone.", title="Not sent", severity="warning")
    return False


class ConfirmDialog(ModalScreen[str | None]):
    AUTO_FOCUS = "#confirm-text, #confirm-ok"
    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="confirm-cancel", tooltip="Close without doing anything"),
    ]

    def __init__(self, title: str, body: str, action: str, *, text_label: str | None = None,
                 placeholder: str = "", required: bool = False, variant: str = "primary",
                 dialog_id: str = "confirm-dialog") -> None:
        super().__init__()
        self.title_text = title
        self.body = body
        self.action_label = action
        self.text_label = text_label
        self.placeholder = placeholder
        self.required = required
        self.variant = variant
        self.dialog_id = dialog_id

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id=self.dialog_id):
            yield Label(self.title_text, classes="dialog-title")
            if self.body:
                yield Static(self.body, classes="dialog-hint", id="confirm-body")
            if self.text_label is not None:
                with Horizontal(classes="form-row"):
                    yield Label(self.text_label + (" *" if self.required else ""), classes="form-label")
                    yield FormInput(placeholder=self.placeholder, id="confirm-text", classes="form-input")
            yield Static("", id="confirm-error", classes="dialog-error")
            with Horizontal(classes="dialog-buttons"):
                yield Button(self.action_label, variant=self.variant, id="confirm-ok")  # type: ignore[arg-type]
                yield Button("Cancel", id="confirm-no")
        yield Footer(compact=True, show_command_palette=False)

    @on(FormInput.Submitted)
    @on(Button.Pressed, "#confirm-ok")
    def submit(self) -> None:
        text = self.query_one("#confirm-text", FormInput).value.strip() if self.text_label is not None else ""
        if self.required and not text:
            self.query_one("#confirm-error", Static).update(f"A {self.text_label} is required.")
            return
        if daemon_reachable(self):
            self.dismiss(text)

    @on(Button.Pressed, "#confirm-no")
    def action_cancel(self) -> None:
        self.dismiss(None)
