"""ingest.batch / ingest.batch_status: many files handed over in few calls, and how far they are."""

from __future__ import annotations

from typing import Annotated

import msgspec

from .envelope import Id
from .registry import Method, Role

MAX_PATHS = 5000  # per call; a bigger batch is several calls naming the same ``batch``


class IngestBatch(msgspec.Struct, forbid_unknown_fields=True):
    """Absolute paths of files the caller can read, queued at once (as ``ingest.file`` with
    ``wait`` false). ``batch``: add them to a batch an earlier call started."""

    paths: Annotated[list[str], msgspec.Meta(min_length=1, max_length=MAX_PATHS)]
    batch: Id | None = None


class BatchFailure(msgspec.Struct):
    path: str
    error: str
    code: int | None = None  # the error code when the file was refused before reading (NOT_FOUND, FORBIDDEN...)


class BatchStatusParams(msgspec.Struct, forbid_unknown_fields=True):
    batch: Id
    failures: Annotated[int, msgspec.Meta(ge=0, le=10_000)] = 100  # at most this many listed


class BatchStatus(msgspec.Struct):
    """Files done of ``total``, by outcome: ``proposed`` (waits for a person), ``applied`` (a row
    holds it), ``duplicate`` (same content as a file ingested before), ``failed``."""

    batch: int
    total: int
    done: int
    proposed: int
    applied: int
    duplicate: int
    failed: int
    elapsed_s: float
    finished: bool
    failures: list[BatchFailure] = []


BATCH = Method("ingest.batch", IngestBatch, BatchStatus, Role.agent, "Hand many files over at once (a batch).")
BATCH_STATUS = Method(
    "ingest.batch_status",
    BatchStatusParams,
    BatchStatus,
    Role.agent,
    "How far a batch of files is: done, proposed, applied, failed.",
)
