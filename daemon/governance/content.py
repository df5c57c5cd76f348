"""Content rules: text that looks like a secret is flagged and never auto-approved.

Only the rule's name goes into the proposal's flags, never the matched text.
"""

from __future__ import annotations

import re
from typing import Any, Iterator, Pattern

# Each built-in rule is a regular expression; card numbers are also Luhn-checked.
BUILTIN_RULES: dict[str, str] = {
    "private_key": r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----",
    "aws_access_key": r"\b(?:AKIA|ASIA|AGPA|AIDA|AROA|ANPA)[0-9A-Z]{16}\b",
    "aws_secret_key": r"(?i)aws_?secret_?access_?key\s*[:=]\s*['\"]?[A-Za-z0-9/+=]{40}\b",
    "google_api_key": r"\bAIza[0-9A-Za-z_\-]{35}\b",
    "github_token": r"\b(?:gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{22,})\b",
    "slack_token": r"\bxox[abprs]-[A-Za-z0-9-]{10,}\b",
    "stripe_key": r"\b[sr]k_live_[0-9A-Za-z]{20,}\b",
    "openai_key": r"\bsk-(?:proj-)?[A-Za-z0-9_\-]{32,}\b",
    "jwt": r"\beyJ[A-Za-z0-9_\-]{8,}\.eyJ[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{8,}",
    "password_assignment": r"(?i)\b(?:password|passwd|secret|api[_-]?key|access[_-]?token)\s*[:=]\s*['\"]?[^\s'\"]{8,}",
    # 13-19 digits, optionally grouped by spaces or dashes; confirmed by the Luhn check.
    "card_number": r"\b(?:\d[ -]?){12,18}\d\b",
}


def _luhn_ok(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def _card_like(match: str) -> bool:
    digits = re.sub(r"[ -]", "", match)
    # Known issuer prefixes keep long ids and phone numbers from being flagged.
    issuer = re.match(r"4|5[1-5]|2[2-7]|3[47]|6(?:011|5)|35", digits)
    return 13 <= len(digits) <= 19 and issuer is not None and len(set(digits)) > 1 and _luhn_ok(digits)


def compile_rules(names: list[str], extra: dict[str, str]) -> dict[str, Pattern[str]]:
    """The rules in force: built-ins by name plus extra ``{name: regex}``. Raises ValueError
    naming the rule when a name is unknown or a pattern does not compile."""
    rules: dict[str, Pattern[str]] = {}
    for name in names:
        if name not in BUILTIN_RULES:
            raise ValueError(f"unknown content rule {name!r}; built-in rules: {', '.join(BUILTIN_RULES)}")
        rules[name] = re.compile(BUILTIN_RULES[name])
    for name, pattern in extra.items():
        try:
            rules[name] = re.compile(pattern)
        except re.error as e:
            raise ValueError(f"content rule {name!r}: bad regular expression: {e}") from None
    return rules


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for k, v in value.items():
            yield from _strings(k)
            yield from _strings(v)
    elif isinstance(value, (list, tuple)):
        for v in value:
            yield from _strings(v)


def scan(fields: Any, rules: dict[str, Pattern[str]]) -> list[str]:
    """Flags like ``secret:private_key`` for every rule some text in ``fields`` matches."""
    flags: list[str] = []
    texts = list(_strings(fields))
    for name, rx in rules.items():
        for text in texts:
            if name == "card_number":
                hit = any(_card_like(m.group(0)) for m in rx.finditer(text))
            else:
                hit = rx.search(text) is not None
            if hit:
                flags.append(f"secret:{name}")
                break
    return flags
