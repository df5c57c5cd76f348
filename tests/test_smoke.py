def test_tables_on_both_backends(daemon_on):
    with daemon_on.client() as c:
        tables = c.tables.list()
    assert len(tables) == 33
    assert {t.name for t in tables} >= {"documents", "incidents", "sub_agents"}
    assert all(t.row_count == 0 for t in tables)
