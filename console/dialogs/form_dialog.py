"""The frame every form dialog shares, so each dialog holds only what differs: its own
content (``compose_form``) and what submitting reads (``action_submit``).

Under the content, always in sight (docked, so a long form scrolls above them and even at
80×24 they are on screen): an error line when there is one, the submit and Cancel buttons;
then a compact footer. Enter in any input or the submit button submits; Escape or Cancel
dismisses with None. Inputs are FormInputs: they open with nothing selected, so typing adds
to a value. While the daemon is unreachable a dialog stays open with what was typed
(``finish``), so nothing is lost.
"""

from __future__ import annotations

from typing import Any, ClassVar, TypeVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Footer, Label, Static
from textual.widgets.button import ButtonVariant

from ..widgets.form_input import FormInput

ResultT = TypeVar("ResultT")


def daemon_reachable(screen: ModalScreen[Any]) -> bool:
    """Whether a dialog may hand its answer over; if not, it says why and keeps its text."""
    if getattr(screen.app, "reachable", True):
        return True
    screen.notify(
        "clarityd is unreachable: the dialog stays open with what you typed; submit again once the banner is gone.",
        title="Not sent",
        severity="warning",
    )
    return False


def dialog_bindings(
    prefix: str, cancel_tooltip: str, submit: tuple[str, str] | None = None, submit_id: str = "submit"
) -> list[BindingType]:
    """Escape cancels (``{prefix}-cancel``); with ``submit`` = (label, tooltip), Ctrl+S submits
    (``{prefix}-{submit_id}``)."""
    bindings: list[BindingType] = [Binding("escape", "cancel", "Cancel", id=f"{prefix}-cancel", tooltip=cancel_tooltip)]
    if submit is not None:
        label, tooltip = submit
        bindings.append(Binding("ctrl+s", "submit", label, id=f"{prefix}-{submit_id}", tooltip=tooltip))
    return bindings


def text_row(
    label: str, input_id: str, value: str | None = None, *, row_id: str | None = None, **kwargs: Any
) -> ComposeResult:
    """One labelled line of text: ``label`` beside a FormInput (``kwargs``: placeholder, tooltip, …);
    ``row_id`` names the line, for a dialog that shows or hides it."""
    with Horizontal(classes="form-row", id=row_id):
        yield Label(label, classes="form-label")
        yield FormInput(value, id=input_id, classes="form-input", **kwargs)


class FormDialog(ModalScreen[ResultT]):
    """A dialog asking for a few values; subclasses give ``compose_form`` and ``action_submit``."""

    PREFIX: ClassVar[str] = ""
    """Starts the widgets' ids: ``{PREFIX}-dialog``, ``-error``, ``-ok``, ``-no`` (styles and tests use them)."""

    SCROLLS: ClassVar[bool] = True
    """Whether the content scrolls (a long form); short dialogs fit and do not."""

    SUBMIT_LABEL: ClassVar[str] = "OK"
    SUBMIT_VARIANT: ClassVar[ButtonVariant] = "primary"

    @property
    def dialog_id(self) -> str:
        """The id of the dialog's frame (styles size dialogs by it)."""
        return f"{self.PREFIX}-dialog"

    def submit_label(self) -> str:
        """The submit button's text (override when it depends on what is asked)."""
        return self.SUBMIT_LABEL

    def submit_variant(self) -> ButtonVariant:
        return self.SUBMIT_VARIANT

    def compose(self) -> ComposeResult:
        frame = VerticalScroll if self.SCROLLS else Vertical
        with frame(classes="dialog", id=self.dialog_id):
            yield from self.compose_form()
            # Docked: the error line and the buttons stay in sight however long the form is.
            with Vertical(classes="dialog-foot"):
                error = Static("", id=f"{self.PREFIX}-error", classes="dialog-error")
                error.display = False  # a line only when there is something to say
                yield error
                with Horizontal(classes="dialog-buttons"):
                    yield Button(self.submit_label(), variant=self.submit_variant(), id=f"{self.PREFIX}-ok")
                    yield from self.compose_more_buttons()
                    yield Button("Cancel", id=f"{self.PREFIX}-no")
        yield Footer(compact=True, show_command_palette=False)

    def compose_form(self) -> ComposeResult:
        """The dialog's own content: title, hints and inputs."""
        raise NotImplementedError

    def compose_more_buttons(self) -> ComposeResult:
        """Buttons between submit and Cancel (none by default)."""
        yield from ()

    def show_error(self, text: str) -> None:
        """Say, in the dialog, why it cannot be submitted yet."""
        error = self.query_one(f"#{self.PREFIX}-error", Static)
        error.update(text)
        error.display = bool(text)

    def finish(self, result: ResultT) -> None:
        """Hand the answer over, unless the daemon is unreachable (then the dialog stays)."""
        if daemon_reachable(self):
            self.dismiss(result)

    def action_submit(self) -> None:
        """Read the form; ``show_error`` or ``finish``."""
        raise NotImplementedError

    def action_cancel(self) -> None:
        self.dismiss(None)

    @on(FormInput.Submitted)
    def _input_submitted(self) -> None:
        self.action_submit()

    @on(Button.Pressed)
    def _button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == f"{self.PREFIX}-ok":
            self.action_submit()
        elif event.button.id == f"{self.PREFIX}-no":
            self.action_cancel()
