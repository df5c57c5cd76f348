"""Filling a table's fields from an extraction: facts the extractor measured, labelled values
("Owner: Dana Ruiz"), sections ("## Procedure" and its numbered steps), and patterns."""

from __future__ import annotations

import functools
import re
from typing import Any

from ..catalog import TableSpec
from ..extract.types import Extraction
from .values import coerce_to, parse_amount, parse_severity

# Labels people write for a field, beyond the field's own name with spaces.
LABELS: dict[str, list[str]] = {
    "owner": [
        "owner",
        "process owner",
        "document owner",
        "campaign owner",
        "playbook owner",
        "runbook owner",
        "procedure owner",
        "dri",
        "accountable",
        "owned by",
        "policy owner",
        "control owner",
        "incident owner",
        "relationship owner",
        "business owner",
        "metric owner",
        "check owner",
    ],
    "author": ["author", "authors", "prepared by", "written by"],
    "approver": ["approver", "approved by"],
    "approved_by": ["approved by", "approver"],
    "effective_date": ["effective date", "effective", "effective from"],
    "review_date": ["review date", "next review", "next review date", "review by"],
    "next_review_at": ["next review", "next review date", "review date"],
    "next_review": ["next review", "next review date", "next qbr"],
    "last_reviewed": ["last reviewed", "last review", "reviewed"],
    "document_number": [
        "document number",
        "document no",
        "doc no",
        "doc id",
        "document id",
        "sop id",
        "sop no",
        "sop number",
        "procedure id",
    ],
    "revision": ["revision", "rev", "version"],
    "department": ["department", "dept", "function", "team"],
    "status": ["status", "state", "current status"],
    "severity": ["severity", "sev", "severity level", "incident severity", "priority"],
    "priority": ["priority"],
    "started_at": ["started", "start time", "incident start", "started at", "began"],
    "detected_at": ["detected", "detected at", "detection time", "first detected"],
    "resolved_at": ["resolved", "resolved at", "resolution time", "mitigated", "ended"],
    "customers_affected": ["customers affected", "affected customers", "users affected"],
    "systems": [
        "systems",
        "affected systems",
        "services affected",
        "affected services",
        "systems in scope",
        "components",
    ],
    "postmortem_url": ["postmortem", "postmortem link"],
    "campaign_name": ["campaign", "campaign name"],
    "vendor_name": ["vendor", "vendor name", "supplier", "supplier name"],
    "partner_name": ["partner", "partner name"],
    "annual_spend": ["annual spend", "annual cost", "annual contract value", "acv", "yearly spend", "annual value"],
    "contract_start": ["contract start", "start date", "term start", "agreement start"],
    "contract_end": ["contract end", "end date", "term end", "expires", "expiry", "renewal date"],
    "notice_period_days": ["notice period", "termination notice"],
    "payment_terms": ["payment terms", "terms"],
    "risk_tier": ["risk tier", "risk rating", "vendor risk", "tier"],
    "start_date": ["start date", "launch date", "start", "flight start", "launched"],
    "end_date": ["end date", "end", "flight end"],
    "budget": ["budget", "planned budget", "total budget"],
    "spend": ["spend", "actual spend", "spend to date", "cost"],
    "channel": ["channel", "channels", "primary channel"],
    "objective": ["objective", "goal", "objectives"],
    "audience": ["audience", "target audience", "segment", "who"],
    "framework": ["framework", "standard", "regulation"],
    "control_id": ["control id", "control", "control ref", "control number"],
    "jurisdiction": ["jurisdiction", "region", "country"],
    "threat_type": ["threat type", "threat", "attack type", "scenario"],
    "applies_to": ["applies to", "audience", "who this applies to", "eligibility"],
    "category": ["category", "type"],
    "metric_name": ["metric", "metric name", "kpi"],
    "period": ["period", "reporting period"],
    "model_name": ["model", "model name"],
    "model": ["model", "target model"],
    "base_model": ["base model", "base", "starting checkpoint"],
    "dataset_name": ["dataset", "training data", "dataset name"],
    "learning_rate": ["learning rate", "lr"],
    "batch_size": ["batch size"],
    "epochs": ["epochs", "number of epochs"],
    "gpu_hours": ["gpu hours", "compute"],
    "run_name": ["run", "run name", "experiment"],
    "temperature": ["temperature"],
    "max_tokens": ["max tokens", "max_tokens", "maximum tokens"],
    "work_order_id": ["work order", "work order id", "wo"],
    "assigned_agent": ["assigned agent", "assignee", "agent", "assigned to"],
    "task_type": ["task type", "type"],
    "tier": ["tier", "partner tier", "level"],
    "region": ["region", "territory", "geo"],
    "partner_type": ["partner type", "type"],
    "revenue_share_pct": ["revenue share", "rev share", "margin"],
    "partner_manager": ["partner manager", "channel manager", "alliance manager"],
    "primary_contact": ["primary contact", "contact", "key contact", "account manager"],
    "system_name": ["system", "system name", "service", "application"],
    "backup_type": ["backup type", "type"],
    "retention_days": ["retention", "retention days", "retention period"],
    "rpo_minutes": ["rpo", "recovery point objective"],
    "rto_minutes": ["rto", "recovery time objective"],
    "storage_location": ["storage location", "storage", "location", "target", "destination"],
    "schedule": ["schedule", "frequency"],
    "currency": ["currency"],
    "amount": ["amount", "total", "total amount"],
    "balance": ["balance", "closing balance", "ending balance", "cash balance"],
    "fiscal_period": ["fiscal period", "period", "quarter", "fiscal quarter"],
    "as_of_date": ["as of", "as of date", "date"],
    "institution": ["bank", "institution"],
    "counterparty": ["counterparty"],
    "record_type": ["record type", "report type", "type"],
    "quarter": ["quarter", "target quarter", "timeframe"],
    "target_release": ["target release", "release", "version"],
    "target_date": ["target date", "launch date", "ga date", "due date"],
    "product_area": ["product area", "area", "product"],
    "effort_estimate": ["effort", "effort estimate", "size", "t-shirt size"],
    "rice_score": ["rice score", "rice"],
    "asset_type": ["asset type", "type", "format"],
    "product": ["product"],
    "target_persona": ["persona", "target persona", "buyer", "audience"],
    "industry": ["industry", "vertical"],
    "sales_stage": ["sales stage", "stage", "deal stage"],
    "customer_name": ["customer", "customer name", "name", "from", "submitted by", "reviewer"],
    "account": ["account", "company"],
    "rating": ["rating", "stars", "score"],
    "nps_score": ["nps", "nps score"],
    "submitted_at": ["submitted", "date", "received"],
    "discovery_type": ["type", "research type", "method"],
    "participants": ["participants", "participant", "interviewee", "interviewees"],
    "conducted_at": ["date", "conducted", "interview date"],
    "segment": ["segment", "customer segment"],
    "hypothesis": ["hypothesis"],
    "problem_statement": ["problem statement", "problem"],
    "check_name": ["check", "check name", "rule name"],
    "column_name": ["column", "field"],
    "rule_type": ["rule type", "check type", "dimension"],
    "checked_at": ["checked at", "run date", "checked", "date"],
    "total_rows": ["total rows", "rows checked", "rows"],
    "failed_rows": ["failed rows", "failing rows", "rows failed"],
    "pass_rate": ["pass rate"],
    "subject": ["subject", "claim about", "topic"],
    "claim": ["claim", "statement"],
    "verdict": ["verdict", "result", "outcome", "conclusion"],
    "verified_by": ["verified by", "checked by", "reviewer"],
    "verified_at": ["verified at", "verified on", "date"],
    "method": ["method", "approach"],
    "agent_id": ["agent id", "id"],
    "agent_name": ["agent name", "name", "agent"],
    "agent_type": ["agent type", "type", "role"],
    "parent_agent": ["parent agent", "parent", "orchestrator", "spawned by"],
    "trigger_type": ["trigger type", "type"],
    "event_source": ["event source", "source", "event"],
    "condition": ["condition", "when", "fires when"],
    "cron_expression": ["cron", "cron expression", "schedule"],
    "target_action": ["action", "target action", "then"],
    "cooldown_seconds": ["cooldown", "cooldown seconds"],
    "enabled": ["enabled", "active"],
    "playbook_name": ["playbook", "playbook name"],
    "trigger_event": ["trigger", "trigger event", "event"],
    "risk_level": ["risk level", "risk"],
    "run_id": ["run id", "run", "job id", "execution id"],
    "job_name": ["job", "job name", "task"],
    "host": ["host", "hostname", "node"],
    "exit_code": ["exit code", "exit status", "return code"],
    "competitor": ["competitor", "company"],
    "market_segment": ["market segment", "segment", "market"],
    "threat_level": ["threat level", "threat"],
    "intel_type": ["type", "intel type"],
    "function": ["function", "team", "department"],
}
# Section headings whose contents fill a field (a list of items, or the paragraph).
SECTIONS: dict[str, list[str]] = {
    "procedure_steps": ["procedure", "steps", "procedure steps", "instructions", "process"],
    "steps": ["steps", "response steps", "procedure", "process", "how it works", "what to do"],
    "responsibilities": ["responsibilities", "roles and responsibilities", "roles"],
    "prerequisites": ["prerequisites", "requirements", "before you begin", "materials"],
    "related_documents": ["related documents", "references", "related procedures", "related"],
    "purpose": ["purpose", "objective"],
    "scope": ["scope"],
    "action_items": ["action items", "follow ups", "follow up actions", "corrective actions", "remediation items"],
    "timeline": ["timeline", "timeline of events", "chronology"],
    "root_cause": ["root cause", "root cause analysis", "cause"],
    "impact": ["impact", "customer impact", "business impact"],
    "summary": ["summary", "executive summary", "overview", "tl dr", "tldr"],
    "detection_signals": ["detection", "detection signals", "indicators", "indicators of compromise", "signals"],
    "containment": ["containment", "contain"],
    "escalation_contacts": ["escalation", "escalation contacts", "contacts", "escalation path"],
    "tools": ["tools", "tooling"],
    "key_findings": ["key findings", "findings", "what we learned", "learnings"],
    "next_steps": ["next steps"],
    "quotes": ["quotes", "verbatims", "what they said"],
    "plays": ["plays", "the plays", "play"],
    "success_metrics": ["success metrics", "metrics", "kpis", "measures of success"],
    "key_points": ["key points", "highlights", "key takeaways"],
    "checklist": ["checklist"],
    "recovery_steps": ["recovery steps", "restore procedure", "recovery procedure", "restore steps"],
    "evidence": ["evidence", "sources"],
    "discrepancies": ["discrepancies", "differences"],
    "guardrails": ["guardrails", "mitigations in place"],
    "attack_vectors": ["attack vectors", "attack types", "techniques tested"],
    "mitigation": ["mitigation", "mitigations", "remediation"],
    "finding": ["finding", "findings", "results"],
    "insight": ["insight", "the insight", "key insight"],
    "recommendation": ["recommendation", "recommendations", "what we recommend"],
    "implications": ["implications", "so what", "what this means"],
    "requirement": ["requirement", "requirements"],
    "control_description": ["control description", "control", "control activity"],
    "findings": ["findings", "audit findings"],
    "remediation_plan": ["remediation plan", "remediation"],
    "remediation": ["remediation", "fix"],
    "expectation": ["expectation", "rule"],
    "stakeholders": ["stakeholders"],
    "trigger_situation": ["when to use", "when to use this playbook", "triggers", "trigger"],
    "objective": ["objective", "goal", "objectives"],
    "description": ["description", "overview", "summary"],
    "dependencies": ["dependencies"],
    "capabilities": ["capabilities"],
    "mission": ["mission"],
    "joint_offerings": ["joint offerings", "joint solutions"],
    "notes": ["notes"],
    "services": ["services", "scope of services"],
    "sla_terms": ["sla", "service levels", "sla terms"],
    "key_messages": ["key messages", "messaging", "value proposition"],
    "competitors_addressed": ["competitors", "competitive"],
    "commentary": ["commentary", "analysis"],
    "definition": ["definition"],
    "sql_query": ["query", "sql"],
    "system_prompt": ["system prompt", "system"],
    "template": ["template", "prompt", "user prompt"],
    "example_output": ["example output", "sample output"],
    "variables": ["variables", "inputs"],
    "content": ["feedback", "comment", "verbatim"],
    "response": ["response", "our response", "reply"],
    "error_message": ["error", "error message"],
    "output_excerpt": ["output", "log"],
    "actions": ["actions", "remediation actions"],
    "target_components": ["targets", "target components", "components"],
}

# A label may follow bullets, quote marks, table pipes or list numbering ("1. **Motion:** ...").
_LABEL_LINE_RE = re.compile(
    r"^[ \t>*\-+|]*(?:\d{1,3}[.)]\s+)?\**\s*([A-Za-z][A-Za-z0-9 /()&'._-]{0,40}?)"
    r"\s*\**\s*(?::|\|)\s*\**\s*(.+?)\s*\|?\s*$",
    re.M,
)
_SEGMENT_SPLIT_RE = re.compile(r"\s+[·•]\s+|\s{3,}(?=\**[A-Z][\w ]{1,30}\**:)")
_LIST_ITEM_RE = re.compile(r"^\s*(?:[-*+•]|\d+[.)]|[a-z][.)]|step\s+\d+[:.)]?)\s+(.*\S)", re.I)
_HEADING_RE = re.compile(
    r"^\s*(?:#{1,6}\s+(.+?)\s*#*\s*$|(\d+(?:\.\d+)*\.?)\s+([A-Z][^\n]{2,60})$|"
    r"\*\*([^*\n]{2,60})\*\*:?\s*$|([A-Z][A-Za-z /&'-]{2,40}):\s*$)"
)
_WO_RE = re.compile(r"\bWO-\d{2,}\b")
_RUN_RE = re.compile(r"\b(?:run[_ -]?id|run)\s*[=:]\s*([\w.:-]{3,64})", re.I)


_WORDS_RE = re.compile(r"[a-z0-9]+")


@functools.lru_cache(maxsize=4096)  # every file asks for each field's names and labels again
def _norm(label: str) -> str:
    return " ".join(_WORDS_RE.findall(label.lower()))


@functools.lru_cache(maxsize=4)  # routing and field filling read the same document's labels
def labelled_values(text: str) -> dict[str, str]:
    """``Label: value`` lines (also bold labels and two-cell table rows), first one wins.
    The dict is shared between callers: do not change it."""
    out: dict[str, str] = {}
    for line in text[:40_000].splitlines():
        # "**Owner:** Ana · **Status:** draft" holds two labelled values.
        for segment in _SEGMENT_SPLIT_RE.split(line):
            m = _LABEL_LINE_RE.match(segment)
            if not m:
                continue
            key = _norm(m.group(1))
            value = m.group(2).strip().strip("*|` ").strip()
            if key and value and not value.startswith("---") and key not in out and len(key) <= 40:
                out[key] = value
    return out


def _is_heading(m: re.Match[str] | None, markdown: bool) -> bool:
    if not m:
        return False
    if m.group(2):
        # "4. PROCEDURE" is a heading in plain text; "2. Validate the pool size" is a list item.
        words = m.group(3).split()
        return not markdown and len(words) <= 6 and not re.search(r"[.):;,]$", m.group(3).strip())
    return True


def sections(text: str, markdown: bool = False) -> dict[str, list[str]]:
    """Heading -> the lines under it, up to the next heading."""
    out: dict[str, list[str]] = {}
    current: str | None = None
    for line in text[:80_000].splitlines():
        m = _HEADING_RE.match(line)
        if _is_heading(m, markdown):
            assert m is not None
            heading = m.group(1) or m.group(3) or m.group(4) or m.group(5) or ""
            current = _norm(re.sub(r"^\d+(\.\d+)*\.?\s*", "", heading))
            out.setdefault(current, [])
            continue
        if current is not None and line.strip():
            out[current].append(line.rstrip())
    return out


def _section_value(lines: list[str], ftype: str) -> Any:
    items = [m.group(1).strip() for m in (_LIST_ITEM_RE.match(line) for line in lines) if m]
    if ftype == "list":
        if items:
            return [re.sub(r"\*\*|`", "", i)[:500] for i in items[:50]]
        return [ln.strip()[:500] for ln in lines[:20] if ln.strip()] or None
    text = " ".join(ln.strip() for ln in lines if ln.strip())
    return re.sub(r"\*\*|`", "", text)[:4000] if text else None


# Confidence in a field by where it came from: a "Label: value" line states it; a section
# under the field's heading holds it, with some risk of taking too much or too little; a
# pattern anywhere in the text may belong to another part of the document.
LABELLED = 0.9
SECTION = 0.75
PATTERN = 0.65


def fill_from_text(spec: TableSpec, ex: Extraction) -> tuple[dict[str, Any], list[str], dict[str, float]]:
    """Fields found in a document's labelled values and sections, which ones came how, and
    the confidence in each."""
    labels = labelled_values(ex.text)
    front = {_norm(k): v for k, v in (ex.metadata.get("front_matter") or {}).items()}
    labels = {**labels, **front}
    secs = sections(ex.text, markdown=ex.kind == "markdown")
    fields: dict[str, Any] = {}
    found: list[str] = []
    confidence: dict[str, float] = {}
    for f in spec.fields:
        names = [_norm(f.name)] + [_norm(x) for x in (*f.aliases, *LABELS.get(f.name, []))]
        value = None
        if f.type not in ("list",) or f.name in ("systems", "participants", "channel"):
            for n in names:
                if n in labels:
                    value = coerce_to(f.type, labels[n])
                    if value is not None:
                        found.append(f"{f.name} from '{n}:'")
                        confidence[f.name] = LABELLED
                        break
        if value is None:
            for n in [_norm(f.name)] + [_norm(x) for x in (*f.aliases, *SECTIONS.get(f.name, []))]:
                if n in secs and secs[n]:
                    raw = _section_value(secs[n], f.type)
                    value = coerce_to(f.type, raw) if f.type not in ("list", "text", "string") else raw
                    if f.type == "string" and isinstance(value, str):
                        value = value[:300]
                    if value is not None:
                        found.append(f"{f.name} from section '{n}'")
                        confidence[f.name] = SECTION
                        break
        if value is not None:
            fields[f.name] = value
    return fields, found, confidence


def title_like(spec: TableSpec) -> list[str]:
    """The table's required string fields: the ones a title or name fills."""
    return [f.name for f in spec.fields if f.required and f.type in ("string", "text")]


def pattern_fields(spec: TableSpec, ex: Extraction, fields: dict[str, Any]) -> None:
    """Values told by patterns anywhere in the text, where no label gave them."""
    names = {f.name for f in spec.fields}
    text = ex.text[:60_000]
    if "severity" in names and "severity" not in fields:
        sev = parse_severity(" ".join(re.findall(r"\bsev(?:erity)?[\s\-_:]*[0-4]\b", text[:5000], re.I)[:1]))
        if sev:
            fields["severity"] = sev
    elif "severity" in fields:
        fields["severity"] = parse_severity(str(fields["severity"])) or str(fields["severity"]).lower()
    if "work_order_id" in names and "work_order_id" not in fields:
        m = _WO_RE.search(text)
        if m:
            fields["work_order_id"] = m.group(0)
    if "run_id" in names and "run_id" not in fields:
        m = _RUN_RE.search(text)
        if m:
            fields["run_id"] = m.group(1)
    if "currency" in names and "currency" not in fields:
        for key in ("amount", "balance", "annual_spend", "budget"):
            if key in fields:
                break
        found = parse_amount(
            " ".join(re.findall(r"[$€£¥]\s?\d[\d,.]*\s*[kKmM]?|\b(?:USD|EUR|GBP)\s?\d[\d,.]*", text[:5000])[:1])
        )
        if found and found[1]:
            fields["currency"] = found[1]
    for key in ("owner", "author"):
        if key in fields and isinstance(fields[key], str):
            fields[key] = re.split(r"\s+[(<]", fields[key])[0].strip()[:200]
