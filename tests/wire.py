"""A raw line-oriented connection to the daemon's socket, for protocol-level tests."""

from __future__ import annotations

import json
import socket
from typing import Any


class RawConnection:
    def __init__(self, path: str, timeout: float = 10.0) -> None:
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(timeout)
        self.sock.connect(path)
        self.buffer = b""

    def send(self, data: bytes | str) -> None:
        self.sock.sendall(data.encode() if isinstance(data, str) else data)

    def line(self) -> bytes | None:
        """The next newline-terminated message, or None at EOF."""
        while b"\n" not in self.buffer:
            chunk = self.sock.recv(65536)
            if not chunk:
                return None
            self.buffer += chunk
        line, _, self.buffer = self.buffer.partition(b"\n")
        return line

    def recv(self) -> Any:
        line = self.line()
        assert line is not None, "connection closed"
        return json.loads(line)

    def call(self, message: str) -> Any:
        self.send(message + "\n")
        return self.recv()

    def nothing_within(self, seconds: float) -> bool:
        """True if no message arrives within ``seconds``."""
        self.sock.settimeout(seconds)
        try:
            return self.line() is None and False
        except TimeoutError:
            return True
        finally:
            self.sock.settimeout(10.0)

    def closed_by_peer(self) -> bool:
        try:
            return self.sock.recv(1) == b""
        except ConnectionResetError:
            return True

    def close(self) -> None:
        self.sock.close()

    def __enter__(self) -> RawConnection:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
