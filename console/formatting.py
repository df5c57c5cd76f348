"""How values look in the console: one short line in a table cell, in full in a detail view,
and how an operator's typed text becomes a value of a field's type again."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime, UTC
from typing import Any

# Columns every memory table has; the daemon manages them, so they are never edited.
COMMON_FIELDS = ("id", "created_at", "updated_at", "source", "trust_score", "version")


def utc_now() -> datetime:
    """The current time in UTC (naive, as the daemon stores times)."""
    return datetime.now(UTC).replace(tzinfo=None)


now: Callable[[], datetime] = utc_now
"""The clock the console reads "ago" and uptimes against; snapshot tests freeze it."""


def as_datetime(value: Any) -> datetime | None:
    """A time from the daemon (a datetime or ISO text) as a naive UTC datetime."""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
    if not isinstance(value, datetime):
        return None
    when: datetime = value
    if when.tzinfo is not None:
        when = when.astimezone(UTC).replace(tzinfo=None)
    return when


def duration(seconds: float) -> str:
    """A span of time as an operator reads it: 42s, 7m, 3h 05m, 2d 4h."""
    s = max(int(seconds), 0)
    if s < 60:
        return f"{s}s"
    if s < 3600:
        return f"{s // 60}m"
    if s < 86400:
        return f"{s // 3600}h {s % 3600 // 60:02d}m"
    return f"{s // 86400}d {s % 86400 // 3600}h"


def uptime(seconds: float) -> str:
    """The daemon's uptime as shown (snapshot tests freeze it)."""
    return duration(seconds)


def ago(value: Any) -> str:
    """How long ago a time was, against :data:`now` ("5m ago"); empty when unknown."""
    at = as_datetime(value)
    if at is None:
        return ""
    return duration((now() - at).total_seconds()) + " ago"


def cell_path(value: Any, width: int = 30) -> str:
    """A path for a table cell, cut from the left so that the file name stays visible."""
    text = "" if value is None else " ".join(str(value).split())
    return text if len(text) <= width else "…" + text[len(text) - width + 1 :]


def looks_like_path(value: Any) -> bool:
    """Whether a cell holds a file path (absolute, home-relative or a URL-less relative path)."""
    return (
        isinstance(value, str)
        and "\n" not in value
        and " " not in value.strip()
        and value[:1] not in "{["
        and (value.startswith(("/", "~/", "./")) or (value.count("/") >= 2 and "://" not in value))
    )


def when(value: Any) -> str:
    """A time as ``YYYY-MM-DD HH:MM:SS`` (UTC, as the daemon stores it)."""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, str) and len(value) >= 19 and value[10] == "T":
        return value[:10] + " " + value[11:19]
    return "" if value is None else str(value)


def cell(value: Any, width: int = 40) -> str:
    """One line, at most ``width`` characters, for a table cell."""
    if value is None:
        text = ""
    elif isinstance(value, bool):
        text = "yes" if value else "no"
    elif isinstance(value, float):
        text = f"{value:.2f}"
    elif isinstance(value, datetime):
        text = when(value)
    elif isinstance(value, list):
        text = ", ".join(cell(v, width) for v in value)
    elif isinstance(value, dict):
        text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str)
    else:
        text = when(value) if isinstance(value, str) and _looks_like_time(value) else str(value)
    text = " ".join(text.split())  # newlines and runs of blanks would break the row
    if isinstance(value, str) and looks_like_path(text):
        return cell_path(text, width)
    return text if len(text) <= width else text[: width - 1] + "…"


def full(value: Any) -> str:
    """The whole value, for a detail view: JSON (indented) for lists and objects."""
    if value is None:
        return "—"
    if isinstance(value, list) and all(not isinstance(v, (list, dict)) for v in value):
        return json.dumps(value, ensure_ascii=False, default=str)  # a short list reads best on one line
    if isinstance(value, (list, dict)):
        return json.dumps(value, ensure_ascii=False, indent=2, default=str)
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, datetime) or (isinstance(value, str) and _looks_like_time(value)):
        return when(value) + " UTC"
    return str(value)


def as_text(value: Any) -> str:
    """A value as an operator edits it in a one-line input: plain text for strings and
    numbers, JSON for lists and objects, empty for null."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, dict)):
        return json.dumps(value, ensure_ascii=False, default=str)
    return str(value)


def parse_value(text: str, field_type: str) -> Any:
    """What the operator typed, as a value of ``field_type`` (the catalog's types).
    Empty means null. Raises ValueError with a short reason."""
    text = text.strip()
    if text == "":
        return None
    if field_type == "integer":
        try:
            return int(text)
        except ValueError:
            raise ValueError("a whole number is expected") from None
    if field_type == "float":
        try:
            return float(text)
        except ValueError:
            raise ValueError("a number is expected") from None
    if field_type == "boolean":
        lowered = text.lower()
        if lowered in ("true", "yes", "y", "1"):
            return True
        if lowered in ("false", "no", "n", "0"):
            return False
        raise ValueError("true or false is expected")
    if field_type == "list":
        if text.startswith("["):
            value = _json(text)
            if not isinstance(value, list):
                raise ValueError("a JSON list is expected")
            return value
        return [part.strip() for part in text.split(",") if part.strip()]  # a, b, c
    if field_type == "json":
        return _json(text)
    return text  # string, text, datetime (the daemon checks the time's form)


def _json(text: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as e:
        raise ValueError(f"not valid JSON: {e.msg}") from None


def guess_type(value: Any) -> str:
    """A field's type from its value, for fields the catalog does not describe."""
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "float"
    if isinstance(value, list):
        return "list"
    if isinstance(value, dict):
        return "json"
    return "string"


def _looks_like_time(text: str) -> bool:
    return len(text) in range(19, 33) and text[4:5] == "-" and text[10:11] == "T" and text[13:14] == ":"
