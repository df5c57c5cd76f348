"""alerts.*: the alert rules in force and what their deliveries did."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

import msgspec

from .registry import Method, NoParams, Role


class Rule(msgspec.Struct):
    """One rule of the configuration (``alerts:``), with what it did since the daemon started."""

    name: str
    on: list[str]
    where: dict[str, Any]
    webhook: str
    command: list[str]
    timeout_s: float
    max_attempts: int
    matched: int  # events that met the rule


class Rules(msgspec.Struct):
    rules: list[Rule]
    queued: int  # deliveries waiting (or waiting to be tried again)
    delivered: int
    failed: int  # gave up: every try failed, or the receiver refused the request
    dropped: int  # not even tried: the delivery queue was full


class ListDeliveries(msgspec.Struct, forbid_unknown_fields=True):
    """The latest deliveries first, optionally of one ``rule`` or one ``status``."""

    rule: str | None = None
    status: Literal["delivered", "retrying", "failed", "dropped"] | None = None
    limit: Annotated[int, msgspec.Meta(ge=1, le=1000)] = 100


class Delivery(msgspec.Struct):
    id: int
    rule: str
    target: str  # webhook or command
    destination: str  # the URL, or the command line
    event_id: int | None  # None for proposal.waiting (not a stored event)
    event_type: str
    subject: str
    attempt: int  # 1 for the first try
    status: str  # delivered, retrying, failed, dropped
    detail: str  # HTTP status, exit code, or why it failed
    duration_ms: float
    at: datetime


RULES = Method("alerts.rules", NoParams, Rules, Role.reader, "The alert rules in force and their counts.")
DELIVERIES = Method(
    "alerts.deliveries",
    ListDeliveries,
    list[Delivery],
    Role.reader,
    "Recent alert deliveries (webhooks, commands), newest first.",
)
