"""Extraction and inference in worker processes, so that ingestion uses more than one core.

One Python process runs one thread of Python at a time: under a stream of files, reading
and inferring took half of the daemon's time, in turn with the one database writer. Here a
few warm worker processes (``ingest.workers``) extract, infer, take the learner's features
and scan for secrets; the daemon keeps opening, hashing and writing.

A worker reads the file through ``/proc/<daemon>/fd/<n>`` (:func:`.opening.fd_path`), the
descriptor the daemon opened and checked, which a process of the same user opens like the
daemon would; the file's name goes with it. The daemon keeps the descriptor open until the
answer is back.

What inference needs besides the file — the catalog, the content rules, the operators'
lessons — is a *context*, numbered: a worker keeps the last one it was sent, and gets a new
one with its next batch after a change (not with every file). Requests go in batches:
whatever waits when a worker is free goes in one message; a file alone goes at once.

Workers are plain child processes on pipes, as the PDF parsers are (:mod:`daemon.extract.pdf`):
started with the daemon, reused, and gone by themselves when the daemon goes, even killed
(their stdin closes).
"""

from __future__ import annotations

import asyncio
import logging
import os
import pickle
import select
import struct
import subprocess
import sys
import time
import traceback
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, NamedTuple

import msgspec

from ..catalog import TableSpec
from ..extract import ExtractionError, extract
from ..extract.types import Extraction, ExtractLimits
from ..governance.content import Findings, find
from ..inference import infer
from ..inference import learning
from ..inference.types import Inference
from ..storage.rows import coerce, field_types
from . import archives
from . import names

log = logging.getLogger("clarityd.ingest")

_ROOT = str(Path(__file__).resolve().parent.parent.parent)  # where the daemon package lives
MAX_BATCH = 32  # files in one message to a worker: enough to spread the cost of a round trip


class Context(NamedTuple):
    """What a worker infers with, besides the file."""

    catalog: dict[str, TableSpec]
    rules: dict[str, Any]  # the policy's compiled content rules (secrets, patterns)
    lessons: learning.Lessons | None  # None: nothing is learned (no features either)


class Read(NamedTuple):
    extraction: Extraction
    inference: Inference
    features: dict[str, Any] | None
    found: Findings  # in the raw text and records
    scanned: list[Findings | None]  # in each record's fields as the table stores them; None: not scanned


class Request(NamedTuple):
    source: str  # what to open: the daemon's descriptor (opening.fd_path)
    name: str  # the journal's form of the name
    path: str  # the name on disk
    limits: ExtractLimits


def analyse(extraction: Extraction, context: Context) -> Read:
    """Inference over the catalog, the features the learner keeps of the file, and the
    secrets in its raw text and records (found here, off the one writer thread)."""
    inference = infer(extraction, context.catalog, context.lessons)
    features = learning.features(extraction) if context.lessons is not None else None
    evidence = {
        "title": extraction.title,
        "text": extraction.text,
        "records": extraction.records,
        "metadata": extraction.metadata,
    }
    found = find(None, context.rules, evidence)
    if features is not None and found.secrets:  # the learner keeps telling words: never a secret
        secrets = [secret.lower() for secret in found.secrets]
        for key in ("words", "title"):
            features[key] = [w for w in features[key] if not any(w in secret for secret in secrets)]
    return Read(extraction, inference, features, found, _scan_records(inference, context))


def _scan_records(inference: Inference, context: Context) -> list[Findings | None]:
    """The secrets in each record's fields, as governance would find them in what it stores
    (the values as the table's types): the one writer then scans only what is added later."""
    spec = context.catalog.get(inference.table)
    types = field_types(spec) if spec is not None else {}
    out: list[Findings | None] = []
    for record in inference.rows or [inference.fields]:
        try:
            values = {k: msgspec.to_builtins(coerce(v, types[k], k)) for k, v in record.items()}
        except Exception:  # a field the table does not take: governance refuses it, as before
            out.append(None)
            continue
        out.append(find(values, context.rules))
    return out


def read(request: Request, context: Context) -> Read:
    """Extraction of the file behind ``request.source`` (an archive raises IsArchive
    instead), then :func:`analyse`."""
    fmt = archives.archive_format(request.source, request.path)
    if fmt is not None:
        raise archives.IsArchive(fmt)
    extraction = extract(request.source, request.limits, name=request.path)
    # What the extractors took from the name, in the form the journal holds it.
    extraction = msgspec.structs.replace(extraction, path=request.name)
    if request.name != request.path:
        extraction = msgspec.structs.replace(
            extraction, title=names.printable(extraction.title), metadata=names.printable(extraction.metadata)
        )
    return analyse(extraction, context)


# -- in the worker process (reader_worker.py) -----------------------------------------------


def warm() -> None:
    """At start: what inference builds once (lexicons, compiled patterns), on a small file."""
    from ..catalog import load_catalog
    from ..config import REPO_SCHEMAS

    text = "# Warm\n\nA note to warm up inference."
    extraction = Extraction(path="w.md", kind="markdown", mime_type="text/markdown", size_bytes=0, sha256="", text=text)
    analyse(extraction, Context(load_catalog(REPO_SCHEMAS), {}, None))


def run_batch(context: Context, requests: list[Request]) -> list[tuple[Any, ...]]:
    """Per file: ("ok", Read) | ("error", message, kind, permanent) | ("archive", format) | ("bug", traceback)."""
    out: list[tuple[Any, ...]] = []
    for request in requests:
        try:
            out.append(("ok", read(request, context)))
        except archives.IsArchive as e:
            out.append(("archive", e.format))
        except ExtractionError as e:
            out.append(("error", str(e), e.kind, e.permanent))
        except Exception:
            out.append(("bug", traceback.format_exc()))
    return out


# -- in the daemon ----------------------------------------------------------------------------


class ReadFailed(Exception):
    """A bug in extraction or inference, seen in a worker: its traceback as text."""


class _Worker:
    """One worker process; ``call`` runs on a thread of its own (it blocks on the pipe)."""

    def __init__(self) -> None:
        env = dict(os.environ)
        env["PYTHONPATH"] = _ROOT + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "daemon.ingest.reader_worker"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=env,
            close_fds=True,
        )
        self.version = 0  # of the context it holds

    def call(self, message: bytes, deadline: float) -> list[tuple[Any, ...]]:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(struct.pack(">I", len(message)) + message)
        self.proc.stdin.flush()
        fd = self.proc.stdout.fileno()
        (size,) = struct.unpack(">I", self._read(fd, 4, deadline))
        out: list[tuple[Any, ...]] = pickle.loads(self._read(fd, size, deadline))
        return out

    def _read(self, fd: int, n: int, deadline: float) -> bytes:
        parts: list[bytes] = []
        while n:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([fd], [], [], left)[0]:
                raise TimeoutError
            chunk = os.read(fd, min(n, 1 << 20))
            if not chunk:
                raise EOFError
            parts.append(chunk)
            n -= len(chunk)
        return b"".join(parts)

    def stop(self, kill: bool = False) -> None:
        """Close its stdin (it exits by itself), or kill it."""
        if kill and self.proc.poll() is None:
            self.proc.kill()
        for stream in (self.proc.stdin, self.proc.stdout):
            try:
                if stream:
                    stream.close()
            except OSError:
                pass
        if kill:
            self.proc.wait()


class Readers:
    def __init__(self, workers: int, key: Callable[[], tuple[Any, ...]], context: Callable[[], Context]) -> None:
        """``workers`` processes, started by the first file (which waits ~0.3 s for them to
        warm up) or by :meth:`start`; ``context()`` builds what
        inference needs now, ``key()`` says what it is made of (the same objects, or equal
        ones: the same context)."""
        self.workers = workers
        self._key_of, self._context_of = key, context
        self._key: tuple[Any, ...] | None = None
        self._version = 0
        self._payload = b""
        self._waiting: list[tuple[Request, asyncio.Future[Read]]] = []
        self._idle: list[_Worker] = []
        self._started: set[_Worker] = set()
        self._threads = ThreadPoolExecutor(workers, thread_name_prefix="reading")
        self._closed = False

    async def read(self, request: Request) -> Read:
        """Extract and analyse one file in a worker; raises what :func:`read` raises
        (ExtractionError, IsArchive), or ReadFailed for a bug."""
        future: asyncio.Future[Read] = asyncio.get_running_loop().create_future()
        self._waiting.append((request, future))
        self._dispatch()
        return await future

    def start(self) -> None:
        """Start the workers not running (the first time: all of them)."""
        while len(self._started) < self.workers and not self._closed:
            worker = _Worker()
            self._started.add(worker)
            self._idle.append(worker)

    def _dispatch(self) -> None:
        self.start()  # in place of one that died
        while self._waiting and self._idle:
            batch, self._waiting = self._waiting[:MAX_BATCH], self._waiting[MAX_BATCH:]
            asyncio.get_running_loop().create_task(self._send(self._idle.pop(), batch))

    def _current(self) -> tuple[int, bytes]:
        key = self._key_of()
        if self._key is None or any(a is not b and a != b for a, b in zip(key, self._key, strict=True)):
            self._key = key
            self._version += 1
            self._payload = pickle.dumps(self._context_of(), protocol=pickle.HIGHEST_PROTOCOL)
        return self._version, self._payload

    async def _send(self, worker: _Worker, batch: list[tuple[Request, asyncio.Future[Read]]]) -> None:
        requests = [request for request, _ in batch]
        # Extraction keeps a deadline per file; this one only stops a worker stuck for good.
        deadline = time.monotonic() + sum(r.limits.timeout_s + 5 for r in requests) + 10
        try:
            version, payload = self._current()
            context = payload if worker.version != version else None
            message = pickle.dumps((version, context, requests), protocol=pickle.HIGHEST_PROTOCOL)
            loop = asyncio.get_running_loop()
            out = await loop.run_in_executor(self._threads, worker.call, message, deadline)
            worker.version = version
        except BaseException as e:
            # Died (killed, out of memory) or stuck: a new one takes its place; these files are tried again later.
            log.warning("a file-reading worker process failed (%s); starting another", type(e).__name__)
            self._started.discard(worker)
            worker.stop(kill=True)
            error = ExtractionError("the worker process reading it stopped", "crashed", permanent=False)
            for _, future in batch:
                if not future.done():
                    future.set_exception(error)
            if not isinstance(e, Exception):
                raise
            self._dispatch()
            return
        self._idle.append(worker)
        for (_, future), outcome in zip(batch, out, strict=True):
            if future.done():
                continue  # its file gave up waiting
            if outcome[0] == "ok":
                future.set_result(outcome[1])
            elif outcome[0] == "archive":
                future.set_exception(archives.IsArchive(outcome[1]))
            elif outcome[0] == "error":
                future.set_exception(ExtractionError(outcome[1], outcome[2], outcome[3]))
            else:
                future.set_exception(ReadFailed(outcome[1]))
        self._dispatch()

    def shutdown(self) -> None:
        self._closed = True
        for worker in self._started:
            worker.stop()
        self._started.clear()
        self._idle.clear()
        self._threads.shutdown(wait=False, cancel_futures=True)
