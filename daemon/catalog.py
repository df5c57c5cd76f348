"""The table catalog: one YAML file per memory table in ``schemas/``, validated with msgspec."""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path
from typing import Literal

import msgspec
import yaml

from .protocol.proposals import FieldDef, FieldType

FileKind = Literal["text", "markdown", "pdf", "code", "dataset", "media"]

# Columns every memory table has, for governance and trust. A schema may not redefine them.
COMMON_FIELDS: dict[str, tuple[FieldType, str]] = {
    "id": ("integer", "Row id."),
    "created_at": ("datetime", "When the row was inserted (UTC)."),
    "updated_at": ("datetime", "When the row last changed (UTC)."),
    "source": ("string", "Where the row came from: a file path, an agent, an operator."),
    "trust_score": ("float", "How far the row is trusted, 0..1."),
    "version": ("integer", "Incremented on every change, for optimistic concurrency."),
}

NON_SCHEMA_FILES = {"policy"}  # other YAML in schemas/ that is not a table


def builtin_schemas_dir() -> Path:
    """The schema files that ship with Clarity: ``daemon/schemas`` inside an installed wheel
    (the repository's top-level ``schemas/`` mapped into the package at build time, see
    setup.py), else ``schemas/`` of this checkout (editable installs and running from source)."""
    packaged = Path(str(files("daemon") / "schemas"))
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parent.parent / "schemas"


class CatalogError(Exception):
    """A schema file is unreadable or invalid; the message names the file and the field."""


class FieldSpec(FieldDef):
    """A column of a memory table: the protocol's :class:`FieldDef` (what ``proposals.schema_tweak``
    takes), and the names files may give it."""

    # Other names a file may give this field (a column, a key, a label): "rpo" for rpo_minutes.
    aliases: list[str] = []

    @classmethod
    def of(cls, field: FieldDef) -> FieldSpec:
        """The column as the protocol gave it, with no aliases yet."""
        return cls(**msgspec.structs.asdict(field))


class Hints(msgspec.Struct, forbid_unknown_fields=True):
    """What inference looks for: extracted kinds, extensions, phrases, dataset columns, and the
    section headings the table's documents have (``Attendees``, ``Motions`` in board minutes)."""

    kinds: list[FileKind] = []
    extensions: list[str] = []
    keywords: list[str] = []
    columns: list[str] = []
    sections: list[str] = []


class TableSpec(msgspec.Struct, forbid_unknown_fields=True):
    name: str
    db_table: str
    description: str
    fields: list[FieldSpec]
    hints: Hints = msgspec.field(default_factory=Hints)

    def field(self, name: str) -> FieldSpec | None:
        return next((f for f in self.fields if f.name == name), None)


def _check(spec: TableSpec, stem: str) -> None:
    if spec.name != stem:
        raise CatalogError(f"name {spec.name!r} differs from the file name {stem!r}")
    seen: set[str] = set()
    for i, f in enumerate(spec.fields):
        where = f"at $.fields[{i}].name"
        if not f.name.isidentifier() or f.name != f.name.lower():
            raise CatalogError(f"field name {f.name!r} is not a lowercase identifier - {where}")
        if f.name in COMMON_FIELDS:
            raise CatalogError(f"field {f.name!r} is a common column every table has - {where}")
        if f.name in seen:
            raise CatalogError(f"field {f.name!r} appears twice - {where}")
        seen.add(f.name)
    if not spec.db_table.isidentifier():
        raise CatalogError(f"db_table {spec.db_table!r} is not a valid table name - at $.db_table")


def load_table(path: Path) -> TableSpec:
    """Load and validate one schema file."""
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=yaml.CSafeLoader)
        spec = msgspec.convert(data, TableSpec)
        _check(spec, path.stem)
    except (OSError, UnicodeDecodeError, yaml.YAMLError, msgspec.ValidationError, CatalogError) as e:
        raise CatalogError(f"{path}: {e}") from e
    return spec


def load_catalog(directory: str | Path) -> dict[str, TableSpec]:
    """Every table in ``directory``, by name, in name order."""
    directory = Path(directory)
    files = sorted(p for p in directory.glob("*.yaml") if p.stem not in NON_SCHEMA_FILES)
    if not files:
        raise CatalogError(f"{directory}: no table schemas (*.yaml) found")
    tables = {}
    db_tables: dict[str, str] = {}
    for path in files:
        spec = load_table(path)
        if spec.db_table in db_tables:
            raise CatalogError(f"{path}: db_table {spec.db_table!r} is also used by {db_tables[spec.db_table]}")
        db_tables[spec.db_table] = spec.name
        tables[spec.name] = spec
    return tables
