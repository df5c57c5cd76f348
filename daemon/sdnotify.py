"""sd_notify(3) by hand: one datagram to $NOTIFY_SOCKET, nothing when it is unset."""

from __future__ import annotations

import logging
import os
import socket
import time

log = logging.getLogger(__name__)


def notify(*states: str) -> bool:
    """Send e.g. ``notify("READY=1", "STATUS=serving")``; True if systemd was told."""
    address = os.environ.get("NOTIFY_SOCKET")
    if not address:
        return False
    if address.startswith("@"):  # abstract namespace
        address = "\0" + address[1:]
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC) as s:
            s.connect(address)
            s.sendall("\n".join(states).encode())
        return True
    except OSError as e:
        log.warning("sd_notify to %s failed: %s", address, e)
        return False


def reloading() -> bool:
    """RELOADING=1 with the monotonic timestamp systemd's notify-reload wants."""
    return notify("RELOADING=1", f"MONOTONIC_USEC={time.clock_gettime_ns(time.CLOCK_MONOTONIC) // 1000}")
