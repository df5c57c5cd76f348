"""The original integration's call shapes, folded into today's flat params in one place.

Agents written against the original examples send ``execution_result={success, duration_ms,
risk_level}``, ``test_results={total, passed, failed}`` or ``affected_files``; the params
Structs accept those beside the flat names and call these helpers from ``__post_init__``.
A ValueError there is a msgspec ValidationError, which the daemon answers INVALID_PARAMS.
"""

from __future__ import annotations

from typing import Any

import msgspec


def folded() -> Any:
    """The default of a flat field that may also come nested: absent (None) only until
    ``__post_init__`` folds the nested value in, fills its default or raises for a required one.
    Typed Any so the field keeps its plain type for the code that reads it."""
    return msgspec.field(default=None)


def fold_nested(params: msgspec.Struct, name: str) -> None:
    """Copy every field set in the nested Struct ``params.<name>`` onto the flat field of the same
    name, then clear ``<name>`` (so the value is stored and sent once). The same value given both
    ways is fine; two different values are a ValueError."""
    nested = getattr(params, name)
    if nested is None:
        return
    for field in nested.__struct_fields__:
        fold_alias(params, f"{name}.{field}", getattr(nested, field), field)
    setattr(params, name, None)


def fold_alias(params: msgspec.Struct, alias: str, value: Any, field: str) -> None:
    """``value`` (given as ``alias``; None or empty when not given) becomes ``params.<field>``,
    unless that field already holds a different value."""
    if value is None or value == []:
        return
    flat = getattr(params, field)
    if flat is not None and flat != [] and flat != value:
        raise ValueError(f"{field} is given twice, as {flat!r} and as {alias} = {value!r}")
    setattr(params, field, value)


def require(params: msgspec.Struct, *fields: str, where: str) -> None:
    """Fields left out both flat and nested (``where`` names the nested place) are an error."""
    missing = [f for f in fields if getattr(params, f) is None]
    if missing:
        raise ValueError(f"missing required field(s) {', '.join(missing)} (flat, or in {where})")
