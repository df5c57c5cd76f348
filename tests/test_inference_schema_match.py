"""Schema matching: structured files routed by what their keys name, not by their format."""

from __future__ import annotations

import time
from pathlib import Path

import msgspec

from daemon.catalog import load_catalog
from daemon.config import REPO_SCHEMAS
from daemon.extract import extract
from daemon.inference import infer
from daemon.inference.schema_match import match_tables, name_tokens
from daemon.inference.shapes import shape_of
from daemon.storage.rows import coerce, field_types

CATALOG = load_catalog(REPO_SCHEMAS)


def run(path: Path):
    return infer(extract(str(path)), CATALOG)


def fits(table: str, fields: dict) -> None:
    types = field_types(CATALOG[table])
    for key, value in fields.items():
        coerce(msgspec.json.decode(msgspec.json.encode(value)), types[key], key)


def test_names_meet_across_case_separators_plurals_and_abbreviations() -> None:
    assert name_tokens("RetentionDays") == name_tokens("retention-days") == ("retention", "day")
    assert name_tokens("qty") == ("quantity",)
    assert name_tokens("HTTPStatus") == ("http", "status")  # "status" is not a plural
    assert name_tokens("Dependencies") == ("dependency",)


def test_a_yaml_backup_plan_is_backup_dr_with_its_fields_mapped(tmp_path: Path) -> None:
    path = tmp_path / "db-backups.yml"
    path.write_text(
        "system: orders-db\nschedule: daily 02:00\nretention_days: 30\nrpo_minutes: 15\n"
        "rto: 120\nbucket: s3://backups/orders\nx_custom_flag: true\n"
    )
    result = run(path)
    assert result.table == "backup_dr" and result.confidence > 0.90
    assert result.fields["retention_days"] == 30 and result.fields["rto_minutes"] == 120
    assert result.fields["system_name"] == "orders-db"
    assert result.mapping and result.mapping["rto"] == "rto_minutes"
    assert "unmapped: x_custom_flag" in result.reasoning
    assert result.field_confidence["retention_days"] >= 0.9
    fits("backup_dr", result.fields)


def test_a_manifest_is_code_only_when_its_keys_are_a_manifests(tmp_path: Path) -> None:
    pkg = tmp_path / "package.json"
    pkg.write_text(
        '{"name": "corepack", "version": "0.29.4", "description": "Package manager bridge",'
        ' "license": "MIT", "main": "./dist/lib.js", "scripts": {"build": "tsc"},'
        ' "dependencies": {"semver": "^7.6"}, "devDependencies": {"typescript": "^5"}}'
    )
    result = run(pkg)
    assert result.table == "codebases" and result.confidence > 0.90
    config = tmp_path / "settings.yaml"
    config.write_text("theme: dark\nfont_size: 14\nautosave: true\n")
    assert run(config).table == "codebases"


def test_columns_of_a_domain_table_route_records_one_row_each(tmp_path: Path) -> None:
    path = tmp_path / "register.csv"
    path.write_text(
        "Incident,Sev,Opened,Closed,Service\nDB failover,1,2025-01-02 10:00,2025-01-02 11:00,db\n"
        "Slow search,3,2025-02-03 09:00,2025-02-03 09:40,search\n"
    )
    result = run(path)
    assert result.table == "incidents"
    assert result.rows is not None and len(result.rows) == 2
    assert result.rows[1]["severity"] == "3" and result.rows[1]["systems"] == ["search"]
    assert result.rows[0]["started_at"].startswith("2025-01-02")


def test_names_whose_values_do_not_fit_are_weak_evidence(tmp_path: Path) -> None:
    path = tmp_path / "odd.csv"
    # Field names of backup_dr, but no value reads as a number of days or minutes.
    path.write_text("retention_days,rpo_minutes,rto_minutes\nforever,soon,later\nalways,never,maybe\n")
    result = run(path)
    assert not (result.table == "backup_dr" and result.confidence > 0.90)


def test_a_generic_table_is_sure_only_without_a_domain_claim(tmp_path: Path) -> None:
    plain = tmp_path / "cities.csv"
    plain.write_text("city,country,population\nLisbon,PT,545000\nPorto,PT,232000\n")
    assert (run(plain).table, run(plain).confidence > 0.90) == ("datasets", True)
    mixed = tmp_path / "mixed.csv"  # two specific keys of a table among many others
    mixed.write_text("a,b,c,d,e,f,g,rpo,rto\n1,2,3,4,5,6,7,15,60\n")
    result = run(mixed)
    assert result.confidence <= 0.90


def test_hostile_structures_cost_no_more_than_plain_ones(tmp_path: Path) -> None:
    bomb = tmp_path / "laughs.yaml"
    lines = ["a: &a [x, x, x, x, x, x, x, x, x]"]
    for i in range(1, 9):
        prev = chr(ord("a") + i - 1)
        lines.append(
            f"{chr(ord('a') + i)}: &{chr(ord('a') + i)} [*{prev}, *{prev}, *{prev}, *{prev}, *{prev}, "
            f"*{prev}, *{prev}, *{prev}, *{prev}]"
        )
    bomb.write_text("\n".join(lines) + "\n")
    started = time.process_time()
    result = run(bomb)
    assert result.table == "codebases"
    assert time.process_time() - started < 5  # CPU, not wall clock: the walk is bounded
    xml = tmp_path / "entities.xml"
    xml.write_text('<?xml version="1.0"?>\n<!DOCTYPE r [<!ENTITY e "xxxxxxxxxx">]>\n<r><rpo>&e;</rpo></r>\n')
    assert shape_of(extract(str(xml))) is None  # entity declarations are not expanded


def test_front_matter_keys_count_for_the_table_they_name(tmp_path: Path) -> None:
    path = tmp_path / "writer.md"
    path.write_text(
        "---\nmodel: gpt-4o\ntemperature: 0.3\nmax_tokens: 500\n---\n\n# Writer\n\n"
        "Rewrite the paragraph below for a general audience.\n"
    )
    assert run(path).table == "prompts"
    shape = shape_of(extract(str(path)))
    assert shape is not None and match_tables(shape, CATALOG)[0].table == "prompts"


def test_files_that_are_not_what_they_claim_wait_for_a_person(tmp_path: Path) -> None:
    header_only = tmp_path / "header.csv"
    header_only.write_text("incident_id,severity,started_at,resolved_at\n")
    ragged = tmp_path / "ragged.csv"
    ragged.write_text("a,b,c\n1,2,3\n4,5\n6\n7,8,9,10,11\n12\n")
    blank = tmp_path / "blank.md"
    blank.write_text("   \n\n\t\n# \n")
    png = tmp_path / "huge.png"
    import struct
    import zlib

    ihdr = struct.pack(">IIBBBBB", 100000, 100000, 8, 2, 0, 0, 0)
    chunk = struct.pack(">I", len(ihdr)) + b"IHDR" + ihdr + struct.pack(">I", zlib.crc32(b"IHDR" + ihdr))
    png.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk + b"\x00" * 64)
    for path in (header_only, ragged, blank, png):
        try:
            result = run(path)
        except Exception as e:  # an extraction error is as good: it is not filed
            assert type(e).__name__ == "ExtractionError", e
            continue
        assert result.confidence <= 0.90, (path.name, result.table, result.confidence, result.reasoning)


def test_ini_configs_are_read_by_their_keys(tmp_path: Path) -> None:
    plan = tmp_path / "backup.ini"
    plan.write_text(
        "[backup]\nsystem = files-01\nschedule = daily 01:30\nretention_days = 30\nrpo = 60\n"
        "rto = 240\ndestination = /mnt/vault\n"
    )
    result = run(plan)
    assert result.table == "backup_dr" and result.fields["rpo_minutes"] == 60
    editor = tmp_path / "settings.cfg"
    editor.write_text("[editor]\nindent_style = space\nindent_size = 4\ncharset = utf-8\n")
    assert run(editor).table == "codebases"


def test_a_yaml_list_of_domain_records_becomes_one_row_each_through_the_daemon(daemon, tmp_path: Path) -> None:
    path = tmp_path / "roadmap.yaml"
    path.write_text(
        "items:\n"
        "  - {feature: Bulk export, area: billing, quarter: 2025-Q2,"
        " status: planned, effort: M, pm: Dana}\n"
        "  - {feature: SSO for partners, area: identity, quarter: 2025-Q3,"
        " status: planned, effort: L, pm: Omar}\n"
        "  - {feature: Usage alerts, area: notifications, quarter: 2025-Q3,"
        " status: idea, effort: S, pm: Dana}\n"
    )
    with daemon.client() as c:
        record = c.ingest.file(path=str(path))
        assert record.table == "product_roadmaps"
        rows = c.rows.list(table="product_roadmaps", limit=10).rows
    assert sorted(r["title"] for r in rows) == ["Bulk export", "SSO for partners", "Usage alerts"]
    assert {r["source"] for r in rows} == {f"{path}#1", f"{path}#2", f"{path}#3"}
    assert {r["product_area"] for r in rows} == {"billing", "identity", "notifications"}
