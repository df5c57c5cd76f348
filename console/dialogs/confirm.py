"""Ask before doing something: a question, what it concerns, and optionally a line of text
(a reason or a note), required or not. Returns the text ("" when none was asked for or
given), or None when cancelled. While the daemon is unreachable the dialog stays open
with its text, so nothing typed is lost."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.widgets import Label, Static
from textual.widgets.button import ButtonVariant

from ..widgets.form_input import FormInput
from .form_dialog import FormDialog, dialog_bindings, text_row


class ConfirmDialog(FormDialog[str | None]):
    AUTO_FOCUS = "#confirm-text, #confirm-ok"
    BINDINGS = dialog_bindings("confirm", "Close without doing anything")
    PREFIX = "confirm"

    def __init__(
        self,
        title: str,
        body: str,
        action: str,
        *,
        text_label: str | None = None,
        placeholder: str = "",
        required: bool = False,
        variant: ButtonVariant = "primary",
        dialog_id: str = "confirm-dialog",
    ) -> None:
        super().__init__()
        self.title_text = title
        self.body = body
        self.action_label = action
        self.text_label = text_label
        self.placeholder = placeholder
        self.required = required
        self.variant: ButtonVariant = variant
        self._dialog_id = dialog_id

    @property
    def dialog_id(self) -> str:
        return self._dialog_id

    def submit_label(self) -> str:
        return self.action_label

    def submit_variant(self) -> ButtonVariant:
        return self.variant

    def compose_form(self) -> ComposeResult:
        yield Label(self.title_text, classes="dialog-title")
        if self.body:
            yield Static(self.body, classes="dialog-hint", id="confirm-body")
        if self.text_label is not None:
            yield from text_row(
                self.text_label + (" *" if self.required else ""), "confirm-text", placeholder=self.placeholder
            )

    def action_submit(self) -> None:
        text = self.query_one("#confirm-text", FormInput).value.strip() if self.text_label is not None else ""
        if self.required and not text:
            self.show_error(f"A {self.text_label} is required.")
            return
        self.finish(text)
