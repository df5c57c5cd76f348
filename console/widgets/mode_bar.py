"""One line under the header: the screens and their keys, the one shown highlighted
(the footer below is left to the keys of the screen itself)."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.widgets import Static

MODES = (("1", "overview", "Overview"), ("2", "proposals", "Proposals"), ("3", "tables", "Tables"),
         ("4", "fleet", "Fleet"), ("5", "events", "Events"), ("6", "history", "History"))


def mode_line(current: str) -> Text:
    text = Text()
    for key, mode, label in MODES:
        style = "bold reverse" if mode == current else ""
        text.append(f" {key} ", style="bold" if mode != current else style)
        text.append(f"{label} ", style=style)
    text.append("  ? keys  ^p commands  q quit", style="dim")
    return text


class ModeBar(Static):
    def __init__(self, current: str, **kwargs: Any) -> None:
        super().__init__(mode_line(current), **kwargs)
