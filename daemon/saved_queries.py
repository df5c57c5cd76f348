"""Saved queries: named read-only SQL in the configuration, that readers may run by name.

```yaml
queries:
  agent_work:
    description: Work orders with the agent that did them and its trust
    sql: SELECT ... WHERE w.assigned_agent = :agent
    params: [agent]
```

``:name`` placeholders are the parameters (bound, never pasted into the SQL); each is turned
into the backend's own placeholder when the query runs. Only operators write free SQL
(query.sql); saved queries run through the same read-only path.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

import msgspec

from .errors import InvalidParams, NotFound

# ``:name`` not preceded by a colon or a word character (so ``::text`` casts and ``10:30`` stay).
PLACEHOLDER = re.compile(r"(?<![:\w]):([A-Za-z_]\w*)")
QueryName = Annotated[str, msgspec.Meta(pattern=r"^[a-z][a-z0-9_.-]*$")]  # easy to type on a command line


class SavedQueryConfig(msgspec.Struct, forbid_unknown_fields=True):
    """One saved query: the SQL, its parameters by name, and what it answers."""

    sql: str
    params: list[str] = []
    description: str = ""

    def __post_init__(self) -> None:
        # msgspec turns a ValueError here into a ValidationError naming the field's path.
        if not self.sql.strip():
            raise ValueError("sql is empty")
        used = set(PLACEHOLDER.findall(self.sql))
        declared = set(self.params)
        if used - declared:
            raise ValueError(f"sql uses :{', :'.join(sorted(used - declared))} but params does not declare it")
        if declared - used:
            raise ValueError(f"params {', '.join(sorted(declared - used))} not used in the sql (as :name)")


def bind(query: SavedQueryConfig, params: dict[str, Any], backend: str) -> tuple[str, list[Any]]:
    """The SQL with the backend's placeholders, and the values in their order."""
    missing = [n for n in query.params if n not in params]
    unknown = sorted(set(params) - set(query.params))
    if missing or unknown:
        raise InvalidParams(f"this query takes params {query.params}; missing {missing}, unknown {unknown}")
    marker = "%s" if backend == "postgresql" else "?"
    values: list[Any] = []

    def sub(m: re.Match[str]) -> str:
        values.append(params[m.group(1)])
        return marker

    # psycopg2 reads % in the SQL as its own: a literal one (LIKE 'a%') is written %%.
    text = query.sql.replace("%", "%%") if backend == "postgresql" else query.sql
    return PLACEHOLDER.sub(sub, text), values


def lookup(queries: dict[str, SavedQueryConfig], name: str) -> SavedQueryConfig:
    try:
        return queries[name]
    except KeyError:
        raise NotFound(f"no saved query {name!r}; query.saved lists them") from None
