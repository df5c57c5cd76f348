"""Shapes in the text that tell a table better than words do: identifiers, timestamps,
placeholders, section headings. Each pattern names the evidence it stands for."""

from __future__ import annotations

import re
from collections.abc import Callable

from .literals import folded, holds, needles

F = re.IGNORECASE | re.MULTILINE


def label(names: str) -> str:
    """A "Label: value" line start, allowing markdown bold, bullets and table pipes around it."""
    return rf"^[\W_]*(?:{names})[*_ ]*[:|][*_ ]*"


# table -> [(pattern, weight, what it means)]
TEXT_PATTERNS: dict[str, list[tuple[re.Pattern[str], float, str]]] = {
    "sops": [
        (re.compile(r"\bSOP[-_ ]?[A-Z]{0,5}[-_ ]?\d{2,4}\b"), 2.5, "an SOP number"),
        (
            re.compile(
                r"^\W*(\d+(\.\d+)?\.?\s*)?(purpose|scope|responsibilities|procedure|definitions|"
                r"revision history)\s*:?\s*$",
                F,
            ),
            0.8,
            "SOP section headings",
        ),
        (
            re.compile(label(r"document (no|number|id)|doc(ument)? control|effective date|revision"), F),
            1.2,
            "document-control fields",
        ),
    ],
    "incidents": [
        (re.compile(r"\bsev(erity)?[- ]?[0-4]\b|\bP[0-4] incident\b", F), 1.5, "an incident severity"),
        (
            re.compile(
                r"^\W*(root cause( analysis)?|timeline|impact|contributing factors|action items|"
                r"detection|resolution)\s*:?\s*$",
                F,
            ),
            0.7,
            "postmortem section headings",
        ),
        (re.compile(r"^\W*\d{1,2}:\d{2}(\s*(UTC|[AP]M))?\s*[-–—|:]", F), 0.6, "a timestamped timeline"),
        (re.compile(r"\bINC-?\d{2,}\b"), 1.5, "an incident id"),
    ],
    "sales_assets": [
        (
            re.compile(r"[\"“][^\"”\n]{10,300}[\"”]\s*[—–-]{1,2}\s*[A-Z][\w.'-]+( [A-Z][\w.'-]+)*,\s*[A-Z]", re.M),
            1.0,
            "a customer quote with name and title",
        ),
    ],
    "security_runbooks": [
        (re.compile(r"\bT1\d{3}(\.\d{3})?\b"), 2.0, "MITRE ATT&CK technique ids"),
        (
            re.compile(r"^\W*(detection|triage|containment|eradication|recovery|escalation)\s*:?\s*$", F),
            0.8,
            "incident-response phases as headings",
        ),
    ],
    "execution_logs": [
        (re.compile(r"^\[?\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}", re.M), 0.5, "timestamped log lines"),
        (re.compile(r"^\S*\s*\[?(INFO|WARN|WARNING|ERROR|DEBUG|CRITICAL|FATAL)\]?[\s:]", re.M), 0.5, "log levels"),
        (re.compile(r"\bexit(ed)? (code|status) \d+\b", F), 1.2, "exit codes"),
        (re.compile(r"^Traceback \(most recent call last\):", re.M), 1.5, "a Python traceback"),
    ],
    "prompts": [
        (re.compile(r"^\W*you are (a|an|the)\b", F), 2.5, 'a role instruction ("You are a ...")'),
        (re.compile(r"\{\{\s*\w+\s*\}\}|\{\w+\}|<\w+>\s*$|\$\{\w+\}", re.M), 0.8, "template placeholders"),
        (re.compile(r"^\W*(system|user|assistant)\s*:", F), 1.2, "chat roles"),
        (re.compile(r"\brespond (only )?(in|with) (valid )?json\b|\boutput format\b", F), 1.2, "output instructions"),
    ],
    "coding_agent": [
        (re.compile(r"\bWO-\d{2,}\b"), 2.5, "a work-order id"),
        (re.compile(label(r"files changed|tests? (passed|failed)|lines (added|removed)"), F), 1.2, "change statistics"),
        (re.compile(label(r"assigned agent|work order"), F), 1.5, "work-order fields"),
        (re.compile(r"^(diff --git|@@ -\d+,\d+ \+\d+,\d+ @@)", re.M), 1.5, "a diff"),
    ],
    "compliance": [
        (re.compile(r"\b(CC\d\.\d|A\.\d{1,2}\.\d{1,2}(\.\d{1,2})?|PCI[- ]DSS \d|SOC ?2)\b"), 1.5, "control ids"),
    ],
    "triggers": [
        (re.compile(r"(?<![\w.])(?=[\d*/,-]*\*)([\d*/,-]+ +){4}[\d*/,-]+(?![\w.])"), 1.2, "a cron expression"),
        (re.compile(label(r"trigger type|event source|cooldown|target action"), F), 1.5, "trigger fields"),
    ],
    "sub_agents": [
        (re.compile(r"\bagent[-_ ]id\b", F), 1.5, "agent ids"),
    ],
    "model_training": [
        (re.compile(r"\b(epoch|step)\s*\d+\s*[/:|,]", F), 0.8, "per-epoch progress"),
        (re.compile(r"\b(train|val|eval)(_| )loss\b", F), 1.0, "loss figures"),
    ],
    "business_intelligence": [
        (
            re.compile(
                r"\b\d+(\.\d+)?\s*%[^.\n]{0,40}\b(against|vs\.?|versus)\s+(a\s+|the\s+)?(target|plan|goal|budget)\b", F
            ),
            1.2,
            "a figure against its target",
        ),
        (
            re.compile(
                r"\b(vs\.?|versus|compared (to|with))\s+"
                r"(Q[1-4]|(the\s+)?(last|prior|previous) (week|month|quarter|year))\b",
                F,
            ),
            0.8,
            "a period-over-period comparison",
        ),
    ],
    "vendor_management": [
        (
            re.compile(label(r"(vendor|supplier)( name)?|renewal type|notice period|payment terms"), F),
            1.5,
            "vendor contract fields",
        ),
    ],
    "marketing_campaigns": [
        (re.compile(label(r"campaign( name)?"), F), 1.5, "a campaign field"),
        (re.compile(r"\butm_(source|medium|campaign)=", F), 0.4, "UTM parameters"),
    ],
    "partner_relations": [
        (re.compile(label(r"partner( name| type| manager| tier)?"), F), 1.5, "partner fields"),
    ],
    "feedback": [
        (re.compile(r"\b(NPS|CSAT)\s*(score)?\s*[:=]?\s*\d", F), 1.0, "a satisfaction score"),
        (re.compile(r"[★⭐]{1,5}|\b[1-5]\s*/\s*5 stars?\b|\b[1-5] stars?\b", F), 1.0, "a star rating"),
    ],
    "backup_dr": [
        (re.compile(r"\bRPO\b.{0,20}\d|\bRTO\b.{0,20}\d", re.S), 1.2, "stated RPO/RTO"),
    ],
    "verification": [
        (
            re.compile(label(r"verdict|claim|status") + r"(verified|refuted|inconclusive|confirmed|corroborated)", F),
            2.0,
            "a verdict",
        ),
        (re.compile(r"\|\s*(verified|refuted|inconclusive)\s*\|", F), 1.5, "verdicts in a table"),
    ],
    "governance": [
        (re.compile(label(r"decision|resolved|motion|quorum|approver"), F), 1.0, "recorded decisions"),
    ],
    "discovery": [
        (re.compile(r"^\W*(participant|interviewee|p\d+)\s*[:(]", F), 0.8, "interview participants"),
    ],
    "data_quality": [
        (re.compile(r"\b(null|missing) (rate|values?)\b.{0,30}\d+(\.\d+)?\s*%", F), 1.0, "measured null rates"),
    ],
}


# A record line of a log: a timestamp (ISO, syslog or time of day) or a level first.
_LOG_LINE_RE = re.compile(
    r"^\[?(\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}|[A-Z][a-z]{2} [ \d]\d \d{2}:\d{2}:\d{2}|\d{2}:\d{2}:\d{2})"
    r"|^\S*\s*\[?(INFO|WARN|WARNING|ERROR|DEBUG|CRITICAL|FATAL|TRACE)\]?[\s:]"
)
LOG_LINE_SHARE = 0.6  # of the lines that are not blank: most of the file is records, not prose about them
LOG_MIN_LINES = 5
LOG_LINES_READ = 2000


def log_shaped(text: str) -> bool:
    """Whether most lines of ``text`` are log records: the share says more than a count of them."""
    lines = [ln for ln in text.splitlines()[:LOG_LINES_READ] if ln.strip()]
    return len(lines) >= LOG_MIN_LINES and sum(1 for ln in lines if _LOG_LINE_RE.match(ln)) >= LOG_LINE_SHARE * len(
        lines
    )


# table -> [(test of the whole text, weight, what it means)]: shapes no count of matches tells.
TEXT_SHAPES: dict[str, list[tuple[Callable[[str], bool], float, str]]] = {
    "execution_logs": [(log_shaped, 4.0, "mostly log lines")],  # with its timestamps and levels, near the sure bar
}


# The same, with the strings each pattern's match holds (see :mod:`.literals`) and where to
# look for them: most patterns of most tables are ruled out without a search.
_WITH_NEEDLES = {
    table: [
        (pattern, weight, what, needles(pattern), bool(pattern.flags & re.IGNORECASE))
        for pattern, weight, what in patterns
    ]
    for table, patterns in TEXT_PATTERNS.items()
}


def pattern_hits(table: str, text: str) -> list[tuple[str, float, int]]:
    """(what, weight, count) for each of the table's patterns and shapes found in ``text``."""
    out = []
    low = folded(text)
    for pattern, weight, what, needs, nocase in _WITH_NEEDLES.get(table, ()):
        if needs and not holds(low if nocase else text, needs):
            continue
        if pattern.search(text) is None:
            continue  # the common case, without a generator to count nothing
        count = sum(1 for _ in zip(range(50), pattern.finditer(text), strict=False))
        out.append((what, weight, count))
    for test, weight, what in TEXT_SHAPES.get(table, ()):
        if test(text):
            out.append((what, weight, 1))
    return out
