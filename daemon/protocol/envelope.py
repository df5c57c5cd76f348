"""JSON-RPC 2.0 envelopes, with one shared set of encoders and decoders."""

from __future__ import annotations

from typing import Any, Literal

import msgspec
from msgspec import UNSET, UnsetType

PROTOCOL_VERSION = "2.0"

RequestId = int | str | None


class Request(msgspec.Struct):
    """A call or, when ``id`` is absent, a notification (spec section 4)."""

    jsonrpc: Literal["2.0"]
    method: str
    # Raw: params are decoded later with the method's own Struct.
    params: msgspec.Raw | UnsetType = UNSET
    # UNSET (absent) marks a notification; None is a legal id that still wants a reply.
    id: RequestId | UnsetType = UNSET

    @property
    def is_notification(self) -> bool:
        return self.id is UNSET


class ErrorObject(msgspec.Struct):
    code: int
    message: str
    data: Any | UnsetType = UNSET


class Response(msgspec.Struct, kw_only=True):
    """Exactly one of ``result`` and ``error`` is set. No omit_defaults: it would drop
    ``"jsonrpc"`` and a ``"result": null`` that the spec requires."""

    jsonrpc: str = PROTOCOL_VERSION
    id: RequestId
    result: Any | UnsetType = UNSET
    error: ErrorObject | UnsetType = UNSET


class Notification(msgspec.Struct, kw_only=True):
    """A server-to-client message with no id (the event stream uses these)."""

    jsonrpc: str = PROTOCOL_VERSION
    method: str
    params: Any


class ClientRequest(msgspec.Struct, kw_only=True):
    """What the client sends: ``params`` already a Struct or dict."""

    jsonrpc: str = PROTOCOL_VERSION
    method: str
    params: Any
    id: int | UnsetType = UNSET


class IncomingResponse(msgspec.Struct):
    """What the client reads: a response, or a notification (``method`` set, no id)."""

    jsonrpc: str = PROTOCOL_VERSION
    id: RequestId | UnsetType = UNSET
    result: msgspec.Raw | UnsetType = UNSET
    error: ErrorObject | UnsetType = UNSET
    method: str | UnsetType = UNSET
    params: msgspec.Raw | UnsetType = UNSET


def _enc_hook(obj: Any) -> Any:
    # Dates, decimals and the like from the database: their string form is the
    # portable JSON one.
    return str(obj)


encoder = msgspec.json.Encoder(enc_hook=_enc_hook)
# A message is an object (one request) or an array (a batch). Elements of a batch are
# decoded one by one, so one bad element gets its own error (spec section 6).
message_decoder = msgspec.json.Decoder(Request | list[msgspec.Raw])
request_decoder = msgspec.json.Decoder(Request)
incoming_decoder = msgspec.json.Decoder(IncomingResponse)
