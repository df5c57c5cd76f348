"""The worker side of :mod:`.reading`: read batches of files on stdin, answer on stdout.

Run as ``python -m daemon.ingest.reader_worker`` by the daemon. Messages are pickles (the
daemon's own, of its own types: this process trusts its parent as the parent trusts it),
each preceded by its length as 4 big-endian bytes. It exits when its stdin closes: the
daemon stopped, or was killed.
"""

from __future__ import annotations

import logging
import os
import pickle
import signal
import struct
import sys

from .reading import run_batch, warm


def _read_exact(fd: int, n: int) -> bytes | None:
    parts: list[bytes] = []
    while n:
        chunk = os.read(fd, n)
        if not chunk:
            return None
        parts.append(chunk)
        n -= len(chunk)
    return b"".join(parts)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def main() -> None:
    logging.disable(logging.WARNING)  # extractors warn on odd files; the daemon reports what failed
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # ^C in a terminal stops the daemon, which closes our stdin
    warm()
    stdin, stdout = sys.stdin.fileno(), sys.stdout.fileno()
    held = None
    while True:
        head = _read_exact(stdin, 4)
        body = _read_exact(stdin, struct.unpack(">I", head)[0]) if head is not None else None
        if body is None:
            return  # the daemon went away
        version, context, requests = pickle.loads(body)
        if context is not None:
            held = (version, pickle.loads(context))
        assert held is not None and held[0] == version, "the daemon sends a context before it is used"
        out = pickle.dumps(run_batch(held[1], requests), protocol=pickle.HIGHEST_PROTOCOL)
        _write_all(stdout, struct.pack(">I", len(out)) + out)


if __name__ == "__main__":
    main()
