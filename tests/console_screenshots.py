"""The README's screenshots: each screen (and two dialogs) of the console on the seeded
daemon of the snapshot tests, saved as SVG by Textual (``app.save_screenshot``).

    .venv/bin/python tests/console_screenshots.py [--size 120x35]   # writes docs/screenshots/*.svg
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parent), str(HERE)]

from console.app import make_app  # noqa: E402
from console_seed import frozen_console, seeded_daemon  # noqa: E402
from test_console_snapshots import CASES  # noqa: E402

SHOTS = ("overview", "proposals", "tables", "fleet", "events", "history", "query", "approve-update", "keys")
OUT = HERE.parent / "docs" / "screenshots"


async def shoot(socket: str, case: str, size: tuple[int, int]) -> None:
    app = make_app(socket_path=socket)
    async with app.run_test(size=size) as pilot:
        await CASES[case](pilot)
        app.save_screenshot(filename=f"{case}.svg", path=str(OUT))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size", default="120x35")
    width, height = (int(n) for n in parser.parse_args().size.split("x"))
    OUT.mkdir(parents=True, exist_ok=True)
    with seeded_daemon(Path(tempfile.mkdtemp(prefix="cl-shots-"))) as daemon, frozen_console():
        for case in SHOTS:
            asyncio.run(shoot(daemon.socket, case, (width, height)))
            print(OUT / f"{case}.svg")


if __name__ == "__main__":
    main()
