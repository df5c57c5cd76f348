"""ingest.batch / ingest.batch_status handlers."""

from __future__ import annotations

import msgspec

from ..errors import Unavailable
from ..ingest.batches import Batches
from ..protocol import ingest_batch as p
from ..rpc.router import CallContext, handles


def _batches(ctx: CallContext) -> Batches:
    if not ctx.daemon.ingest.running:  # the socket answers before ingestion starts
        raise Unavailable("ingestion is not running yet")
    return ctx.daemon.ingest_batches


@handles(p.BATCH)
async def batch(ctx: CallContext, params: p.IngestBatch) -> p.BatchStatus:
    """Queues every file of ``paths`` (absolute; up to 5,000 a call) ahead of the watcher's, as
    ingest.file does one, and answers at once with the batch's status; pass ``batch`` back to
    add more files to it, and follow it with ingest.batch_status. A path that is not a file
    the caller may read counts as failed (with its error code), never stops the batch."""
    ident = ctx.identity
    found = _batches(ctx).add(params.paths, params.batch, ident.uid, ident.gid, ident.user)
    return msgspec.convert(found.status(0), p.BatchStatus)


@handles(p.BATCH_STATUS)
async def batch_status(ctx: CallContext, params: p.BatchStatusParams) -> p.BatchStatus:
    """How far batch ``batch`` is: files done of ``total``, how many were proposed, applied,
    duplicates or failed, and the failures (up to ``failures``) with their reasons. NOT_FOUND
    for a batch this caller did not start, or one finished more than an hour ago."""
    found = _batches(ctx).get(params.batch, ctx.identity.uid)
    return msgspec.convert(found.status(params.failures), p.BatchStatus)
