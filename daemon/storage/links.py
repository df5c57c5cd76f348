"""The columns by which rows of different tables point at the same thing (query.related).

A "link" is a kind of value that several tables hold under known column names: a file path,
a content hash, an agent, a work order, a component, a playbook; and ``target_table`` +
``target_row``, a row about another row (governance, verification). Columns are found by
name, so tables created at run time take part too. The models index every scalar link
column, so following a link is an index lookup, not a scan of each table.
"""

from __future__ import annotations

# link kind -> the columns that hold it (scalar text, or a JSON list of text). Most specific
# first: a row related in two ways is reported once, by the first.
LINKS: dict[str, tuple[str, ...]] = {
    "source": ("source", "path"),
    "content_hash": ("sha256", "content_hash"),
    "work_order": ("work_order_id",),
    "playbook": ("playbook_name", "playbook"),
    "agent": ("agent_id", "assigned_agent", "parent_agent", "executor", "agent"),
    "component": ("target_components", "systems", "component"),
}
LIST_TYPES = ("list", "json")  # a JSON list: matched by its elements, not indexed
TARGET = ("target_table", "target_row")  # a row about row ``target_row`` of ``target_table``
LINK_COLUMNS = frozenset(column for columns in LINKS.values() for column in columns)


def indexed_columns(types: dict[str, str]) -> list[str]:
    """Of a table's columns (name -> catalog type), the scalar link columns to index."""
    return [name for name, ftype in types.items() if name in LINK_COLUMNS and ftype not in LIST_TYPES]
