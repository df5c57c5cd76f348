"""Daemon exceptions. Each says what went wrong in words and carries its RPC error code;
only the RPC server turns them into responses."""

from __future__ import annotations

from typing import Any

from .protocol.errors import ErrorCode


class DaemonError(Exception):
    code: ErrorCode = ErrorCode.INTERNAL_ERROR

    def __init__(self, message: str, data: Any = None) -> None:
        super().__init__(message)
        self.message = message
        self.data = data


class MethodNotFound(DaemonError):
    code = ErrorCode.METHOD_NOT_FOUND


class InvalidParams(DaemonError):
    code = ErrorCode.INVALID_PARAMS


class NotFound(DaemonError):
    code = ErrorCode.NOT_FOUND


class Conflict(DaemonError):
    code = ErrorCode.CONFLICT


class Forbidden(DaemonError):
    code = ErrorCode.FORBIDDEN


class InvalidState(DaemonError):
    code = ErrorCode.INVALID_STATE


class Unavailable(DaemonError):
    code = ErrorCode.UNAVAILABLE
