"""The link columns query.related follows and agents look rows up by (storage/links.py) are
indexed: in a new database, in one made before the indexes (at the next start), and after a
schema change drops or retypes such a column (SQLite refuses to drop an indexed column)."""

from __future__ import annotations

from daemon.catalog import load_catalog
from daemon.config import REPO_SCHEMAS
from daemon.storage import open_database
from daemon.storage.links import TARGET, indexed_columns

CATALOG = load_catalog(REPO_SCHEMAS)


def expected() -> dict[str, set[tuple[str, ...]]]:
    """Each memory table's indexed column sets that the links call for."""
    out = {}
    for spec in CATALOG.values():
        types = {"source": "string", **{f.name: f.type for f in spec.fields}}
        wanted = {(c,) for c in indexed_columns(types)}
        if all(c in types for c in TARGET):
            wanted.add(TARGET)
        out[spec.db_table] = wanted
    return out


def indexes(url: str) -> dict[str, dict[str, tuple[str, ...]]]:
    """Each memory table's indexes: name -> columns."""
    db = open_database(url)
    with db.connection_context():
        found = {t: {i.name: tuple(i.columns) for i in db.get_indexes(t)} for t in expected()}
    db.close()
    return found


def test_link_columns_are_indexed_new_and_after_an_upgrade(daemon_on, database_url):
    want = expected()
    assert want["memory_sub_agents"] >= {("agent_id",), ("parent_agent",), ("source",)}
    assert want["memory_documents"] >= {("path",), ("sha256",)} and TARGET in want["memory_governance"]
    assert daemon_on.stop() == 0
    found = indexes(database_url)
    for table, columns in want.items():
        assert columns <= set(found[table].values()), table

    # A database from before: no link indexes. The next start creates them.
    db = open_database(database_url)
    with db.connection_context():
        for named in found.values():
            for name in named:
                if name.endswith("_idx"):
                    db.execute_sql(f'DROP INDEX "{name}"')
    db.close()
    assert not any(n.endswith("_idx") for named in indexes(database_url).values() for n in named)
    daemon_on.start()
    with daemon_on.client() as c:
        a = c.sub_agents.register(agent_id="w1", agent_name="W1", agent_type="worker")
        c.coding_agent.work_order(work_order_id="W-1", title="t", assigned_agent="w1")
        related = c.query.related(table="sub_agents", id=a.id)
        assert [(r.table, r.via, r.column) for r in related] == [("coding_agent", "agent", "assigned_agent")]
    assert daemon_on.stop() == 0
    found = indexes(database_url)
    for table, columns in want.items():
        assert columns <= set(found[table].values()), table


def test_an_indexed_column_can_be_retyped_and_dropped(daemon_on, database_url):
    with daemon_on.client() as c:
        retype = c.proposals.schema_tweak(
            action="alter_column", table="documents", field={"name": "sha256", "type": "integer"}
        )
        assert any("DROP INDEX" in s for s in retype.preview["ddl"])
        assert c.proposals.approve(id=retype.id).status == "applied"
        row = c.proposals.create(table="documents", fields={"title": "t", "sha256": 7}, confidence=0.99)
        assert c.rows.get(table="documents", id=row.row_id)["sha256"] == 7
        assert ("sha256",) in set(indexes(database_url)["memory_documents"].values())  # still indexed
        drop = c.proposals.schema_tweak(action="drop_column", table="documents", column="path")
        assert c.proposals.approve(id=drop.id).status == "applied"
        assert "path" not in {f.name for f in c.tables.describe(table="documents").fields}
    assert ("path",) not in set(indexes(database_url)["memory_documents"].values())
