"""Routing a structured file (records, configs, front matter) by what its keys name.

The format says how a file is written, not what it is about: a YAML of ``schedule``,
``retention_days`` and ``rpo_minutes`` is a backup plan, a CSV of ``severity`` and
``resolved_at`` an incident register. A generic table (datasets for records, codebases
for YAML/TOML) is chosen with confidence only when no domain table has a real claim on
the keys; a manifest is code when its keys are a manifest's (codebases' column hints).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from ..catalog import TableSpec
from ..extract.known_files import in_tool_directory, known_code_language
from ..extract.types import Extraction
from .fields import labelled_values
from .name_words import domain_words_in_names
from .schema_match import TableMatch, match_tables
from .shapes import Shape, shape_of

GENERIC = ("documents", "datasets", "codebases", "media")
CODE = "codebases"

# A real claim: specific keys (each fitting at most ~5 tables) whose values fit, adding up
# to about two exact field names...
CLAIM_STRENGTH = 1.8
CLAIM_DISTINCT = 2
# ...that are a fair share of the file: 2 of a config's 40 keys are a coincidence.
CLAIM_EXPLAINS = 0.25
# Auto-approval: at least three specific fields, half the file's keys explained, and twice
# the evidence of any other table - the three checks a person would make before filing it.
# A rival's evidence is what it explains that the leader does not: keys both map (cron in a
# list of triggers, which a backup plan also has) speak for neither. On all keys together the
# leader must still be well ahead, so a near tie between two readings of the same keys waits.
SURE_STRENGTH = 3.0
SURE_DISTINCT = 3
SURE_EXPLAINS = 0.5
SURE_MARGIN = 2.0
SURE_TOTAL_MARGIN = 1.5
# ...and, in a list of records, those fields in most records: a register's rows carry its
# columns, where the steps of a playbook each carry their own (an Ansible task list's name,
# src, owner, notify, enabled read as a trigger's fields, each in one or two of six steps).
SURE_FILLED = 0.5
# Below this best-domain strength (one specific key), or with fewer than CLAIM_DISTINCT
# specific keys (generic ones such as title, type, date only), no domain table has a claim:
# a generic table may then be sure.
NO_CLAIM = 1.2
# Confidence of a generic routing: nothing else claims the file / something weakly does /
# a domain table's claim is real but too small a share of the file to route on.
GENERIC_SURE = 0.95
GENERIC_WEAK_CLAIM = 0.84
GENERIC_CONTESTED = 0.7
# A JSON object no table's fields explain and no manifest's keys either; a YAML/TOML/INI whose
# keys are no manifest's: a config of something, but of what only a person can say (a review
# plan, a scan definition, an anchor bomb all look like "a YAML" by format alone).
UNKNOWN_JSON = 0.8
UNKNOWN_CONFIG = 0.8
# A domain table guessed from the words of the key names alone (no field matched).
NAMED_GUESS = 0.66
# Two words (condition + rule, input + output) doubt a generic routing but are common in real
# data files (endpoint rule sets, test vectors); a proposal asks three, and in a config more than
# half of its keys.
NAMED_WORDS = 3
CONFIG_NAMED_SHARE = 0.5
# A short table of text only (no number, date or flag in any column) is more often a register,
# checklist or matrix of something (a RACI chart, an onboarding list) than a data set: filing it
# as one unseen is a guess about what it is about.
TEXT_TABLE_ROWS = 25
# A domain routing that is not sure stays below the auto-approval bar, between these.
LIKELY_LOW, LIKELY_HIGH = 0.62, 0.88
SURE_LOW, SURE_HIGH = 0.92, 0.97
# How much a front-matter claim weighs against the words of the document below it.
FRONT_MATTER_WEIGHT = 3.0
# Fields a document states as labels or headings: as strong as the same words in its title
# (a specific field stated once counts 1.5, like a title keyword weighted 3 x 0.5).
LABEL_WEIGHT = 1.5


@dataclass
class StructuredChoice:
    table: str | None  # None: the keys settle nothing; route the file by its text
    confidence: float
    reasons: list[str]
    shape: Shape
    match: TableMatch | None = None  # the match whose mapping fills the fields
    scores: dict[str, float] = field(default_factory=dict)


def _real(m: TableMatch | None) -> bool:
    return (
        m is not None and m.strength >= CLAIM_STRENGTH and m.distinct >= CLAIM_DISTINCT and m.explains >= CLAIM_EXPLAINS
    )


def filled(shape: Shape, m: TableMatch) -> float:
    """The mean share of the records holding a value for each key ``m`` maps; 1.0 for a single object."""
    if not shape.records or not m.mapping:
        return 1.0
    return sum(shape.present.get(key, 0) for key in m.mapping) / len(shape.records) / len(m.mapping)


def _domain_confidence(top: TableMatch, rivals: list[TableMatch], fill: float) -> tuple[float, bool]:
    own = max((r.strength_beyond(top) for r in rivals), default=0.0)
    total = max((r.strength for r in rivals), default=0.0)
    sure = (
        top.strength >= SURE_STRENGTH
        and top.distinct >= SURE_DISTINCT
        and top.explains >= SURE_EXPLAINS
        and top.strength >= SURE_MARGIN * max(own, 0.5)
        and top.strength >= SURE_TOTAL_MARGIN * total
        and fill >= SURE_FILLED
    )
    if sure:
        # More of the file explained, more sure: the last keys unexplained are the doubt.
        return SURE_LOW + (SURE_HIGH - SURE_LOW) * min(1.0, (top.explains - SURE_EXPLAINS) / (1 - SURE_EXPLAINS)), True
    evidence = min(1.0, top.strength / SURE_STRENGTH) * min(1.0, top.explains / SURE_EXPLAINS)
    return LIKELY_LOW + (LIKELY_HIGH - LIKELY_LOW) * evidence, False


def structured_choice(ex: Extraction, catalog: dict[str, TableSpec]) -> StructuredChoice | None:
    """Where the file's keys say it belongs, or None when it has no keys to read."""
    shape = shape_of(ex)
    if shape is None:
        return None
    matches = match_tables(shape, catalog)
    domain = [m for m in matches if m.table not in GENERIC]
    top = domain[0] if domain else None
    runner = domain[1].strength if len(domain) > 1 else 0.0
    code = next((m for m in matches if m.table == CODE), None)
    scores = {m.table: round(m.strength, 2) for m in matches[:5]}
    count = ex.metadata.get("row_count", len(shape.records)) if shape.records is not None else 0
    what = f"{shape.format} with {count} records" if shape.records is not None else shape.format
    reasons = [f"{what} and {len(shape.keys)} keys"]
    best = top.strength if top else 0.0
    if top is not None and _real(top) and (code is None or top.strength > code.strength):
        fill = filled(shape, top)
        conf, sure = _domain_confidence(top, domain[1:] + ([code] if code else []), fill)
        reasons.append(top.describe(shape.keys))
        if len(domain) > 1:
            reasons.append(f"runner-up {domain[1].table} {runner:.1f}")
        if fill < SURE_FILLED:
            reasons.append(f"but those keys are in {fill:.0%} of its records on average: not a register's columns")
        if not sure:
            reasons.append(
                "not sure enough to file unseen: too few specific keys, too little of the file "
                "explained or a close runner-up"
            )
        return StructuredChoice(top.table, conf, reasons, shape, top, scores)
    if (
        ex.kind == "code"
        and (known_code_language(os.path.basename(ex.path).lower()) or in_tool_directory(ex.path))
        and CODE in catalog
        and not _real(top)
    ):
        # tox.ini, setup.cfg, .github/workflows/ci.yml: the file's name or place is a build tool's,
        # its keys are its options.
        reasons.append("a config under a build or development tool's well-known name or directory")
        return StructuredChoice(CODE, GENERIC_SURE, reasons, shape, None, scores)
    if code is not None and _real(code) and CODE in catalog:
        reasons.append(f"a manifest or config: {code.describe(shape.keys)}")
        # Its keys are a manifest's and no domain table has a real claim: as sure as a generic gets.
        conf = GENERIC_SURE if not _real(top) else GENERIC_CONTESTED
        return StructuredChoice(CODE, conf, reasons, shape, None, scores)
    named = domain_words_in_names(shape.keys, catalog)
    if named is not None:
        conf = GENERIC_WEAK_CLAIM
        reasons.append(f"its key names use {named[0]}'s words ({', '.join(named[1][:5])})")
    elif best < NO_CLAIM or (top is not None and top.distinct < CLAIM_DISTINCT):
        conf = GENERIC_SURE
        reasons.append("no domain table's fields among its keys")
        if _short_text_table(ex):
            conf = GENERIC_WEAK_CLAIM
            reasons.append("but a short table of text only: a register or checklist of something, for a person")
    elif _real(top):
        conf = GENERIC_CONTESTED
        reasons.append(f"{top.describe(shape.keys) if top else ''}; too small a share of the file to route on")
    else:
        conf = GENERIC_WEAK_CLAIM
        reasons.append(
            f"some keys resemble {top.table if top else '?'} "
            f"({', '.join(list(top.mapping)[:5]) if top else ''}), too few to route"
        )
    table: str | None
    if ex.kind == "dataset" or (shape.format == "json" and shape.records is not None):
        table = "datasets"  # records, bare or wrapped ({"data": [...]})
    elif ex.kind == "code":
        # A config whose keys are no manifest's: a generic table is sure only on positive evidence.
        table, conf = CODE, min(conf, UNKNOWN_CONFIG)
        reasons.append("a config whose keys are no known manifest's")
    elif shape.format == "json":
        # A JSON object that is neither a table's row nor a known manifest: a config, a schema or
        # an API description far more often than prose - but which, only a person can say.
        table, conf = CODE, min(conf, UNKNOWN_JSON)
        reasons.append("a JSON object, not records: most likely a config or a specification")
    else:
        table = None  # XML, front matter: the text decides, capped below sure
    records = ex.kind == "dataset" or shape.records is not None
    if (
        table is not None
        and named is not None
        and named[0] in catalog
        and not _real(top)
        and len(named[1]) >= NAMED_WORDS
        and (records or len(named[1]) > CONFIG_NAMED_SHARE * len(shape.keys))
    ):
        # Nothing else speaks for the generic table, and the key names speak for one domain table:
        # propose that table for a person to confirm - the better guess, and never auto-approved.
        # A register's columns are its subject; a config's keys are mostly its tool's options, so
        # there the words must be most of the keys.
        table, conf = named[0], NAMED_GUESS
        reasons.append(f"proposed to {table} on its key names' words, for a person to confirm")
    if table is not None and table not in catalog:
        table = None
    return StructuredChoice(table, conf, reasons, shape, None, scores)


def _short_text_table(ex: Extraction) -> bool:
    types = ex.metadata.get("column_types")
    rows = ex.metadata.get("row_count")
    return (
        ex.kind == "dataset"
        and isinstance(rows, int)
        and 0 < rows <= TEXT_TABLE_ROWS
        and isinstance(types, dict)
        and bool(types)
        and set(types.values()) == {"string"}
    )


def stated_fields(ex: Extraction, catalog: dict[str, TableSpec]) -> list[TableMatch]:
    """Tables whose fields a document states as ``Label: value`` lines or section headings
    ("Severity: SEV2", "RPO: 15 minutes", "## Root cause"): the same matching as for keys."""
    shape = Shape("labels")
    for label, value in labelled_values(ex.text).items():  # the same call fill_from_text makes: cached
        shape.add(label, value)
    for heading in ex.metadata.get("headings", [])[:60]:
        shape.add(heading[1] if isinstance(heading, (list, tuple)) else str(heading), None)
    if not shape.keys:
        return []
    return [m for m in match_tables(shape, catalog) if m.table not in GENERIC and _stated(m)]


def _stated(m: TableMatch) -> bool:
    # Prose mixes labels of many kinds ("Note:", "Date:"): only specific fields count, and no share
    # of the document is asked for.
    return m.strength >= CLAIM_STRENGTH and m.distinct >= CLAIM_DISTINCT
