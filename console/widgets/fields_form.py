"""One input per field, to correct a proposal's values or edit a row.

Values are shown as text (JSON for lists and objects; empty for null) and read back as
the field's catalog type. :meth:`FieldsForm.changes` returns only what the operator changed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Label

from ..formatting import as_text, parse_value
from .form_input import FormInput


@dataclass
class FormField:
    name: str
    type: str  # the catalog's: string, text, integer, float, boolean, datetime, json, list
    value: Any
    required: bool = False
    description: str = ""


class FormError(ValueError):
    """A value the operator typed does not fit its field."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field


class FieldsForm(Vertical):
    """The inputs, one per line; the dialog around it scrolls (to the focused input)."""

    def __init__(self, fields: list[FormField], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.fields = fields

    def compose(self) -> ComposeResult:
        for f in self.fields:
            with Horizontal(classes="form-row"):
                yield Label(f"{f.name}{' *' if f.required else ''}", classes="form-label")
                field_input = FormInput(
                    as_text(f.value), id=f"field-{f.name}", classes="form-input", placeholder=f"({f.type})"
                )
                field_input.tooltip = f"{f.type}{' (required)' if f.required else ''}: {f.description}".rstrip(": ")
                yield field_input

    def changes(self) -> dict[str, Any]:
        """The fields whose text was changed, as values of their types (FormError if one
        does not parse; that input is marked and focused)."""
        changed: dict[str, Any] = {}
        for f in self.fields:
            field_input = self.query_one(f"#field-{f.name}", FormInput)
            field_input.remove_class("invalid")
            if field_input.value == as_text(f.value):
                continue
            try:
                changed[f.name] = parse_value(field_input.value, f.type)
            except ValueError as e:
                field_input.add_class("invalid")
                field_input.focus()
                raise FormError(f.name, str(e)) from None
        return changed
