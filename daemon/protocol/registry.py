"""The method registry: every RPC method declared once, with its params, result and role."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum
from typing import Any, Generic, TypeVar

import msgspec

P = TypeVar("P", bound=msgspec.Struct)
R = TypeVar("R")


class Role(IntEnum):
    """Who may call what. Ordered: each role may do everything the lower ones may."""

    reader = 1
    agent = 2
    operator = 3


class NoParams(msgspec.Struct, forbid_unknown_fields=True):
    """For methods that take no parameters."""


@dataclass(frozen=True)
class Method(Generic[P, R]):
    """One RPC method: ``name`` is ``noun.verb``; ``aliases`` are extra client names."""

    name: str
    params: type[P]
    result: type[R]  # a type, possibly generic (``list[Table]``)
    role: Role
    summary: str
    aliases: tuple[str, ...] = field(default=())

    def __post_init__(self) -> None:
        noun, _, verb = self.name.partition(".")
        if not noun or not verb or "." in verb:
            raise ValueError(f"method name {self.name!r} must be noun.verb")
        if self.name in METHODS:
            raise ValueError(f"method {self.name!r} declared twice")
        METHODS[self.name] = self

    @property
    def noun(self) -> str:
        return self.name.partition(".")[0]

    @property
    def verb(self) -> str:
        return self.name.partition(".")[2]


METHODS: dict[str, Method[Any, Any]] = {}
