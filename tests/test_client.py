"""The client library against a real daemon: typed results, errors, reconnects."""

from __future__ import annotations

import asyncio

import pytest

from daemon.client import AsyncClient, Client, ConnectionLost
from daemon.protocol import ErrorCode, RpcError
from daemon.protocol import rows as rows_p
from daemon.protocol.system import Health


def seed_rows(database_url: str, n: int) -> None:
    """Rows written before the daemon starts (the daemon is the only writer once up)."""
    from daemon.catalog import load_catalog
    from daemon.storage import Store, open_database

    from conftest import ROOT

    store = Store(open_database(database_url), load_catalog(ROOT / "schemas"))
    store.create_tables()
    model = store.models["vendor_management"]
    field = store.catalog["vendor_management"].fields[0].name

    def insert():
        model.insert_many([{field: f"Vendor {i:04d}", "source": "seed"} for i in range(n)]).execute()

    asyncio.run(store.write(insert))
    store.close()


def test_typed_results(daemon):
    with daemon.client() as c:
        h = c.system.health()
        assert isinstance(h, Health) and h.status == "ok" and h.database == "sqlite"
        d = c.tables.describe(table="sub_agents")
        names = [f.name for f in d.fields]
        assert names[:6] == ["id", "created_at", "updated_at", "source", "trust_score", "version"]
        assert "agent_id" in names
        assert c.call(rows_p.LIST, rows_p.ListRows(table="sops")).rows == []


def test_errors_carry_codes(daemon):
    with daemon.client() as c:
        with pytest.raises(RpcError) as e:
            c.rows.get(table="nope", id=1)
        assert e.value.code == ErrorCode.NOT_FOUND
        with pytest.raises(RpcError) as e:
            c.call_raw("rows.list", {"table": "sops", "limit": "x"})
        assert e.value.code == ErrorCode.INVALID_PARAMS
        with pytest.raises(AttributeError):
            c.rows.frobnicate()


def test_rows_on_both_backends(make_daemon, database_url):
    seed_rows(database_url, 230)
    daemon = make_daemon(database=database_url)
    with daemon.client() as c:
        listed = {t.name: t.row_count for t in c.tables.list()}
        assert listed["vendor_management"] == 230
        seen, cursor = [], None
        while True:
            page = c.rows.list(table="vendor_management", limit=100, cursor=cursor, sort="id", descending=True)
            seen += page.rows
            if not (cursor := page.next_cursor):
                break
        assert len(seen) == 230 and len({r["id"] for r in seen}) == 230
        assert seen[0]["id"] > seen[-1]["id"]
        found = c.rows.list(table="vendor_management", search="vendor 000", count=True)
        assert found.total == 10
        row = c.rows.get(table="vendor_management", id=seen[0]["id"])
        assert row["source"] == "seed" and row["version"] == 1 and row["created_at"].endswith("Z")


def test_sync_client_reconnects_after_restart(make_daemon):
    daemon = make_daemon()
    c = Client(daemon.socket)
    assert c.system.health().status == "ok"
    daemon.stop()
    with pytest.raises(ConnectionLost):
        c.system.health()
    restarted = make_daemon(start=False)
    restarted.env["CLARITY_SOCKET"] = restarted.socket = daemon.socket
    restarted.env["CLARITY_STATE_DIR"] = str(daemon.state_dir)
    restarted.start()
    assert c.system.health().status == "ok"  # dials again by itself
    c.close()


async def test_async_client_concurrent_calls(daemon):
    async with AsyncClient(daemon.socket) as c:
        results = await asyncio.gather(*(c.system.health() for _ in range(100)), c.tables.list())
        assert all(r.status == "ok" for r in results[:100]) and len(results[100]) == 33
        with pytest.raises(RpcError) as e:
            await c.tables.describe(table="missing")
        assert e.value.code == ErrorCode.NOT_FOUND


async def test_async_client_fails_pending_calls_when_daemon_goes(make_daemon):
    daemon = make_daemon()
    c = AsyncClient(daemon.socket)
    assert (await c.system.health()).status == "ok"
    daemon.kill()
    with pytest.raises(ConnectionLost):
        await c.system.health()
    await c.close()


def test_connect_error_is_clear(tmp_path):
    with pytest.raises(ConnectionLost) as e:
        Client(str(tmp_path / "none.sock")).system.health()
    assert "none.sock" in str(e.value)


async def test_async_client_reconnects_after_restart(make_daemon):
    daemon = make_daemon()
    c = AsyncClient(daemon.socket)
    assert (await c.system.health()).status == "ok"
    daemon.stop()
    with pytest.raises(ConnectionLost):
        await c.system.health()
    again = make_daemon(start=False)
    again.env["CLARITY_SOCKET"] = again.socket = daemon.socket
    again.start()
    assert (await c.system.health()).status == "ok"
    await c.close()


def test_a_field_named_params_is_a_keyword_like_any_other(daemon):
    # query.sql's own "params" must not be taken for the client's params object.
    with daemon.client() as c:
        result = c.query.sql(sql="SELECT ? AS x", params=[7])
        assert result.columns == ["x"] and result.rows == [[7]]
        assert c.query.sql({"sql": "SELECT 1 AS one"}).rows == [[1]]
