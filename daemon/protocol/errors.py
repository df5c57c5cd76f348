"""Error codes: the JSON-RPC 2.0 ones and Clarity's documented application codes."""

from __future__ import annotations

from enum import IntEnum
from typing import Any


class ErrorCode(IntEnum):
    # JSON-RPC 2.0 (spec section 5.1)
    PARSE_ERROR = -32700
    INVALID_REQUEST = -32600
    METHOD_NOT_FOUND = -32601
    INVALID_PARAMS = -32602
    INTERNAL_ERROR = -32603
    # Application codes, in the spec's implementation-defined range -32000..-32099.
    NOT_FOUND = -32001  # unknown table, row, proposal, agent, ...
    CONFLICT = -32002  # stale version, already decided, duplicate
    FORBIDDEN = -32003  # the caller's role may not call this method
    INVALID_STATE = -32004  # an illegal transition
    UNAVAILABLE = -32005  # too many connections, shutting down
    TOO_LARGE = -32006  # a message over the size limit
    TIMEOUT = -32007  # a message that stalled half-sent


class RpcError(Exception):
    """An error response, as the client raises it."""

    def __init__(self, code: int, message: str, data: Any = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.data = data

    @property
    def name(self) -> str:
        try:
            return ErrorCode(self.code).name
        except ValueError:
            return str(self.code)

    def __str__(self) -> str:
        return f"{self.message} ({self.name} {self.code})"
