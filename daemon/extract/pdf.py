"""PDF extraction through a small pool of child processes, each killed when it overruns.

pypdf is pure Python and cannot be interrupted from another thread, so a PDF built to loop
forever would hold a worker thread for good. Parsing in a child lets the caller wait with a
deadline and kill the child instead. Children are reused (starting one costs ~0.2 s) and
exit by themselves when this process goes away (their stdin closes).
"""

from __future__ import annotations

import atexit
import os
import select
import struct
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import msgspec

from .types import ExtractionError, ExtractLimits

_ROOT = str(Path(__file__).resolve().parent.parent.parent)  # where the daemon package lives
MAX_IDLE_WORKERS = 4


class _Worker:
    def __init__(self, memory_bytes: int) -> None:
        env = dict(os.environ)
        env["PYTHONPATH"] = _ROOT + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
        env["CLARITY_PDF_MEMORY_BYTES"] = str(memory_bytes)
        self.memory_bytes = memory_bytes
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "daemon.extract.pdf_worker"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env=env,
            close_fds=True,
        )

    def call(self, request: dict[str, Any], deadline: float) -> dict[str, Any]:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        body = msgspec.msgpack.encode(request)
        self.proc.stdin.write(struct.pack(">I", len(body)) + body)
        self.proc.stdin.flush()
        fd = self.proc.stdout.fileno()
        head = self._read(fd, 4, deadline)
        reply: dict[str, Any] = msgspec.msgpack.decode(self._read(fd, struct.unpack(">I", head)[0], deadline))
        return reply

    def _read(self, fd: int, n: int, deadline: float) -> bytes:
        buf = b""
        while len(buf) < n:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError
            ready, _, _ = select.select([fd], [], [], left)
            if not ready:
                raise TimeoutError
            chunk = os.read(fd, n - len(buf))
            if not chunk:
                raise EOFError
            buf += chunk
        return buf

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        for stream in (self.proc.stdin, self.proc.stdout):
            try:
                if stream:
                    stream.close()
            except OSError:
                pass


class PdfPool:
    """Idle workers kept for reuse; a busy worker belongs to the one call using it."""

    def __init__(self) -> None:
        self._idle: list[_Worker] = []
        self._lock = threading.Lock()
        atexit.register(self.close)

    def parse(self, path: str, limits: ExtractLimits, deadline: float) -> dict[str, Any]:
        memory = max(512 * 1024 * 1024, 2 * limits.max_decompressed_bytes)
        with self._lock:
            worker = next((w for w in self._idle if w.memory_bytes == memory and w.proc.poll() is None), None)
            if worker:
                self._idle.remove(worker)
        if worker is None:
            worker = _Worker(memory)
        request = {"path": path, "max_pages": limits.max_pdf_pages, "max_chars": limits.max_text_chars}
        try:
            reply = worker.call(request, deadline)
        except TimeoutError:
            worker.kill()
            raise ExtractionError(
                f"PDF extraction took longer than {limits.timeout_s:g} s and was stopped", "timeout", permanent=False
            ) from None
        except (EOFError, BrokenPipeError, OSError, msgspec.DecodeError):
            worker.kill()
            code = worker.proc.returncode
            raise ExtractionError(
                f"the PDF parser died on this file (exit status {code})", "crashed", permanent=False
            ) from None
        with self._lock:
            if len(self._idle) < MAX_IDLE_WORKERS:
                self._idle.append(worker)
                worker = None
        if worker is not None:
            worker.kill()
        return reply

    def close(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, []
        for worker in idle:
            worker.kill()


_pool = PdfPool()


def extract_pdf(path: str, limits: ExtractLimits, deadline: float) -> dict[str, Any]:
    """Page count, text of the first pages and metadata; ExtractionError when unreadable."""
    reply = _pool.parse(path, limits, deadline)
    if not reply.get("ok"):
        raise ExtractionError(reply.get("error") or "unreadable PDF", reply.get("kind") or "corrupt")
    return reply
