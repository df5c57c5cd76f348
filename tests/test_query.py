"""rows.export, query.search and query.sql against a real daemon, on both backends."""

from __future__ import annotations

import csv
import io
import json

import pytest

from daemon.protocol import ErrorCode, RpcError

from test_client import seed_rows


@pytest.fixture
def seeded(make_daemon, database_url):
    seed_rows(database_url, 30)  # vendor_management: "Vendor 0000".."Vendor 0029"
    return make_daemon(database=database_url)


def test_export_formats(seeded):
    with seeded.client() as c:
        out = c.rows.export(table="vendor_management", format="csv", search="vendor 001")
        table = list(csv.DictReader(io.StringIO(out.content)))
        assert out.rows == 10 and not out.truncated and len(table) == 10
        assert list(table[0])[:3] == ["id", "created_at", "updated_at"]
        assert table[0]["source"] == "seed"
        j = c.rows.export(table="vendor_management", format="json", limit=7, sort="id", descending=True)
        rows = json.loads(j.content)
        assert j.truncated and len(rows) == 7 and rows[0]["id"] > rows[-1]["id"]
        jl = c.rows.export(table="vendor_management", format="jsonl")
        assert len(jl.content.splitlines()) == 30
        with pytest.raises(RpcError) as e:
            c.rows.export(table="vendor_management", format="xml")
        assert e.value.code == ErrorCode.INVALID_PARAMS


def test_search_across_tables(seeded):
    with seeded.client() as c:
        hits = c.query.search(text="VENDOR 0007")
        assert [(h.table, h.title) for h in hits] == [("vendor_management", "Vendor 0007")]
        assert "Vendor 0007" in hits[0].snippet
        assert c.query.search(text="vendor", limit=5).__len__() == 5
        assert c.query.search(text="nothing like this anywhere") == []
        with pytest.raises(RpcError) as e:
            c.query.search(text="x", tables=["nope"])
        assert e.value.code == ErrorCode.NOT_FOUND


def test_sql_is_read_only(seeded):
    with seeded.client() as c:
        r = c.query.sql(sql="SELECT count(*) AS n FROM memory_vendor_management")
        assert r.columns == ["n"] and r.rows == [[30]]
        r = c.query.sql(sql="SELECT id FROM memory_vendor_management ORDER BY id", max_rows=5)
        assert len(r.rows) == 5 and r.truncated
        for bad in (
            "DELETE FROM memory_vendor_management",
            "DROP TABLE memory_vendor_management",
            "SELECT 1; DELETE FROM memory_vendor_management",
            "SELEC nonsense",
        ):
            with pytest.raises(RpcError) as e:
                c.query.sql(sql=bad)
            assert e.value.code == ErrorCode.INVALID_PARAMS, bad
        assert c.tables.describe(table="vendor_management").row_count == 30  # nothing was deleted
        assert c.query.sql(sql="SELECT 1 AS one").rows == [[1]]  # the connection is still usable
