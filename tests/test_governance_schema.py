"""Schema evolution through proposals, on SQLite and PostgreSQL: previews, refused changes,
live catalog updates, version history, and persistence across a restart."""

from __future__ import annotations

from daemon.protocol import ErrorCode

from gov_helpers import error_code, events

CONTRACTS = [
    {"name": "party", "type": "string", "required": True, "description": "Who we signed with."},
    {"name": "value", "type": "float"},
]


def test_create_table_and_add_column_live(make_daemon, database_url):
    d = make_daemon(database=database_url)
    with d.client() as c:
        p = c.proposals.schema_tweak(
            action="create_table",
            table="contracts",
            fields=CONTRACTS,
            description="Signed contracts.",
            reasoning="legal asked",
        )
        assert p.status == "pending" and "never" in p.policy_rule  # schema changes are never automatic
        assert p.preview["ddl"][0].startswith('CREATE TABLE "memory_contracts"')
        assert p.preview["rows_affected"] == 0
        assert error_code(c.tables.describe, table="contracts") == ErrorCode.NOT_FOUND

        assert c.proposals.approve(id=p.id).status == "applied"
        # Usable the moment it is applied, without a restart.
        row = c.proposals.create(table="contracts", fields={"party": "ACME", "value": "12.5"}, confidence=0.99)
        assert row.status == "applied" and c.rows.get(table="contracts", id=row.row_id)["value"] == 12.5
        desc = c.tables.describe(table="contracts")
        assert desc.schema_version == 1 and [v.action for v in desc.versions] == ["create_table"]
        assert "contracts" in {t.name for t in c.tables.list()}
        assert events(c, "table.created", "table/contracts")[0]["payload"]["proposal"] == p.id

        for title in ("a", "b", "c"):
            c.proposals.create(table="documents", fields={"title": title}, confidence=0.99)
        add = c.proposals.schema_tweak(
            action="add_column", table="documents", field={"name": "rating", "type": "integer", "description": "Stars."}
        )
        assert add.preview["ddl"] == [
            'ALTER TABLE "memory_documents" ADD COLUMN "rating" '
            + ("INTEGER" if database_url.startswith("sqlite") else "BIGINT")
        ]
        assert add.preview["rows_in_table"] == 3 and add.preview["rows_affected"] == 3
        assert c.proposals.approve(id=add.id).status == "applied"
        desc = c.tables.describe(table="documents")
        assert desc.schema_version == 2 and [v.action for v in desc.versions] == ["baseline", "add_column"]
        assert desc.versions[1].ddl == add.preview["ddl"] and desc.versions[1].proposal_id == add.id
        assert desc.fields[-1].name == "rating" and desc.fields[-1].type == "integer"
        doc = c.rows.list(table="documents", limit=1).rows[0]
        upd = c.rows.update(table="documents", id=doc["id"], fields={"rating": 5}, version=doc["version"])
        assert c.proposals.approve(id=upd.id).status == "applied"
        assert c.rows.get(table="documents", id=doc["id"])["rating"] == 5
        assert events(c, "table.altered", "table/documents")[0]["payload"]["version"] == 2

        # Undo of an added column drops it (it has a value now, so it must say so: refused).
        assert error_code(c.proposals.revert, id=add.id) == ErrorCode.CONFLICT

    # A restart (or another daemon) sees the same catalog: replayed from the recorded versions.
    d.stop()
    again = make_daemon(database=database_url)
    with again.client() as c:
        assert c.rows.list(table="contracts").rows[0]["party"] == "ACME"
        desc = c.tables.describe(table="documents")
        assert desc.schema_version == 2 and desc.fields[-1].name == "rating"
        assert c.rows.get(table="documents", id=doc["id"])["rating"] == 5


def test_refused_and_lossy_schema_changes(daemon_on):
    with daemon_on.client() as c:
        ids = [
            c.proposals.create(table="documents", fields={"title": t, "author": a}, confidence=0.99).row_id
            for t, a in (("one", "42"), ("two", "Alice"), ("three", None))
        ]

        # Narrowing a type that existing values break: refused unless the proposal says so.
        narrow = {"action": "alter_column", "table": "documents", "field": {"name": "author", "type": "integer"}}
        assert error_code(c.proposals.schema_tweak, **narrow) == ErrorCode.CONFLICT
        lossy = c.proposals.schema_tweak(**narrow, allow_data_loss=True)
        assert lossy.preview["data_loss"] == {"rows": 1, "examples": [ids[1]]}
        assert lossy.preview["rows_affected"] == 2
        assert any("UPDATE" in s for s in lossy.preview["ddl"])
        assert c.proposals.approve(id=lossy.id).status == "applied"
        assert [c.rows.get(table="documents", id=i)["author"] for i in ids] == [42, None, None]
        assert c.tables.describe(table="documents").schema_version == 2

        # Widening never loses anything.
        wide = c.proposals.schema_tweak(
            action="alter_column", table="documents", field={"name": "author", "type": "string"}
        )
        assert wide.preview["data_loss"] is None
        assert c.proposals.approve(id=wide.id).status == "applied"
        assert c.rows.get(table="documents", id=ids[0])["author"] == "42"

        # Dropping a column with values: refused unless explicit; an empty one needs nothing.
        assert (
            error_code(c.proposals.schema_tweak, action="drop_column", table="documents", column="author")
            == ErrorCode.CONFLICT
        )
        drop_empty = c.proposals.schema_tweak(action="drop_column", table="documents", column="page_count")
        assert drop_empty.preview["data_loss"] is None
        drop = c.proposals.schema_tweak(action="drop_column", table="documents", column="author", allow_data_loss=True)
        assert drop.preview["data_loss"]["rows"] == 1
        # Data that appears after the proposal was made is still protected at approval.
        c.proposals.create(table="documents", fields={"title": "four", "page_count": 4}, confidence=0.99)
        assert error_code(c.proposals.approve, id=drop_empty.id) == ErrorCode.CONFLICT
        assert c.proposals.get(id=drop_empty.id).status == "failed"
        assert c.proposals.approve(id=drop.id).status == "applied"
        assert "author" not in {f.name for f in c.tables.describe(table="documents").fields}
        assert "author" not in c.rows.get(table="documents", id=ids[0])

        # Two proposals for the same column: the second is stale once the first is applied.
        a = c.proposals.schema_tweak(action="add_column", table="documents", field={"name": "x", "type": "text"})
        b = c.proposals.schema_tweak(action="add_column", table="documents", field={"name": "x", "type": "json"})
        assert c.proposals.approve(id=a.id).status == "applied"
        assert error_code(c.proposals.approve, id=b.id) == ErrorCode.CONFLICT

        bad = [
            ({"action": "create_table", "table": "documents", "fields": CONTRACTS}, ErrorCode.CONFLICT),
            ({"action": "create_table", "table": "Bad-Name", "fields": CONTRACTS}, ErrorCode.INVALID_PARAMS),
            (
                {"action": "create_table", "table": "evts", "db_table": "clarity_events", "fields": CONTRACTS},
                ErrorCode.CONFLICT,
            ),  # a database table that is not a memory table
            ({"action": "create_table", "table": "empty"}, ErrorCode.INVALID_PARAMS),
            (
                {"action": "add_column", "table": "documents", "field": {"name": "title", "type": "text"}},
                ErrorCode.CONFLICT,
            ),
            (
                {"action": "add_column", "table": "documents", "field": {"name": "version", "type": "text"}},
                ErrorCode.INVALID_PARAMS,
            ),
            (
                {"action": "add_column", "table": "documents", "field": {"name": "y", "type": "blob"}},
                ErrorCode.INVALID_PARAMS,
            ),
            ({"action": "drop_column", "table": "documents", "column": "id"}, ErrorCode.INVALID_PARAMS),
            ({"action": "drop_column", "table": "documents", "column": "nope"}, ErrorCode.INVALID_PARAMS),
            ({"action": "add_column", "table": "nope", "field": {"name": "y", "type": "text"}}, ErrorCode.NOT_FOUND),
            ({"action": "drop_column", "table": "nope", "column": "y"}, ErrorCode.NOT_FOUND),
            (
                {"action": "create_table", "table": "trail", "db_table": "clarity_audit", "fields": CONTRACTS},
                ErrorCode.CONFLICT,
            ),  # the audit trail is out of reach of schema changes
        ]
        for params, code in bad:
            assert error_code(c.call_raw, "proposals.schema_tweak", params) == code, params
        assert [p.id for p in c.proposals.pending(kind="schema").proposals] == []
        assert c.system.health().status == "ok"


def test_proposals_made_before_the_table_moved_on(daemon_on):
    """A row proposal naming a column dropped since, and the undo of a column change the table
    has moved past: a clear CONFLICT (the proposal failed, nothing changed), not a crash."""
    with daemon_on.client() as c:
        add = c.proposals.approve(
            id=c.proposals.schema_tweak(action="add_column", table="sops", field={"name": "extra", "type": "text"}).id
        )
        assert add.status == "applied"
        waiting = c.proposals.create(table="sops", fields={"title": "t", "extra": "v"}, confidence=0.3)
        drop = c.proposals.schema_tweak(action="drop_column", table="sops", column="extra")
        assert c.proposals.approve(id=drop.id).status == "applied"

        assert error_code(c.proposals.approve, id=waiting.id) == ErrorCode.CONFLICT
        failed = c.proposals.get(id=waiting.id)
        assert failed.status == "failed" and "extra" in failed.error
        assert c.rows.list(table="sops", count=True).total == 0

        # Undoing the add now would drop a column that is already gone.
        assert error_code(c.proposals.revert, id=add.id) == ErrorCode.CONFLICT
        assert c.proposals.pending(kind="schema").proposals == []
        assert c.system.health().status == "ok"
