"""Alert rules as the configuration writes them, and how an event is matched against one.

```yaml
alerts:
  - name: low-trust-agents
    on: [agent.task_completed]          # event types as events.list shows them; prefix.* allowed
    where: {trust_score: {lt: 0.5}}      # payload conditions (all must hold)
    webhook: http://127.0.0.1:9000/hook  # the event POSTed as JSON
    command: [/usr/local/bin/page-oncall] # run with the event as JSON on stdin
```

A condition is ``{field: value}`` (equal) or ``{field: {op: value}}`` with op one of eq, ne, lt,
le, gt, ge, in, contains, exists. ``field`` looks in the payload first, then in the event itself
(type, subject, actor); dots reach into nested objects (``execution_result.success``).
"""

from __future__ import annotations

import operator
import re
from typing import Annotated, Any
from urllib.parse import urlparse

import msgspec

OPS: dict[str, Any] = {
    "eq": operator.eq,
    "ne": operator.ne,
    "lt": operator.lt,
    "le": operator.le,
    "gt": operator.gt,
    "ge": operator.ge,
    "in": lambda a, b: a in b,
    "contains": lambda a, b: b in a if isinstance(a, (str, list)) else False,
}
EVENT_PATTERN = re.compile(r"^(\*|[a-z_]+\.\*|[a-z_]+\.[a-z_]+)$")


class AlertRule(msgspec.Struct, forbid_unknown_fields=True, rename={"on_": "on"}):
    """One rule: which events, which of them (``where``), and where they go."""

    name: Annotated[str, msgspec.Meta(min_length=1)]
    on_: list[str]
    where: dict[str, Any] = {}
    webhook: str = ""
    command: list[str] = []
    timeout_s: Annotated[float, msgspec.Meta(gt=0, le=300)] = 5.0  # per attempt
    max_attempts: Annotated[int, msgspec.Meta(ge=1, le=20)] = 5  # tries in all, with backoff between them
    backoff_s: Annotated[float, msgspec.Meta(gt=0, le=3600)] = 1.0  # first wait; each next one doubles (max 5 min)

    def __post_init__(self) -> None:
        # msgspec reports a ValueError raised here as a ValidationError with the rule's path.
        if not self.on_:
            raise ValueError(f"alert {self.name!r}: `on` names no event type")
        for pattern in self.on_:
            if not EVENT_PATTERN.match(pattern):
                raise ValueError(f"alert {self.name!r}: event type {pattern!r} is not noun.verb, noun.* or *")
        if not self.webhook and not self.command:
            raise ValueError(f"alert {self.name!r}: give a webhook, a command or both")
        if self.webhook:
            url = urlparse(self.webhook)
            if url.scheme not in ("http", "https") or not url.hostname:
                raise ValueError(f"alert {self.name!r}: webhook {self.webhook!r} is not an http(s) URL")
        for field, cond in self.where.items():
            if isinstance(cond, dict):
                bad = sorted(set(cond) - set(OPS) - {"exists"})
                if bad:
                    raise ValueError(
                        f"alert {self.name!r}: where.{field}: unknown op {bad[0]!r} (use {', '.join([*OPS, 'exists'])})"
                    )
                if "in" in cond and not isinstance(cond["in"], list):
                    raise ValueError(f"alert {self.name!r}: where.{field}.in takes a list")

    def wants(self, event_type: str) -> bool:
        return any(
            p == "*" or p == event_type or (p.endswith(".*") and event_type.startswith(p[:-1])) for p in self.on_
        )

    def matches(self, event: dict[str, Any], row: dict[str, Any] | None = None) -> bool:
        """The event is of a type the rule is on and meets every ``where`` condition (looked up
        in the payload, then in ``row``: the row a row.* event is about, then the event)."""
        return self.wants(event["type"]) and all(_holds(_lookup(event, f, row), c) for f, c in self.where.items())

    def needs_row(self, event: dict[str, Any]) -> bool:
        """A row.* event whose payload lacks a field ``where`` asks about (trust_score...)."""
        payload = event.get("payload")
        if not isinstance(payload, dict):
            payload = {}
        return (
            event["type"] in ("row.inserted", "row.updated")
            and self.wants(event["type"])
            and any(f.split(".")[0] not in payload for f in self.where)
        )


_MISSING = object()


def masked(url: str) -> str:
    """The URL with any password replaced, for the log and readers' eyes."""
    return re.sub(r"(://[^:/@]+:)[^@]*@", r"\1***@", url)


def _lookup(event: dict[str, Any], field: str, row: dict[str, Any] | None = None) -> Any:
    payload = event.get("payload")
    for source in (payload if isinstance(payload, dict) else {}, row or {}, event):
        value: Any = source
        for part in field.split("."):
            value = value.get(part, _MISSING) if isinstance(value, dict) else _MISSING
            if value is _MISSING:
                break
        if value is not _MISSING:
            return value
    return _MISSING


def _holds(value: Any, cond: Any) -> bool:
    if not isinstance(cond, dict):
        cond = {"eq": cond}
    for op, expected in cond.items():
        if op == "exists":
            if (value is not _MISSING) != bool(expected):
                return False
            continue
        if value is _MISSING or value is None:
            return False
        try:
            if not OPS[op](value, expected):
                return False
        except TypeError:  # comparing a number with text: the condition does not hold
            return False
    return True
