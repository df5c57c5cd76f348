"""Narrow the pending queue: confidence band, table, kind, source and age."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Footer, Label, Select, Static

from ..proposal_view import AGES, SCHEMA_KINDS, QueueFilter
from ..widgets.form_input import FormInput

BANDS = [("any confidence", "all"), ("high (0.90 and above)", "high"), ("low (below 0.90)", "low")]
KINDS = [
    ("any kind", ""),
    ("insert", "insert"),
    ("update", "update"),
    ("delete", "delete"),
    ("any schema change", "schema"),
    *[(k.replace("_", " "), k) for k in SCHEMA_KINDS],
]
AGE_CHOICES = [("any age", "")] + [(f"older than {k}", k) for k in AGES if k]


class QueueFilterDialog(ModalScreen[QueueFilter | None]):
    """Returns the new filter (all parts empty to show everything), or None when cancelled."""

    AUTO_FOCUS = "#filter-band"
    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="filter-cancel", tooltip="Keep the filter as it was"),
        Binding("ctrl+s", "submit", "Apply", id="filter-apply", tooltip="Show the proposals that match"),
        Binding("ctrl+r", "clear", "Clear", id="filter-clear", tooltip="Show every pending proposal"),
    ]

    def __init__(self, current: QueueFilter, tables: list[str]) -> None:
        super().__init__()
        self.current = current
        self.tables = tables

    def compose(self) -> ComposeResult:
        f = self.current
        with Vertical(classes="dialog", id="queue-filter-dialog"):
            yield Label("Filter the pending queue", classes="dialog-title")
            with Horizontal(classes="form-row"):
                yield Label("confidence", classes="form-label")
                yield Select(BANDS, value=f.band, allow_blank=False, id="filter-band", compact=True)
            with Horizontal(classes="form-row"):
                yield Label("table", classes="form-label")
                yield Select(
                    [("any table", ""), *[(t, t) for t in self.tables]],
                    value=f.table,
                    allow_blank=False,
                    id="filter-table",
                    compact=True,
                )
            with Horizontal(classes="form-row"):
                yield Label("kind", classes="form-label")
                yield Select(KINDS, value=f.kind, allow_blank=False, id="filter-kind", compact=True)
            with Horizontal(classes="form-row"):
                yield Label("source", classes="form-label")
                yield FormInput(
                    f.source,
                    placeholder="part of a file path, agent or operator",
                    id="filter-source",
                    classes="form-input",
                )
            with Horizontal(classes="form-row"):
                yield Label("age", classes="form-label")
                yield Select(AGE_CHOICES, value=f.older_than, allow_blank=False, id="filter-age", compact=True)
            yield Static("Enter or Ctrl+S applies; Ctrl+R clears every part.", classes="dialog-hint")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Apply", variant="primary", id="filter-ok")
                yield Button("Clear", id="filter-reset")
                yield Button("Cancel", id="filter-no")
        yield Footer(compact=True, show_command_palette=False)

    def _value(self, selector: str) -> str:
        value = self.query_one(selector, Select).value
        return value if isinstance(value, str) else ""

    @on(FormInput.Submitted)
    @on(Button.Pressed, "#filter-ok")
    def action_submit(self) -> None:
        self.dismiss(
            QueueFilter(
                band=self._value("#filter-band") or "all",
                table=self._value("#filter-table"),
                kind=self._value("#filter-kind"),
                source=self.query_one("#filter-source", FormInput).value.strip(),
                older_than=self._value("#filter-age"),
            )
        )

    @on(Button.Pressed, "#filter-reset")
    def action_clear(self) -> None:
        self.dismiss(self.current.cleared())

    @on(Button.Pressed, "#filter-no")
    def action_cancel(self) -> None:
        self.dismiss(None)
