"""Binds handlers to the protocol's methods, and calls them with a CallContext."""

from __future__ import annotations

import inspect
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar
from collections.abc import Awaitable, Callable

from ..protocol.registry import Method, Role
from ..protocol.system import Identity

if TYPE_CHECKING:
    from ..service import Daemon
    from .connection import Connection


@dataclass
class CallContext:
    """What a handler knows of its call: who, the daemon's services, the connection."""

    identity: Identity
    daemon: Daemon
    connection: Connection | None = None

    @property
    def actor(self) -> str:
        """How the audit trail names the caller: ``user(uid)``."""
        return f"{self.identity.user}({self.identity.uid})"

    @property
    def role(self) -> Role | None:
        """The caller's role, or None for a caller with none (or one this daemon does not know)."""
        return ROLES.get(self.identity.role)


ROLES: dict[str, Role] = dict(Role.__members__)  # by name; Role.__members__ makes a new proxy per use
Handler = Callable[[CallContext, Any], Awaitable[Any]]
HANDLERS: dict[str, Handler] = {}
F = TypeVar("F", bound=Handler)


def handles(method: Method[Any, Any]) -> Callable[[F], F]:
    """Register the decorated coroutine as the handler of ``method``; its docstring is the help."""

    def bind(fn: F) -> F:
        if method.name in HANDLERS:
            raise ValueError(f"{method.name} has two handlers")
        is_async = inspect.iscoroutinefunction(fn)  # a variable: narrowing fn would lose its type F
        if not is_async:
            raise TypeError(f"handler of {method.name} must be async")
        HANDLERS[method.name] = fn
        return fn

    return bind


def help_of(name: str) -> str:
    fn = HANDLERS.get(name)
    return inspect.cleandoc(fn.__doc__ or "") if fn else ""
