"""``clarityd --check``: what the next start would change in the database, without writing."""

from __future__ import annotations

import os

from .catalog import TableSpec
from .config import Config
from .storage import Store, mask_url, open_database


def upgrade_check(config: Config, tables: dict[str, TableSpec]) -> list[str]:
    """Lines saying what the schema files would change in the configured database (nothing is
    written, and a SQLite file that does not exist yet is not created)."""
    url = config.database
    if url.startswith("sqlite:///") and not os.path.exists(url[len("sqlite:///") :]):
        return [f"database {url}: not created yet; its {len(tables)} tables will be created at start"]
    from .governance import upgrade  # peewee and the governance models only when there is a database
    from .governance.models import Proposal, SchemaVersion

    try:
        db = open_database(url)
        with db.connection_context():
            store = Store(db, dict(tables), readers=1)
            for model in (upgrade.SchemaFile, Proposal, SchemaVersion):
                model.bind(db)
            lines = upgrade.check(store)
    except Exception as e:  # a report, not a start: say why the comparison failed, exit 0 anyway
        return [f"database {mask_url(url)}: cannot compare the schema files with it: {e}"]
    return [
        f"database {mask_url(url)}: " + ("the schema files match it" if not lines else "at the next start:"),
        *[f"  {line}" for line in lines],
    ]
