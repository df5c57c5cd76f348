"""A progress bar on stderr when it is a terminal; nothing otherwise (scripts, pipes, tests)."""

from __future__ import annotations

import sys
from contextlib import contextmanager
from typing import Any
from collections.abc import Callable, Iterator


@contextmanager
def progress_bar(description: str, total: int | None, enabled: bool | None = None) -> Iterator[Callable[..., None]]:
    """Yields ``advance(completed=…, total=…, **fields)``; a rich bar on a terminal's stderr."""
    if enabled is None:
        enabled = sys.stderr.isatty()
    if not enabled:
        yield lambda **_: None
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[detail]}"),
        TimeRemainingColumn(),
        console=Console(stderr=True),
        transient=False,
    ) as bar:
        task = bar.add_task(description, total=total, detail="")

        def advance(**kw: Any) -> None:
            bar.update(task, **kw)

        yield advance
