"""Reading values as people write them: dates, amounts, counts, yes/no, severities."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

_MONTHS = {
    m: i + 1 for i, m in enumerate(["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"])
}
_ISO_RE = re.compile(r"\b(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ](\d{1,2}):(\d{2})(?::(\d{2}))?)?")
_DMY_RE = re.compile(
    r"\b(\d{1,2})(?:st|nd|rd|th)?\s+"
    r"(jan|feb|mar|apr|may|jun|jul|aug|sept?|oct|nov|dec)[a-z]*\.?,?\s+(\d{4})",
    re.I,
)
_MDY_RE = re.compile(
    r"\b(jan|feb|mar|apr|may|jun|jul|aug|sept?|oct|nov|dec)[a-z]*\.?\s+"
    r"(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4})",
    re.I,
)
_SLASH_RE = re.compile(r"\b(\d{1,2})/(\d{1,2})/(\d{4})\b")
_MONTH_YEAR_RE = re.compile(r"\b(jan|feb|mar|apr|may|jun|jul|aug|sept?|oct|nov|dec)[a-z]*\.?\s+(\d{4})\b", re.I)
_AMOUNT_RE = re.compile(
    r"(?P<neg>-)?\s*(?P<cur>[$€£¥]|usd|eur|gbp|chf|jpy)?\s*(?P<num>\d[\d,]*(?:\.\d+)?|\.\d+)\s*"
    r"(?P<mult>k|m|mm|bn|b|thousand|million|billion)?\b\s*(?P<cur2>usd|eur|gbp|chf|jpy)?",
    re.I,
)
_MULT = {"k": 1e3, "thousand": 1e3, "m": 1e6, "mm": 1e6, "million": 1e6, "b": 1e9, "bn": 1e9, "billion": 1e9}
_CURRENCY = {"$": "USD", "€": "EUR", "£": "GBP", "¥": "JPY"}
_SEV_RE = re.compile(r"\bsev(?:erity)?[\s\-_:]*([0-4])\b|\b(p[0-4])\b", re.I)
_SEV_WORDS = ("critical", "high", "medium", "moderate", "low", "informational", "minor", "major")


def parse_date(text: str) -> str | None:
    """The first date in ``text`` as ISO 8601 (``2024-03-01T00:00:00``), or None."""
    if not text:
        return None
    candidates: list[tuple[int, datetime]] = []
    for iso in _ISO_RE.finditer(text):
        y, mo, d, hh, mm, ss = iso.groups()
        try:
            when = datetime(int(y), int(mo), int(d), int(hh or 0), int(mm or 0), int(ss or 0))
            candidates.append((iso.start(), when))
        except ValueError:
            pass
        break
    for regex, order in ((_DMY_RE, "dmy"), (_MDY_RE, "mdy")):
        m = regex.search(text)
        if m:
            a, b, y = m.groups()
            day, month = (a, b) if order == "dmy" else (b, a)
            try:
                candidates.append((m.start(), datetime(int(y), _MONTHS[month[:3].lower()], int(day))))
            except ValueError:
                pass
    m = _SLASH_RE.search(text)
    if m:
        a, b, y = (int(g) for g in m.groups())
        month, day = (a, b) if a <= 12 else (b, a)  # US order unless the first cannot be a month
        try:
            candidates.append((m.start(), datetime(y, month, day)))
        except ValueError:
            pass
    if not candidates:
        m = _MONTH_YEAR_RE.search(text)
        if m:
            candidates.append((m.start(), datetime(int(m.group(2)), _MONTHS[m.group(1)[:3].lower()], 1)))
    if not candidates:
        return None
    candidates.sort(key=lambda c: c[0])
    value = candidates[0][1]
    if not 1900 <= value.year <= 2200:
        return None
    return value.isoformat()


def parse_amount(text: str) -> tuple[float, str | None] | None:
    """(amount, currency) of the first amount in ``text`` ("$1.2M" -> 1200000.0, "USD")."""
    for m in _AMOUNT_RE.finditer(text or ""):
        num = m.group("num").replace(",", "")
        try:
            value = float(num)
        except ValueError:
            continue
        mult = (m.group("mult") or "").lower()
        value *= _MULT.get(mult, 1.0)
        if m.group("neg"):
            value = -value
        cur = m.group("cur") or m.group("cur2")
        currency = _CURRENCY.get(cur, cur.upper()) if cur else None
        return value, currency
    return None


def parse_number(text: str) -> float | None:
    """The first number in ``text``, reading thousands separators, k/M suffixes and percents."""
    found = parse_amount(text)
    return found[0] if found else None


def parse_bool(text: str) -> bool | None:
    s = (text or "").strip().lower()
    if s in ("yes", "y", "true", "required", "enabled", "on", "1", "pass", "passed"):
        return True
    if s in ("no", "n", "false", "not required", "disabled", "off", "0", "fail", "failed"):
        return False
    return None


def parse_severity(text: str) -> str | None:
    """A severity as written: "SEV-1" -> "sev1", "P2" -> "p2", "High" -> "high"."""
    m = _SEV_RE.search(text or "")
    if m:
        return f"sev{m.group(1)}" if m.group(1) else m.group(2).lower()
    low = (text or "").lower()
    for word in _SEV_WORDS:
        if re.search(rf"\b{word}\b", low):
            return word
    return None


def coerce_to(ftype: str, raw: Any) -> Any:
    """A raw string (or list) as the catalog type, or None when it does not read as one."""
    if raw is None:
        return None
    if ftype == "list":
        if isinstance(raw, list):
            return [str(x) for x in raw if str(x).strip()] or None
        parts = [p.strip() for p in re.split(r"[;,]\s*|\s+and\s+", str(raw)) if p.strip()]
        return parts or None
    if isinstance(raw, list):
        raw = "; ".join(str(x) for x in raw)
    s = str(raw).strip()
    if not s:
        return None
    if ftype == "string":
        return s[:300]
    if ftype == "text":
        return s[:4000]
    if ftype == "integer":
        n = parse_number(s)
        return int(round(n)) if n is not None and abs(n) < 2**62 else None
    if ftype == "float":
        return parse_number(s)
    if ftype == "boolean":
        return parse_bool(s)
    if ftype == "datetime":
        return parse_date(s)
    if ftype == "json":
        return s[:4000]
    return None
