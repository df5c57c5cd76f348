"""Writes :mod:`daemon.client_methods`: the client's typed methods, generated from the registry.

Each RPC method becomes a method with a real signature (its params Struct's fields as keywords,
its result type as the return type) on a sync and an async namespace, so an agent author's
editor and mypy know ``client.sub_agents.register(agent_id=..., ...) -> Agent``. Run after adding
or changing a method::

    python -m daemon.client_gen            # rewrites daemon/client_methods.py
    python -m daemon.client_gen --check    # exit 1 if the file is stale (the test suite runs this)

The annotations are copied from the protocol's source (its modules use postponed annotations, so
``Struct.__annotations__`` holds the text as written) with each name imported from the module that
defines it, renamed where two modules use one name.
"""

from __future__ import annotations

import ast
import builtins
import functools
import importlib.util
import inspect
import re
import sys
import typing
from pathlib import Path
from typing import Any

import msgspec

from .protocol import METHODS, Method

TARGET = Path(__file__).with_name("client_methods.py")
_BUILTIN = set(dir(builtins))


class _Imports:
    """Names the generated module imports, each under one unique local name."""

    def __init__(self) -> None:
        self.by_origin: dict[tuple[str, str], str] = {}
        self.taken: set[str] = set(_BUILTIN)

    def local(self, module: str, name: str) -> str:
        key = (module, name)
        if key not in self.by_origin:
            alias = name if name not in self.taken else f"{module.rsplit('.', 1)[-1]}_{name}"
            self.by_origin[key] = alias
            self.taken.add(alias)
        return self.by_origin[key]

    def lines(self) -> list[str]:
        grouped: dict[str, list[str]] = {}
        for (module, name), alias in sorted(self.by_origin.items()):
            grouped.setdefault(module, []).append(name if alias == name else f"{name} as {alias}")
        return [f"from {m} import {', '.join(sorted(names))}" for m, names in sorted(grouped.items())]


@functools.cache
def _imported_names(module_name: str) -> dict[str, str]:
    """The names ``module_name`` takes from another module (``from .envelope import Id``) -> that module."""
    module = sys.modules[module_name]
    out: dict[str, str] = {}
    for node in ast.parse(inspect.getsource(module)).body:
        if isinstance(node, ast.ImportFrom):
            source = importlib.util.resolve_name("." * node.level + (node.module or ""), module.__package__)
            out.update((a.name, source) for a in node.names if a.asname in (None, a.name))
    return out


def _origin(module_name: str, name: str) -> str:
    """The module a protocol module's name comes from (``UnsetType`` → ``msgspec``; an alias such
    as ``Id`` that a module imports → the protocol module that defines it, since strict mypy wants
    each name imported from where it is defined)."""
    value = getattr(sys.modules[module_name], name)
    home: str | None = getattr(value, "__module__", None)
    if home and hasattr(sys.modules.get(home), name) and home.startswith(("daemon.protocol", "msgspec", "datetime")):
        return home
    if name in typing.__all__:
        return "typing"
    source = _imported_names(module_name).get(name)
    if source is not None and source.startswith("daemon.protocol") and source in sys.modules:
        return _origin(source, name)
    return module_name


def _annotation(text: str, module_name: str, imports: _Imports) -> str:
    """``text`` (an annotation as written in ``module_name``) with names renamed to the imports."""
    tree = ast.parse(text, mode="eval")
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and node.id == "msgspec":
            imports.taken.add("msgspec")  # msgspec.Meta(...) inside Annotated: import msgspec itself
        elif isinstance(node, ast.Name) and node.id not in _BUILTIN:
            node.id = imports.local(_origin(module_name, node.id), node.id)
    return ast.unparse(tree)


def _struct_annotations(struct: type[msgspec.Struct]) -> list[tuple[str, str, str]]:
    """(field, annotation text, defining module) for each field, base classes included."""
    out: dict[str, tuple[str, str]] = {}
    for klass in reversed(struct.__mro__):
        for name, text in vars(klass).get("__annotations__", {}).items():
            if not name.startswith("_"):
                out[name] = (text if isinstance(text, str) else getattr(text, "__name__", repr(text)), klass.__module__)
    return [(name, text, module) for name, (text, module) in out.items()]


def _result(method: Method[Any, Any], imports: _Imports) -> str:
    result = method.result
    if isinstance(result, type):
        return imports.local(result.__module__, result.__name__) if result.__module__ != "builtins" else result.__name__
    # A generic alias such as list[Hit] or dict[str, Any]: render it from its parts.
    origin, args = typing.get_origin(result), typing.get_args(result)
    rendered = []
    for a in args:
        if a is Any:
            rendered.append(imports.local("typing", "Any"))
        elif isinstance(a, type) and a.__module__ != "builtins":
            rendered.append(imports.local(a.__module__, a.__name__))
        else:
            rendered.append(getattr(a, "__name__", repr(a)))
    return f"{origin.__name__}[{', '.join(rendered)}]"


def _keywords(method: Method[Any, Any], imports: _Imports) -> list[str]:
    """The params Struct's fields as keyword parameters (optional ones default to ``...``)."""
    info = {f.name: f for f in msgspec.structs.fields(method.params)}
    out = []
    for field, text, module in _struct_annotations(method.params):
        if field in info:
            ann = _annotation(text, module, imports)
            out.append(f"{field}: {ann}" if info[field].required else f"{field}: {ann} = ...")
    return out


def _namespace_classes(asynchronous: bool, imports: _Imports) -> list[str]:
    out: list[str] = []
    nouns = sorted({m.noun for m in METHODS.values()})
    prefix = "Async" if asynchronous else ""
    d, aw = ("async def", "await ") if asynchronous else ("def", "")
    for noun in nouns:
        cls = f"{prefix}{''.join(p.title() for p in noun.split('_'))}Methods"
        base = "_AsyncNamespace" if asynchronous else "_Namespace"
        out += ["", "", f"class {cls}({base}):", f'    """``{noun}.*`` methods."""']
        for method in sorted((m for m in METHODS.values() if m.noun == noun), key=lambda m: m.name):
            params = imports.local(method.params.__module__, method.params.__name__)
            result = _result(method, imports)
            const = imports.local(_home_of(method), _constant_of(method))
            keywords = _keywords(method, imports)
            doc = f'        """{method.summary.replace(chr(34), chr(39))} (``{method.name}``, {method.role.name})"""'
            for verb in (method.verb, *method.aliases):
                out.append("")
                if keywords:
                    out += [
                        "    @overload",
                        f"    {d} {verb}(self, params: {params} | dict[str, Any], /) -> {result}: ...",
                        "",
                        "    @overload",
                        f"    {d} {verb}(self, *, {', '.join(keywords)}) -> {result}: ...",
                        "",
                    ]
                    # No "/" here (mypy 2.4 then rejects the keyword overload), so the object is
                    # named "_params": a field called "params" (query.sql's) goes to **kwargs.
                    out.append(f"    {d} {verb}(self, _params: Any = None, **kwargs: Any) -> {result}:")
                    out += [doc, f"        return {aw}self._call({const}, _params, kwargs)"]
                else:
                    out.append(f"    {d} {verb}(self, params: {params} | dict[str, Any] | None = None, /) -> {result}:")
                    out += [doc, f"        return {aw}self._call({const}, params, {{}})"]
    return out


def _home_of(method: Method[Any, Any]) -> str:
    """The protocol module that binds ``method`` to an UPPER_CASE name."""
    for modname, module in sorted(sys.modules.items()):
        if modname.startswith("daemon.protocol.") and any(v is method and k.isupper() for k, v in vars(module).items()):
            return modname
    raise LookupError(f"{method.name}: not bound to an UPPER_CASE name in a protocol module")


def _constant_of(method: Method[Any, Any]) -> str:
    """The name the protocol module binds this Method to (``REGISTER``)."""
    module = sys.modules[_home_of(method)]
    return next(k for k, v in vars(module).items() if v is method and k.isupper())


def _client_mixins(imports: _Imports) -> list[str]:
    """``ClientMethods`` / ``AsyncClientMethods``: one typed property per noun."""
    out: list[str] = []
    nouns = sorted({m.noun for m in METHODS.values()})
    for prefix in ("", "Async"):
        out += [
            "",
            "",
            f"class {prefix}ClientMethods:",
            f'    """The typed namespaces of the {prefix.lower() + " " if prefix else ""}client."""',
            "",
            "    def _call_method(self, method: Method[Any, Any], params: Any, kwargs: dict[str, Any]) -> Any:",
            "        raise NotImplementedError",
        ]
        for noun in nouns:
            cls = f"{prefix}{''.join(p.title() for p in noun.split('_'))}Methods"
            out += ["", "    @property", f"    def {noun}(self) -> {cls}:", f"        return {cls}(self._call_method)"]
    return out


def render() -> str:
    """The text of ``client_methods.py`` for the methods registered now."""
    imports = _Imports()
    imports.local("typing", "Any")
    for name in ("overload", "cast", "TypeVar"):
        imports.local("typing", name)
    imports.local("daemon.protocol.registry", "Method")
    body = _namespace_classes(False, imports) + _namespace_classes(True, imports) + _client_mixins(imports)
    head = [
        '"""The client\'s typed methods. GENERATED by ``python -m daemon.client_gen`` from the protocol',
        'registry: do not edit by hand (a test fails when this file is stale)."""',
        "",
        "# ruff: noqa: E501",
        "from __future__ import annotations",
        "",
        "from collections.abc import Awaitable, Callable",
        "",
        *(["import msgspec", ""] if "msgspec" in imports.taken else []),
        *imports.lines(),
        "",
        "",
        'R = TypeVar("R")',
        "",
        "",
        "class _Namespace:",
        "    def __init__(self, call: Callable[[Method[Any, Any], Any, dict[str, Any]], Any]) -> None:",
        "        self._call_method = call",
        "",
        "    def _call(self, method: Method[Any, R], params: Any, kwargs: dict[str, Any]) -> R:",
        "        return cast(R, self._call_method(method, params, kwargs))",
        "",
        "",
        "class _AsyncNamespace:",
        "    def __init__(self, call: Callable[[Method[Any, Any], Any, dict[str, Any]], Any]) -> None:",
        "        self._call_method = call",
        "",
        "    def _call(self, method: Method[Any, R], params: Any, kwargs: dict[str, Any]) -> Awaitable[R]:",
        "        return cast(Awaitable[R], self._call_method(method, params, kwargs))",
    ]
    text = "\n".join(head + body) + "\n"
    # A method named like a builtin (``events.list``) shadows it in its class body's annotations.
    shadowed = {v for m in METHODS.values() for v in (m.verb, *m.aliases)} & _BUILTIN
    for name in sorted(shadowed):
        text = re.sub(rf"(?<![\w.]){name}\[", f"builtins.{name}[", text)
    return text.replace("from collections.abc", "import builtins\nfrom collections.abc", 1) if shadowed else text


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    text = render()
    if "--check" in argv:
        if not TARGET.exists() or TARGET.read_text() != text:
            print(f"{TARGET} is stale: run python -m daemon.client_gen", file=sys.stderr)
            return 1
        return 0
    TARGET.write_text(text)
    print(f"wrote {TARGET}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
