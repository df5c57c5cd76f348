"""Where the socket is: one rule for the daemon and every client."""

from __future__ import annotations

import os
from pathlib import Path


def default_socket_path(env: dict[str, str] | None = None) -> str:
    """clarity.sock in $RUNTIME_DIRECTORY (systemd), else $XDG_RUNTIME_DIR/clarity, else
    /tmp/clarity-UID/clarity.

    Overrides ($CLARITY_SOCKET, the config file) are applied by the caller.
    """
    env = dict(os.environ if env is None else env)
    if env.get("RUNTIME_DIRECTORY"):
        return str(Path(env["RUNTIME_DIRECTORY"].split(":")[0]) / "clarity.sock")
    runtime = env.get("XDG_RUNTIME_DIR") or f"/tmp/clarity-{os.getuid()}"
    return str(Path(runtime) / "clarity" / "clarity.sock")


def client_socket_path(env: dict[str, str] | None = None) -> str:
    """The socket a client should dial: $CLARITY_SOCKET, the config file's ``socket``, the default."""
    env = dict(os.environ if env is None else env)
    if env.get("CLARITY_SOCKET"):
        return env["CLARITY_SOCKET"]
    if env.get("CLARITY_CONFIG"):
        try:
            import yaml  # only when a config file is named

            with open(env["CLARITY_CONFIG"], encoding="utf-8") as f:
                data = yaml.safe_load(f) or {}
            if isinstance(data, dict) and data.get("socket"):
                return os.path.expanduser(str(data["socket"]))
        except Exception:  # unreadable, broken, or no yaml installed: the daemon reports a bad file
            pass
    return default_socket_path(env)
