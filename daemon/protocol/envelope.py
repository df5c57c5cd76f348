"""JSON-RPC 2.0 envelopes, with one shared set of encoders and decoders."""

from __future__ import annotations

import re
from array import array
from itertools import accumulate
from typing import Annotated, Any, Literal

import msgspec
from msgspec import UNSET, UnsetType

PROTOCOL_VERSION = "2.0"

# Every integer a caller sends must fit the databases' 64-bit INTEGER/BIGINT: a larger one
# would only fail later, deep in a query, as an internal error. Params Structs use these types.
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
Int64 = Annotated[int, msgspec.Meta(ge=INT64_MIN, le=INT64_MAX)]
Id = Annotated[int, msgspec.Meta(ge=INT64_MIN, le=INT64_MAX, description="a row, proposal or event id")]
# "Only what happened this recently": up to about 300 years, so now minus it is still a date.
WindowSeconds = Annotated[float, msgspec.Meta(gt=0, le=1e10)]

RequestId = int | str | None

# Arrays and objects nested deeper than this are refused before decoding: the decoders and
# the handlers after them recurse, and a few KB of "[[[[" must not exhaust the stack.
MAX_NESTING = 64
_NOT_BRACKET = bytes(b for b in range(256) if b not in b"[]{}")
_BRACKET_STEP = bytes(1 if b in b"[{" else 255 for b in range(256))
# Digits as "0", anything else as " ": a run of 19 "0"s is a 19-digit number (or part of one).
_DIGITS_AS_ZERO = bytes(48 if 48 <= b <= 57 else 32 for b in range(256))
_LONG_RUN = b"0" * 19
_DIGIT_RUN = re.compile(rb"-?\d{19,}")


def _outside_strings(text: bytes) -> bytes:
    """``text`` with the contents of its JSON strings removed, by C-speed bytes operations only
    (hostile input must not make this slow): escapes go first, then every other quote toggles."""
    plain = text.replace(b"\\\\", b"").replace(b'\\"', b"")
    return b"".join(plain.split(b'"')[::2])


def nesting_depth_exceeds(text: bytes, limit: int = MAX_NESTING) -> bool:
    """True if the JSON ``text`` nests arrays/objects deeper than ``limit`` (strings ignored).

    Cheap for ordinary messages: only one with more brackets than ``limit`` is scanned."""
    if text.count(b"[") + text.count(b"{") <= limit:
        return False
    # Opening brackets as +1, closing ones as -1 (signed bytes): the running sum is the depth,
    # and accumulate/max walk it in C.
    steps = array("b", _outside_strings(text).translate(None, _NOT_BRACKET).translate(_BRACKET_STEP))
    return max(accumulate(steps), default=0) > limit


def out_of_range_integer(text: bytes) -> bytes | None:
    """The first JSON integer in ``text`` (outside strings) that does not fit 64 bits, or None.

    For values under ``Any`` (row fields, filters), which no Struct type constrains."""
    if _LONG_RUN not in text.translate(_DIGITS_AS_ZERO):  # the common case, at C speed
        return None
    plain = _outside_strings(text)
    for match in _DIGIT_RUN.finditer(plain):
        before = plain[match.start() - 1 : match.start()]
        after = plain[match.end() : match.end() + 1]
        if before in (b".", b"e", b"E", b"+", b"-") or after in (b".", b"e", b"E"):
            continue  # the fraction, exponent or mantissa of a float: any size is fine
        digits = match.group()
        if len(digits.lstrip(b"-")) > 19 or not INT64_MIN <= int(digits) <= INT64_MAX:
            return digits
    return None


# \u0000 escaped in a JSON string (an odd run of backslashes before "u0000"): PostgreSQL text
# and jsonb cannot hold NUL, so no backend may be handed one.
_NUL_ESCAPE = re.compile(rb"(?<!\\)(?:\\\\)*\\u0000")


def has_nul(text: bytes) -> bool:
    """True if a JSON string in ``text`` holds a NUL character (written ``\\u0000``)."""
    return b"u0000" in text and _NUL_ESCAPE.search(text) is not None


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


def _readable(text: str) -> str:
    """A string with lone surrogates (a file name's undecodable bytes, as os.fsdecode keeps them)
    written as \\xNN escapes, so it can be sent as UTF-8."""
    try:
        raw = text.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        raw = text.encode("utf-8", "surrogatepass")
    return raw.decode("utf-8", "backslashreplace")


def _without_surrogates(value: Any) -> Any:
    if isinstance(value, str):
        return _readable(value)
    if isinstance(value, dict):
        return {_without_surrogates(k): _without_surrogates(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_without_surrogates(v) for v in value]
    return value


def encode_message(message: Any) -> bytes:
    """``message`` as JSON for the wire. A string that UTF-8 cannot carry (a file name that is
    not UTF-8) is escaped rather than losing the whole answer to an encoding error."""
    try:
        return encoder.encode(message)
    except UnicodeEncodeError:
        return encoder.encode(_without_surrogates(msgspec.to_builtins(message, enc_hook=_enc_hook)))


# A message is an object (one request) or an array (a batch). Elements of a batch are
# decoded one by one, so one bad element gets its own error (spec section 6).
message_decoder = msgspec.json.Decoder(Request | list[msgspec.Raw])
request_decoder = msgspec.json.Decoder(Request)
incoming_decoder = msgspec.json.Decoder(IncomingResponse)
