"""Streaming exports as the client library hands them out: iterate to get the file's pieces.

    with Client() as client:
        export = ExportStream.start(client, table="documents", format="jsonl")
        for piece in export:          # str, in order; export.rows counts rows received
            out.write(piece)

Like :mod:`daemon.client`, this depends only on the protocol.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from collections.abc import Iterator

from .protocol import ErrorCode, RpcError
from .protocol import rows as p

if TYPE_CHECKING:
    from .client import Client


class ExportStream:
    """One streaming rows.export on a blocking client. ``total`` is the number of rows the
    daemon will send; ``rows`` those received so far. Iterating yields each chunk's text and
    raises RpcError if the daemon ends the stream with an error. ``timeout`` bounds the wait
    for each chunk."""

    def __init__(self, client: Client, reply: p.Export, timeout: float | None) -> None:
        self.client = client
        self.stream = reply.stream
        self.total = reply.total
        self.format = reply.format
        self.rows = 0
        self.timeout = timeout
        self.done = False

    @classmethod
    def start(cls, client: Client, timeout: float | None = 60.0, **params: Any) -> ExportStream:
        reply = client.call(p.EXPORT, p.ExportRows(stream=True, **params))
        return cls(client, reply, timeout)

    def _next_notice(self) -> tuple[str, dict[str, Any]]:
        pending = self.client.notifications  # arrived while a call waited for its answer
        for i, (method, params) in enumerate(pending):
            if isinstance(params, dict) and params.get("stream") == self.stream and method.startswith("rows.export_"):
                del pending[i]
                return method, params
        while True:
            method, params = self.client.receive_notification(self.timeout)
            if isinstance(params, dict) and params.get("stream") == self.stream and method.startswith("rows.export_"):
                return method, params
            pending.append((method, params))  # someone else's (an event subscription): keep it

    def __iter__(self) -> Iterator[str]:
        while not self.done:
            method, params = self._next_notice()
            if method == p.EXPORT_CHUNK:
                self.rows += params["rows"]
                yield params["content"]
            elif method == p.EXPORT_DONE:
                self.done = True
                error = params.get("error")
                if error:
                    raise RpcError(ErrorCode(error["code"]), error["message"])
