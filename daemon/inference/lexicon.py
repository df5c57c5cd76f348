"""The catalog's hints turned into fast lookups: keyword n-grams, column names, patterns.

Keywords are matched as word n-grams (a dictionary lookup per position) rather than one
big regular expression: with ~600 phrases an alternation costs hundreds of milliseconds
on a long document, the lookup a few.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from collections.abc import Iterable

from ..catalog import TableSpec

_TOKEN_RE = re.compile(r"[a-z0-9#&+]+")
MAX_NGRAM = 4
MAX_SECTION_WORDS = 6  # a section heading is short ("What didn't go well" is five words)

# Words that are hints for a table but also ordinary English in any document: they count
# for less, so that "the purpose of this chapter" does not make a manual an SOP.
GENERIC = {
    "purpose",
    "scope",
    "procedure",
    "definitions",
    "play",
    "playbook",
    "condition",
    "claim",
    "proof",
    "signal",
    "pattern",
    "trend",
    "finding",
    "observation",
    "theme",
    "initiative",
    "section",
    "document",
    "overview",
    "module",
    "interface",
    "feature",
    "branch",
    "merge",
    "diff",
    "commit",
    "deploy",
    "schedule",
    "threshold",
    "listener",
    "subscription",
    "mission",
    "capabilities",
    "idle",
    "busy",
    "spawned",
    "registered",
    "retired",
    "delegation",
    "handoff",
    "completion",
    "instructions",
    "placeholder",
    "temperature",
    "validated",
    "assumption",
    "persona",
    "learnings",
    "segment",
    "image",
    "photo",
    "video",
    "audio",
    "recording",
    "clip",
    "caption",
    "resolution",
    "table",
    "sample",
    "records",
    "rows",
    "columns",
    "header",
    "export",
    "schema",
    "partner",
    "vendor",
    "supplier",
    "feedback",
    "complaint",
    "trigger",
    "webhook",
    "cron",
    "approval",
    "approved",
    "rejected",
    "proposal",
    "override",
    "escalation",
    "insight",
    "recommendation",
    "implication",
    "surprising",
    "correlation",
    "verified",
    "citation",
    "reproduced",
    "reconciliation",
    "competitor",
    "positioning",
    "acquisition",
    "campaign",
    "creative",
    "newsletter",
    "benefits",
    "compensation",
    "promotion",
    "termination",
    "probation",
    "onboarding",
    "compliance",
    "auditor",
    "backup",
    "snapshot",
    "replication",
    "failover",
    "rollback",
    "degraded",
    "heal",
    "watchdog",
    "roadmap",
    "milestone",
    "epic",
    "backlog",
    "beta",
    "prompt",
    "llm",
    "dataset",
    "csv",
    "delimiter",
    "timeline",
    "outage",
    "downtime",
    "exception",
    "traceback",
    "worker",
    "pid",
    "duration",
    "execution",
    "stdout",
    "stderr",
    "alignment",
    "hallucination",
    "toxicity",
    "refusal",
    "misuse",
    "accuracy",
    "gradient",
    "optimizer",
    "checkpoint",
    "epoch",
    "references",
    "glossary",
    "appendix",
    "chapter",
    "introduction",
    "conclusion",
    "abstract",
    "memo",
    "article",
    "sla",
    "validity",
    "consistency",
    "freshness",
    "completeness",
    "uniqueness",
    "outlier",
    "liquidity",
    "hedge",
    "alliance",
    "reseller",
    "referral",
    "orchestrator",
    "heartbeat",
    "agent",
    "interview",
    "hypothesis",
    "invalidated",
    "jailbreak",
    "containment",
    "eradication",
    "forensics",
    "malware",
    "phishing",
    "ransomware",
    "escalate",
    "runbook",
    "plays",
    "expansion",
    "upsell",
    "renewal",
    "funnel",
    "cohort",
    "dashboard",
    "metric",
    "kpi",
    "headcount",
    "recruiter",
}


def tokens(text: str) -> list[str]:
    """Lowercase word tokens, the unit keywords are matched in (a trailing plural s dropped)."""
    # Plural and singular meet ("campaigns" ~ "campaign"); applied to keywords and text alike.
    # Written out, not a function per word: this runs over every word of every file.
    return [w[:-1] if len(w) > 3 and w[-1] == "s" and w[-2] != "s" else w for w in _TOKEN_RE.findall(text.lower())]


def norm_column(name: str) -> str:
    """A column name as compared with the hints: lowercase words joined by underscores."""
    name = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name.strip().lstrip("\ufeff"))
    return "_".join(re.findall(r"[a-z0-9]+", name.lower()))


@dataclass
class Lexicon:
    """Keyword n-gram -> tables (with a weight), and per-table column hints."""

    phrases: dict[tuple[str, ...], dict[str, float]] = field(default_factory=dict)
    names: dict[tuple[str, ...], str] = field(default_factory=dict)  # the keyword as the schema writes it
    columns: dict[str, set[str]] = field(default_factory=dict)
    kinds: dict[str, set[str]] = field(default_factory=dict)
    extensions: dict[str, set[str]] = field(default_factory=dict)

    starts: set[str] = field(default_factory=set)  # first words of the phrases
    # Section headings -> tables (with a weight): a document's genre told by how it is laid out.
    sections: dict[tuple[str, ...], dict[str, float]] = field(default_factory=dict)

    def hits(self, words: list[str]) -> dict[tuple[str, ...], int]:
        """Every keyword n-gram found in ``words`` with its count."""
        found: dict[tuple[str, ...], int] = {}
        phrases = self.phrases
        starts = self.starts or {p[0] for p in phrases}
        n = len(words)
        for i in range(n):
            if words[i] not in starts:
                continue  # most words start no phrase: no n-gram to build
            for size in range(1, MAX_NGRAM + 1):
                if i + size > n:
                    break
                key = tuple(words[i : i + size])
                if key in phrases:
                    found[key] = found.get(key, 0) + 1
        return found

    def section_hits(self, headings: list[str]) -> set[tuple[str, ...]]:
        """The declared sections that headings open with ("Attendees (6)", "2. Problem statement")."""
        found: set[tuple[str, ...]] = set()
        for heading in headings:
            words = [w for w in tokens(heading) if not w.isdigit()]
            for size in range(min(MAX_SECTION_WORDS, len(words)), 0, -1):
                if tuple(words[:size]) in self.sections:
                    found.add(tuple(words[:size]))
                    break
        return found


GENERIC_PHRASES = {tuple(tokens(p)) for p in GENERIC} | {
    tuple(tokens(p))
    for p in (
        # Words of software work in general: every README and CONTRIBUTING file has them.
        "pull request",
        "code review",
        "bug fix",
        "refactor",
        "test suite",
        "ci pipeline",
        "regression",
        "unit test",
        "acceptance criteria",
        "lines added",
        "tests passed",
        "tests failed",
        "code of conduct",
        "action items",
        "lessons learned",
        "approved by",
        "effective date",
        "use case",
        "best practice",
    )
}


def keyword_weight(phrase: tuple[str, ...], tables: int) -> float:
    """Multi-word phrases say more than one word; a word shared by many tables says less;
    words of everyday prose say least."""
    if phrase in GENERIC_PHRASES:  # noqa: SIM108  (two ternaries in one would hide the table of weights)
        base = 0.45 if len(phrase) == 1 else 0.8
    else:
        base = 1.6 if len(phrase) > 1 else 1.0
    return base / (1.0 + 0.6 * (tables - 1))


# A section heading weighs what a keyword does, by how many tables declare it: "Attendees" is
# minutes' (governance), "Action items" is shared by several genres and says less.
SECTION_WEIGHT = 1.0


def build_lexicon(catalog: Iterable[TableSpec]) -> Lexicon:
    lex = Lexicon()
    owners: dict[tuple[str, ...], set[str]] = {}
    section_owners: dict[tuple[str, ...], dict[str, str]] = {}  # heading -> table -> as written
    for spec in catalog:
        for section in spec.hints.sections:
            key = tuple(w for w in tokens(section) if not w.isdigit())
            if key:
                section_owners.setdefault(key, {})[spec.name] = section.lower()
        lex.kinds[spec.name] = set(spec.hints.kinds)
        lex.extensions[spec.name] = {e.lower() for e in spec.hints.extensions}
        lex.columns[spec.name] = {norm_column(c) for c in spec.hints.columns}
        for kw in spec.hints.keywords:
            key = tuple(tokens(kw))
            if key:
                owners.setdefault(key, set()).add(spec.name)
                lex.names.setdefault(key, kw.lower())
    for key, tables in owners.items():
        w = keyword_weight(key, len(tables))
        lex.phrases[key] = {t: w for t in tables}
    lex.starts = {key[0] for key in lex.phrases}
    for key, written in section_owners.items():
        w = SECTION_WEIGHT / (1.0 + 0.6 * (len(written) - 1))
        lex.sections[key] = dict.fromkeys(written, w)
        lex.names.setdefault(key, next(iter(written.values())))  # a keyword's spelling first
    return lex


_cache: dict[int, tuple[object, Lexicon]] = {}


def lexicon_for(catalog: dict[str, TableSpec]) -> Lexicon:
    """The lexicon of a catalog, built once per catalog object (and rebuilt if it changes)."""
    key = id(catalog)
    signature = tuple((name, id(spec)) for name, spec in catalog.items())
    cached = _cache.get(key)
    if cached and cached[0] == signature:
        return cached[1]
    lex = build_lexicon(catalog.values())
    if len(_cache) > 8:
        _cache.clear()
    _cache[key] = (signature, lex)
    return lex
