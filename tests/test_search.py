"""Full-text search (query.search, rows.list search) on both backends: rows that predate the
index are backfilled in the background, and every later insert, update, delete and schema
change is followed."""

from __future__ import annotations

import time
from datetime import datetime, timedelta, UTC

import pytest

from daemon.protocol import ErrorCode, RpcError

from test_client import seed_rows


def wait_indexed(c, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        h = c.system.health()
        if h.search_index is not None and h.search_index.state == "ready":
            return
        time.sleep(0.05)
    raise AssertionError(f"search index not ready: {c.system.health().search_index}")


def eventually(check, timeout: float = 15.0):
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.05)


@pytest.fixture
def seeded(database_url, make_daemon):
    seed_rows(database_url, 30)  # vendor_management: "Vendor 0000".."Vendor 0029", before any index
    return make_daemon(database=database_url)


def test_backfill_then_every_change_is_followed(seeded):
    with seeded.client() as c:
        wait_indexed(c)
        h = c.system.health().search_index
        assert h.rows_done == h.rows_total
        hits = c.query.search(text="vendor 0007")
        assert [(x.table, x.title, x.column) for x in hits] == [("vendor_management", "Vendor 0007", "vendor_name")]
        assert hits[0].highlighted == "<mark>Vendor</mark> <mark>0007</mark>" and hits[0].score > 0
        assert len(c.query.search(text="vend", limit=5)) == 5  # a word matches the words it starts

        new = c.proposals.create(
            table="documents",
            confidence=0.99,
            fields={"title": "Quarterly zanzibar report", "summary": "Spice exports rose."},
        )
        assert new.status == "applied"
        hits = c.query.search(text="Zanzibar")  # at once: the write and its index entry commit together
        assert [(x.table, x.id, x.column) for x in hits] == [("documents", new.row_id, "title")]
        assert c.query.search(text="spice", tables=["documents"])[0].column == "summary"
        assert c.query.search(text="spice", tables=["vendor_management"]) == []

        upd = c.rows.update(table="documents", id=new.row_id, fields={"title": "Annual report"}, version=1)
        c.proposals.approve(id=upd.id)
        assert c.query.search(text="zanzibar") == []
        assert [x.id for x in c.query.search(text="annual")] == [new.row_id]

        later = datetime.now(UTC) + timedelta(hours=1)
        assert c.query.search(text="annual", since=later.isoformat()) == []
        assert len(c.query.search(text="annual", until=later.isoformat())) == 1

        # rows.list's search goes through the same index.
        page = c.rows.list(table="vendor_management", search="vendor 001", count=True)
        assert page.total == 10 and page.rows[0]["vendor_name"] == "Vendor 0010"

        gone = c.rows.delete(table="documents", id=new.row_id)
        c.proposals.approve(id=gone.id)
        assert c.query.search(text="annual") == []

        with pytest.raises(RpcError) as e:
            c.query.search(text="x", tables=["nope"])
        assert e.value.code == ErrorCode.NOT_FOUND


def test_schema_change_rebuilds_the_index(seeded):
    with seeded.client() as c:
        wait_indexed(c)
        t = c.proposals.schema_tweak(
            action="add_column", table="vendor_management", field={"name": "nickname", "type": "string"}
        )
        c.proposals.approve(id=t.id)
        row = c.proposals.create(
            table="vendor_management", confidence=0.99, fields={"vendor_name": "Acme", "nickname": "roadrunner"}
        )
        assert eventually(lambda: [x.column for x in c.query.search(text="roadrunner")]) == ["nickname"]
        wait_indexed(c)
        assert [x.title for x in c.query.search(text="vendor 0007")] == ["Vendor 0007"]  # old rows indexed again
        # A dropped column is dropped from the index (SQLite: its triggers go first).
        t = c.proposals.schema_tweak(
            action="drop_column", table="vendor_management", column="nickname", allow_data_loss=True
        )
        assert c.proposals.approve(id=t.id).status == "applied"
        wait_indexed(c)
        assert eventually(lambda: c.query.search(text="roadrunner") == [])
        assert [x.id for x in c.query.search(text="acme")] == [row.row_id]
        # A table created at run time is indexed too.
        t = c.proposals.schema_tweak(
            action="create_table", table="contracts", fields=[{"name": "party", "type": "string"}]
        )
        c.proposals.approve(id=t.id)
        c.proposals.create(table="contracts", fields={"party": "Wile E. Coyote"}, confidence=0.99)
        # Found at once by scanning, then through its index (a score) once the indexer has seen it.
        assert [x.table for x in c.query.search(text="coyote")] == ["contracts"]
        assert eventually(lambda: [x.table for x in c.query.search(text="coyote") if x.score > 0]) == ["contracts"]


def test_rows_written_by_another_tool_are_found(database_url, make_daemon):
    d = make_daemon(database=database_url)
    with d.client() as c:
        wait_indexed(c)
        from daemon.storage import open_database

        db = open_database(database_url)  # another program writing to the same database
        db.execute_sql(
            "INSERT INTO memory_incidents (created_at, updated_at, trust_score, version, title) "
            "VALUES (CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, 0.5, 1, 'Pager storm in Reykjavik')"
        )
        db.close()
        assert [x.title for x in c.query.search(text="reykjavik")] == ["Pager storm in Reykjavik"]


def test_a_snippet_is_the_text_matched_not_its_files_path(daemon):
    with daemon.client() as c:
        c.proposals.create(
            table="documents",
            confidence=0.99,
            fields={
                "title": "Trip notes",
                "source": "/inbox/zanzibar/trip.md",
                "summary": "Two weeks in zanzibar, mostly on spice farms.",
            },
        )
        hits = eventually(lambda: c.query.search(text="zanzibar"))
        assert hits[0].column == "summary" and "spice farms" in hits[0].snippet
