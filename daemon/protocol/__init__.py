"""The wire contract between clarityd and its clients.

A leaf package: it depends on the standard library and msgspec only, so an agent can
``import daemon.client`` without pulling in Peewee, watchdog or Textual. Each RPC method is
declared once here (see :mod:`.registry`); the server, the client and the README's method
table all read the same declarations.
"""

from .envelope import (
    PROTOCOL_VERSION,
    ErrorObject,
    Notification,
    Request,
    Response,
)
from .errors import ErrorCode, RpcError
from .registry import METHODS, Method, Role

# Importing the per-noun modules registers their methods.
from . import system, tables, rows  # noqa: E402,F401  (registration side effect)
from . import coding_agent, events, self_healing, sub_agents  # noqa: E402,F401  (subsystems, events)
from . import ingest, ingest_batch  # noqa: E402,F401  (ingestion)
from . import proposals  # noqa: E402,F401  (governance)
from . import query  # noqa: E402,F401  (search, read-only SQL)
from . import alerts  # noqa: E402,F401  (alert rules and deliveries)

__all__ = [
    "PROTOCOL_VERSION",
    "ErrorCode",
    "ErrorObject",
    "METHODS",
    "Method",
    "Notification",
    "Request",
    "Response",
    "Role",
    "RpcError",
]
