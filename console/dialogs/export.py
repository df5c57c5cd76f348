"""Export rows (a table's that match the current search, or a query's answer) to a file the
operator names: in the home folder unless another is named, and never over an existing file
without asking."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, get_args

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Label, Select, Static

from ..widgets.form_input import FormInput
from .confirm import ConfirmDialog
from .form_dialog import FormDialog, dialog_bindings, text_row

ExportFormat = Literal["csv", "json", "jsonl"]
FORMATS: tuple[ExportFormat, ...] = get_args(ExportFormat)


@dataclass
class ExportRequest:
    path: Path
    format: ExportFormat


def as_format(text: str) -> ExportFormat | None:
    """``text`` as one of the export formats, or None when it names none."""
    return next((f for f in FORMATS if f == text), None)


def default_path(name: str, fmt: str = "csv") -> str:
    """``~/<name>.<fmt>``, shown with ``~`` (the file is written on the console's machine)."""
    return f"~/{name}.{fmt}"


class ExportDialog(FormDialog[ExportRequest | None]):
    AUTO_FOCUS = "FormInput"  # the first field, ready to type into
    BINDINGS = dialog_bindings("export", "Close without exporting")
    PREFIX = "export"
    SCROLLS = False
    SUBMIT_LABEL = "Export"

    def __init__(self, name: str, scope: str) -> None:
        """``name`` names the default file (``~/<name>.csv``); ``scope`` says which rows."""
        super().__init__()
        self.file_stem = name
        self.scope = scope

    def compose_form(self) -> ComposeResult:
        yield Label(f"Export {self.file_stem}: {self.scope}", classes="dialog-title")
        with Horizontal(classes="form-row"):
            yield Label("format", classes="form-label")
            yield Select([(f, f) for f in FORMATS], value="csv", allow_blank=False, id="export-format", compact=True)
        yield from text_row(
            "file",
            "export-path",
            default_path(self.file_stem),
            tooltip="Written on this machine; ~ is your home folder; you are asked before a file is replaced",
        )
        yield Static("A file ending in .csv, .json or .jsonl is written in that format.", classes="dialog-hint")

    @on(Select.Changed, "#export-format")
    def format_changed(self, event: Select.Changed) -> None:
        # Keep the extension in step with the format while the operator has not chosen a name.
        path_input = self.query_one("#export-path", FormInput)
        stem, ext = os.path.splitext(path_input.value)
        if ext.lstrip(".") in FORMATS:
            path_input.value = f"{stem}.{event.value}"

    def action_submit(self) -> None:
        # Not finish(): the file is written on this machine, after the dialog, by the screen's worker.
        text = self.query_one("#export-path", FormInput).value.strip()
        if not text:
            self.show_error("A file name is required.")
            return
        path = Path(os.path.expanduser(text))
        if path.is_dir():
            self.show_error(f"{path} is a folder: name a file.")
            return
        # A file named .csv, .json or .jsonl gets that format, whatever the selector says.
        ext = path.suffix.lstrip(".").lower()
        fmt = as_format(ext) or as_format(str(self.query_one("#export-format", Select).value)) or "csv"
        request = ExportRequest(path.resolve(), fmt)
        if not path.exists():
            self.dismiss(request)
            return

        def answered(answer: str | None) -> None:
            if answer is not None:
                self.dismiss(request)  # else the dialog stays, to name another file

        self.app.push_screen(
            ConfirmDialog(
                f"Replace {request.path}?",
                "The file exists; exporting replaces it.",
                "Replace",
                variant="warning",
                dialog_id="overwrite-dialog",
            ),
            answered,
        )
