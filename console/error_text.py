"""Errors as an operator reads them: a title and a sentence, from the daemon's error code.

The daemon refuses a method the caller's role may not call with FORBIDDEN and the words
"<method> needs the <role> role; <user> (uid N) has <role>"; that becomes "your role (reader)
may not approve: operators only". Other refusals keep the daemon's own words (they already
say what happened), under a title naming the code in plain language.

When the daemon cannot be reached at all, the banner says so in one line of words
(:func:`unreachable_banner`); the raw error joins it only where there is room, and is kept on
the banner's tooltip, in Overview's health line and in the Textual log.
"""

from __future__ import annotations

import re

from daemon.protocol import ErrorCode, RpcError

_ROLE_REFUSAL = re.compile(r"^(?P<method>[\w.]+) needs the (?P<needs>\w+) role; .* has (?P<has>\w+)$")

TITLES: dict[int, str] = {  # int keys: RpcError.code may be one no ErrorCode names
    ErrorCode.FORBIDDEN: "Not allowed",
    ErrorCode.CONFLICT: "Conflict",
    ErrorCode.NOT_FOUND: "Not found",
    ErrorCode.INVALID_STATE: "Not possible now",
    ErrorCode.INVALID_PARAMS: "Refused",
    ErrorCode.UNAVAILABLE: "Daemon unreachable",
    ErrorCode.TIMEOUT: "No answer",
}


def _verb(method: str) -> str:
    """``proposals.approve`` -> "approve"; ``rows.delete`` -> "delete rows"."""
    noun, _, verb = method.partition(".")
    if noun == "proposals":
        return {"schema_tweak": "propose schema changes", "revert": "revert proposals"}.get(verb, verb)
    if method == "query.sql":
        return "run SQL"
    return f"{verb.replace('_', ' ')} {noun.replace('_', ' ')}"


def describe_error(error: BaseException) -> tuple[str, str]:
    """(title, message) for a notification about ``error``."""
    if not isinstance(error, RpcError):
        return "clarity", f"{type(error).__name__}: {error}"
    title = f"{TITLES.get(error.code, 'clarityd')} ({error.name})"
    if error.code == ErrorCode.FORBIDDEN and (m := _ROLE_REFUSAL.match(error.message)):
        needs = m["needs"]
        return title, f"your role ({m['has']}) may not {_verb(m['method'])}: {needs}s only"
    return title, error.message


# What the client's words about a failed connection mean, in a few words (first match wins).
_UNREACHABLE_REASONS = (
    ("No such file", "no socket"),
    ("Connection refused", "refused"),
    ("Permission denied", "no permission"),
    ("closed the connection", "connection lost"),
    ("connection lost", "connection lost"),
    ("no answer", "no answer"),
)


def unreachable_reason(detail: str) -> str:
    """Why the daemon cannot be reached, in a few words, from the client's error ``detail``."""
    return next((words for marker, words in _UNREACHABLE_REASONS if marker in detail), "cannot connect")


def first_fitting(width: int, *lines: str) -> str:
    """The first of ``lines`` (longest first) that fits in ``width``; else the last."""
    return next((line for line in lines if len(line) <= width), lines[-1])


def unreachable_banner(detail: str, retry_s: float, width: int) -> str:
    """One line (within ``width`` where it can be) saying what happened and what the console
    does about it; the reason in words, then the raw ``detail``, only where they fit."""
    doing = f"retrying every {retry_s:g}s · nothing typed is lost"
    head = "clarityd unreachable"
    reason = f"{head} ({unreachable_reason(detail)}) · {doing}"
    return first_fitting(width, f"{reason} · {detail}", reason, f"{head} · {doing}")
