"""ingest.*: handing files over, and the ingest journal."""

from __future__ import annotations

from typing import Any, Annotated

import msgspec

from .registry import Method, Role


class IngestFile(msgspec.Struct, forbid_unknown_fields=True):
    """An absolute path to a file the caller can read. With ``wait`` (the default) the
    answer comes once the file is proposed, linked as a duplicate or failed; without it,
    at once, with state "queued"."""

    path: str
    wait: bool = True


class IngestRecord(msgspec.Struct):
    """One file in the journal.

    ``state``: seen (being worked on; "extracted" too, in journals older versions wrote),
    proposed (its proposal waits for a person), applied (a row holds it), duplicate (the
    same content came in under another path first: see ``duplicate_of``), failed
    (``last_error`` says why; retried by itself at ``next_attempt_at`` when set),
    quarantined, refused (not read on purpose, ``last_error`` says why: a FIFO, socket or
    device, or a link leading outside the watched folders; never retried by itself),
    unpacked (an archive whose files are entries of their own, ``archive!member``);
    "queued" only in the answer of ``ingest.file`` without ``wait``."""

    path: str
    state: str
    id: int | None = None
    size: int | None = None
    sha256: str | None = None
    kind: str | None = None  # what it was read as: text, markdown, pdf, code, dataset, media
    table: str | None = None
    proposal_id: int | None = None
    proposal_status: str | None = None  # pending, applied, rejected, superseded...
    proposal_ids: list[int] = []  # all of them when a dataset gave one proposal per record
    confidence: float | None = None
    row_id: int | None = None
    duplicate_of: str | None = None  # the path whose identical content was proposed first
    attempts: int = 0
    last_error: str | None = None
    next_attempt_at: str | None = None
    quarantine_path: str | None = None
    first_seen_at: str | None = None
    updated_at: str | None = None


class IngestStatusParams(msgspec.Struct, forbid_unknown_fields=True):
    """Without ``path``: counts by state, recent failures, the watched folders. With
    ``path``: also that file's record and history."""

    path: str | None = None
    limit: Annotated[int, msgspec.Meta(ge=1, le=500)] = 20


class WatchedFolder(msgspec.Struct):
    path: str
    mode: str  # native (inotify events), polling, missing
    reason: str  # why polling or missing
    recursive: bool
    patterns: list[str]
    exclude: list[str]
    delete_after_ingest: bool


class HistoryItem(msgspec.Struct):
    at: str
    event: str  # ingest.seen, ingest.proposed, ingest.failed...
    detail: dict[str, Any]


class IngestStatus(msgspec.Struct):
    counts: dict[str, int]  # every journal state, zeros included
    total: int
    queued: int  # files waiting or being read now
    settling: int  # files seen by the watcher that are still being written
    folders: list[WatchedFolder]
    failures: list[IngestRecord]  # most recent first
    file: IngestRecord | None = None
    history: list[HistoryItem] = []


class RetryParams(msgspec.Struct, forbid_unknown_fields=True):
    """Exactly one of ``path`` (a failed, quarantined or refused file) and ``all_failed``."""

    path: str | None = None
    all_failed: bool = False


class Retried(msgspec.Struct):
    retried: int
    paths: list[str]


FILE = Method("ingest.file", IngestFile, IngestRecord, Role.agent, "Hand a file over to be ingested.")
STATUS = Method(
    "ingest.status",
    IngestStatusParams,
    IngestStatus,
    Role.reader,
    "The ingest journal: counts by state, failures, one file's history.",
)
RETRY = Method("ingest.retry", RetryParams, Retried, Role.operator, "Try failed files again now.")
