"""Every action of the console as a command in the palette (Ctrl+P).

The commands are read from the bindings themselves (the app's, and each screen's), so a key
added to a screen is in the palette without another line: "prop" finds "Proposals", "appr"
finds "Proposals: Approve". Running a screen's command switches to its screen first.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from functools import partial
from typing import Any

from textual.binding import Binding
from textual.command import DiscoveryHit, Hit, Hits, Provider


@dataclass(frozen=True)
class ConsoleCommand:
    name: str  # what the palette shows and matches
    help: str
    mode: str | None  # the screen it acts on (None: the app)
    action: str


def _binding_list(bindings: Any) -> Iterator[Binding]:
    for b in bindings:
        if isinstance(b, Binding) and b.description:
            yield b


def console_commands(app: Any) -> list[ConsoleCommand]:
    """The app's commands, then each screen's (``"<Screen>: <description>"``)."""
    commands = [
        ConsoleCommand(b.description, b.tooltip or b.description, None, b.action) for b in _binding_list(app.BINDINGS)
    ]
    for mode, screen_class in app.MODES.items():
        title = mode.capitalize()
        seen: set[str] = set()
        for b in _binding_list(screen_class.BINDINGS):
            if b.action in ("leave_search", "leave_filter") or b.action in seen:
                continue  # Esc inside a screen: not something to look for; a second key for an action: once
            seen.add(b.action)
            commands.append(ConsoleCommand(f"{title}: {b.description}", b.tooltip or b.description, mode, b.action))
    return commands


class ClarityCommands(Provider):
    """The palette's provider of the console's own commands."""

    async def _run(self, command: ConsoleCommand) -> None:
        app: Any = self.app
        if command.mode is None:
            await app.run_action(command.action)
            return
        if app.current_mode != command.mode:
            await app.switch_mode(command.mode)
        await app.run_action(command.action, app.screen)

    async def discover(self) -> Hits:
        for command in console_commands(self.app):
            yield DiscoveryHit(command.name, partial(self._run, command), help=command.help)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for command in console_commands(self.app):
            score = matcher.match(command.name)
            if score > 0:
                yield Hit(
                    score,
                    matcher.highlight(command.name),
                    partial(self._run, command),
                    text=command.name,
                    help=command.help,
                )
