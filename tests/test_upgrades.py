"""Upgrades: schema files changed between two starts reach the database through schema
proposals — additive ones applied by the daemon (audited, naming the file), the others left
pending with their DDL preview and said in the log and in system.health."""

from __future__ import annotations

import shutil
import subprocess
import sys

import yaml

from conftest import ROOT
from gov_helpers import audit_rows

CONTRACTS = {
    "name": "contracts",
    "db_table": "memory_contracts",
    "description": "Signed contracts.",
    "fields": [{"name": "title", "type": "string", "required": True}, {"name": "value", "type": "float"}],
}


def _edit(schemas, table: str, change) -> None:
    path = schemas / f"{table}.yaml"
    spec = yaml.safe_load(path.read_text())
    change(spec)
    path.write_text(yaml.safe_dump(spec, sort_keys=False))


def _field(spec: dict, name: str) -> dict:
    return next(f for f in spec["fields"] if f["name"] == name)


def _check(d) -> str:
    r = subprocess.run(
        [sys.executable, "-m", "daemon.main", "--check"],
        env=d.env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert r.returncode == 0, r.stderr
    return r.stdout


def test_schema_files_upgrade_the_database(make_daemon, database_url, tmp_path):
    schemas = tmp_path / "schemas"
    shutil.copytree(ROOT / "schemas", schemas)
    d = make_daemon(database=database_url, env={"CLARITY_SCHEMAS": str(schemas)})
    with d.client() as c:
        row = c.proposals.create(table="documents", fields={"title": "Plan", "page_count": 3}, confidence=0.99)
        assert row.status == "applied"
        assert c.system.health().notices == []
    assert d.stop() == 0
    assert "the schema files match it" in _check(d)

    # Additive: a new optional field, a new table, a description.
    _edit(
        schemas,
        "documents",
        lambda s: s["fields"].append({"name": "reviewer", "type": "string", "description": "Who reviewed it."}),
    )
    _edit(schemas, "sops", lambda s: _field(s, "title").update(description="The procedure's name."))
    (schemas / "contracts.yaml").write_text(yaml.safe_dump(CONTRACTS, sort_keys=False))
    check = _check(d)
    assert "schemas/documents.yaml: add_column documents.reviewer (a new optional field): applied at start" in check
    assert "schemas/contracts.yaml: create_table contracts" in check

    d.start()
    with d.client() as c:
        assert c.rows.get(table="documents", id=row.row_id)["reviewer"] is None  # the column exists
        assert "reviewer" in {f.name for f in c.tables.describe(table="documents").fields}
        assert (
            c.proposals.create(table="contracts", fields={"title": "NDA", "value": 1.5}, confidence=0.99).status
            == "applied"
        )
        sops_title = next(f for f in c.tables.describe(table="sops").fields if f.name == "title")
        assert sops_title.description == "The procedure's name."
        applied = c.proposals.history(kind="schema").proposals
        by_source = {p.source: p for p in applied}
        assert set(by_source) == {"schemas/documents.yaml", "schemas/contracts.yaml", "schemas/sops.yaml"}
        assert all(p.status == "applied" and p.decided_by == "clarityd" for p in applied)
        (entry,) = audit_rows(c, by_source["schemas/documents.yaml"].id)
        assert (entry["action"], entry["actor"], entry["details"]["source"]) == (
            "auto-approve",
            "clarityd",
            "schemas/documents.yaml",
        )
        assert "schemas/documents.yaml" in entry["policy_rule"]
        assert c.proposals.pending(kind="schema").proposals == []
        assert c.system.health().notices == []
    assert d.stop() == 0
    assert "the schema files match it" in _check(d)

    # Not additive: a type change and a dropped field wait for an operator, with their DDL.
    _edit(schemas, "documents", lambda s: _field(s, "page_count").update(type="string"))
    _edit(schemas, "documents", lambda s: s.update(fields=[f for f in s["fields"] if f["name"] != "author"]))
    assert "left pending for an operator" in _check(d)
    for _ in range(2):  # a second start proposes nothing twice
        d.start()
        with d.client() as c:
            pending = {p.kind: p for p in c.proposals.pending(kind="schema").proposals}
            assert set(pending) == {"alter_column", "drop_column"}
            assert pending["alter_column"].source == "schemas/documents.yaml"
            assert pending["alter_column"].preview["ddl"] and pending["drop_column"].preview["ddl"]
            assert pending["alter_column"].preview["rows_affected"] == 1
            page_count = next(f for f in c.tables.describe(table="documents").fields if f.name == "page_count")
            assert page_count.type == "integer"  # the database keeps its type until approved
            assert c.rows.get(table="documents", id=row.row_id)["page_count"] == 3
            (notice,) = c.system.health().notices
            assert str(pending["alter_column"].id) in notice
        assert d.stop() == 0
    assert "waits for an operator" in d.log()

    d.start()
    with d.client() as c:
        assert c.proposals.approve(id=pending["alter_column"].id).status == "applied"
        assert c.rows.get(table="documents", id=row.row_id)["page_count"] == "3"
        assert c.proposals.reject(id=pending["drop_column"].id, reason="keep the authors").status == "rejected"
        assert c.system.health().notices == []
    assert d.stop() == 0
    d.start()  # decided: neither is proposed again
    with d.client() as c:
        assert c.proposals.pending(kind="schema").proposals == []
        assert "author" in {f.name for f in c.tables.describe(table="documents").fields}


def test_a_database_from_before_the_baseline_gets_the_new_columns(make_daemon, database_url, tmp_path):
    """A database an older clarityd made has no clarity_schema_files: the columns it really
    has are the baseline, so a field added to the files meanwhile is added."""
    from daemon.storage import open_database

    schemas = tmp_path / "schemas"
    shutil.copytree(ROOT / "schemas", schemas)
    d = make_daemon(database=database_url, env={"CLARITY_SCHEMAS": str(schemas)})
    assert d.stop() == 0
    db = open_database(database_url)
    with db.connection_context():
        db.execute_sql("DROP TABLE clarity_schema_files")
    db.close()
    _edit(schemas, "sops", lambda s: s["fields"].append({"name": "owner_team", "type": "string"}))
    d.start()
    with d.client() as c:
        (p,) = c.proposals.history(kind="schema").proposals
        assert (p.kind, p.table, p.status, p.source) == ("add_column", "sops", "applied", "schemas/sops.yaml")
        assert (
            c.proposals.create(table="sops", fields={"title": "t", "owner_team": "ops"}, confidence=0.99).status
            == "applied"
        )
