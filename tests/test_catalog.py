"""The 33 table schemas load, and a broken one fails naming the file and the field."""

from __future__ import annotations

import shutil

import pytest

from daemon.catalog import COMMON_FIELDS, CatalogError, load_catalog

from conftest import ROOT

NAMES = """ai_safety backup_dr business_intelligence business_playbooks codebases coding_agent compliance
data_quality datasets discovery documents execution_logs feedback finance_treasury governance hr_playbooks
incidents insights market_intelligence marketing_campaigns media model_training partner_relations
product_roadmaps prompts sales_assets security_runbooks self_healing sops sub_agents triggers
vendor_management verification""".split()


def test_all_33_tables_load():
    catalog = load_catalog(ROOT / "schemas")
    assert sorted(catalog) == sorted(NAMES) and len(catalog) == 33
    assert catalog["coding_agent"].db_table == "memory_coding_work_orders"
    assert catalog["self_healing"].db_table == "memory_self_healing_playbooks"
    assert catalog["sub_agents"].db_table == "memory_sub_agents"
    assert catalog["documents"].db_table == "memory_documents"
    for spec in catalog.values():
        assert len(spec.fields) >= 8, spec.name
        assert spec.hints.keywords, spec.name
        assert not set(COMMON_FIELDS) & {f.name for f in spec.fields}


@pytest.fixture
def schemas(tmp_path):
    d = tmp_path / "schemas"
    shutil.copytree(ROOT / "schemas", d)
    return d


@pytest.mark.parametrize(
    "old,new,expect",
    [
        ("type: integer", "type: number", "fields["),  # unknown type
        ("name: width", "name: version", "common column"),  # reserved name
        ("db_table: memory_media", "db_table: memory_documents", "also used"),  # clash
        ("name: media\n", "name: movies\n", "differs from the file name"),
        ("description:", "descripton:", "descripton"),  # a typo in a key
    ],
)
def test_broken_schema_names_file_and_field(schemas, old, new, expect):
    path = schemas / "media.yaml"
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))
    with pytest.raises(CatalogError) as e:
        load_catalog(schemas)
    assert "media.yaml" in str(e.value) and expect in str(e.value)


def test_unparseable_yaml(schemas):
    (schemas / "sops.yaml").write_text("name: sops\nfields: [\n")
    with pytest.raises(CatalogError) as e:
        load_catalog(schemas)
    assert "sops.yaml" in str(e.value)


def test_empty_folder(tmp_path):
    with pytest.raises(CatalogError):
        load_catalog(tmp_path)
