"""The README's method table, generated from the registry: ``python -m daemon.protocol.reference``."""

from __future__ import annotations

import msgspec

from . import METHODS

BEGIN, END = "<!-- methods:begin -->", "<!-- methods:end -->"


def _params(method) -> str:  # type: ignore[no-untyped-def]
    info = msgspec.inspect.type_info(method.params)
    fields = getattr(info, "fields", ())
    parts = []
    for f in fields:
        parts.append(f.encode_name if f.required else f"{f.encode_name}?")
    return ", ".join(parts) or "—"


def method_table() -> str:
    rows = ["| method | role | params (`?` optional) | what it does |", "|---|---|---|---|"]
    for name in sorted(METHODS):
        m = METHODS[name]
        aliases = f" (client: {', '.join(m.aliases)})" if m.aliases else ""
        rows.append(f"| `{name}` | {m.role.name} | {_params(m)} | {m.summary}{aliases} |")
    return "\n".join(rows)


def render_into(readme: str) -> str:
    """``readme`` with the block between the markers replaced by the current table."""
    head, _, rest = readme.partition(BEGIN)
    _, _, tail = rest.partition(END)
    return f"{head}{BEGIN}\n{method_table()}\n{END}{tail}"


if __name__ == "__main__":
    import sys

    if sys.argv[1:2] == ["--update"]:  # rewrite the table in the named README in place
        path = sys.argv[2] if len(sys.argv) > 2 else "README.md"
        with open(path, encoding="utf-8") as f:
            text = render_into(f.read())
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
    else:
        print(method_table())
