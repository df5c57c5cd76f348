"""ingest.* handlers."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

import msgspec

from ..errors import NotFound, Unavailable
from ..ingest import status
from ..protocol import ingest as p
from ..rpc.router import CallContext, handles

if TYPE_CHECKING:
    from ..ingest import Ingest


def _service(ctx: CallContext) -> Ingest:
    ingest = ctx.daemon.ingest
    if not ingest.running:  # the socket answers before ingestion starts
        raise Unavailable("ingestion is not running yet")
    return ingest


@handles(p.FILE)
async def file(ctx: CallContext, params: p.IngestFile) -> p.IngestRecord:
    """Hands the file at ``path`` (absolute) to the ingestion pipeline, ahead of files found
    by the watcher, and answers with its journal record once it is proposed (``state``
    proposed or applied, with ``proposal_id`` and ``table``), linked as a duplicate of
    identical content ingested before (``duplicate_of``), or failed (``last_error``).
    A file already ingested with the same content is not ingested again: its record comes
    back as it is. With ``wait`` false the answer is immediate, with state "queued".

    The caller must be able to read the file itself: FORBIDDEN otherwise. NOT_FOUND when
    there is no such file; INVALID_PARAMS for a relative path or a non-regular file."""
    ingest = _service(ctx)
    ident = ctx.identity
    outcome = await ingest.ingest_file(params.path, ident.uid, ident.gid, ident.user, params.wait)
    if outcome.get("state") == "queued":
        return p.IngestRecord(path=outcome["path"], state="queued")
    record = await ctx.daemon.store.read(status.record_of, os.path.normpath(params.path))
    if record is None:  # vanished between the check and the reading: nothing was journaled
        return p.IngestRecord(path=params.path, state="failed", last_error=outcome.get("last_error"))
    return msgspec.convert(record, p.IngestRecord)


@handles(p.STATUS)
async def status_(ctx: CallContext, params: p.IngestStatusParams) -> p.IngestStatus:
    """The ingest journal at a glance: how many files are in each state (``counts``), how
    many wait to be read (``queued``) or are still being written (``settling``), each
    watched folder and how it is watched (native events, or polling and why), and the most
    recent failures with their reasons (up to ``limit``).

    With ``path``: also that file's record (``file``: state, proposal and its status,
    the row, the original it duplicates, attempts, last error) and its ``history``, the
    journal's events for it oldest first. NOT_FOUND when the journal has never seen it."""
    ingest = _service(ctx)
    path = os.path.normpath(params.path) if params.path is not None else None
    found = await ctx.daemon.store.read(status.summary, params.limit, path)
    if path is not None and found["file"] is None:
        raise NotFound(f"{params.path} is not in the ingest journal")
    folders = [
        p.WatchedFolder(
            path=f.rule.root,
            mode=f.mode,
            reason=f.reason,
            recursive=f.rule.recursive,
            patterns=list(f.rule.patterns),
            exclude=list(f.rule.exclude),
            delete_after_ingest=f.rule.delete_after_ingest,
        )
        for f in ingest.watcher.folders
    ]
    return msgspec.convert(
        {
            **found,
            "queued": ingest.pipeline.in_flight,
            "settling": ingest.watcher.settling,
            "folders": [msgspec.to_builtins(f) for f in folders],
        },
        p.IngestStatus,
    )


@handles(p.RETRY)
async def retry(ctx: CallContext, params: p.RetryParams) -> p.Retried:
    """Tries failed files again now: the one at ``path``, or every failed, quarantined and
    refused file with ``all_failed``. A quarantined file is moved back where it was first. Its
    attempts start again from zero; ``ingest.status`` shows how it went.

    NOT_FOUND when the journal does not know ``path``; INVALID_STATE when that file is not
    failed, quarantined or refused; INVALID_PARAMS unless exactly one of ``path`` and ``all_failed`` is given."""
    paths = await _service(ctx).retry(params.path, params.all_failed)
    return p.Retried(retried=len(paths), paths=paths)
