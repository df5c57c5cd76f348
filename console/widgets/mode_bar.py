"""One line under the header: the screens and their keys, the one shown highlighted
(the footer below is left to the keys of the screen itself)."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.widgets import Static

MODES = (
    ("1", "overview", "Overview"),
    ("2", "proposals", "Proposals"),
    ("3", "tables", "Tables"),
    ("4", "fleet", "Fleet"),
    ("5", "events", "Events"),
    ("6", "history", "History"),
    ("7", "query", "Query"),
)


def mode_line(current: str) -> Text:
    """``1 Overview 2 Proposals …`` (78 columns with the tail, so it fits 80)."""
    text = Text()
    for key, mode, label in MODES:
        if mode == current:
            text.append(f"{key} {label}", style="bold reverse")
        else:
            text.append(key, style="bold")
            text.append(f" {label}")
        text.append(" ")
    text.append("│ ? keys ^p", style="dim")
    return text


class ModeBar(Static):
    def __init__(self, current: str, **kwargs: Any) -> None:
        super().__init__(mode_line(current), **kwargs)
