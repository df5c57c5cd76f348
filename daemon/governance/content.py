"""Content rules: text that looks like a secret is flagged, kept out, and never auto-approved.

Each rule is a regular expression with a name; the flag (``secret:<name>``) is all that is
said of a match. What is scanned: every string in a proposal's fields, the names of its keys
(``secret_field``: a ``password`` column, a ``"api_key":`` member), and, for a file, the
*evidence* the ingestion pipeline passes along: the raw text and records as read, before
inference turned them into fields (an SSH key's header becomes a title; a CSV's header
row may be taken for data). A rule with a group named ``value`` marks the secret within its
match (the password of ``password=...``); otherwise the whole match is the secret. Every
secret found is replaced by ``[redacted]`` in the fields before the proposal is stored, so
no summary, row or event repeats it.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from re import Pattern
from typing import Any

REDACTED = "[redacted]"
_SECRET_NAME = (
    r"(?:password|passwd|pwd|passphrase|secret|api[_-]?key|apikey|access[_-]?token|auth[_-]?token"
    r"|client[_-]?secret|private[_-]?key|secret[_-]?key)"
)
# Each built-in rule is a regular expression; card numbers are also Luhn-checked, and
# secret_field is matched against key and column names (with a value), not text.
BUILTIN_RULES: dict[str, str] = {
    "private_key": r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----(?P<value>[\s\S]*?)(?:-----END|\Z)",
    "aws_access_key": r"\b(?:AKIA|ASIA|AGPA|AIDA|AROA|ANPA)[0-9A-Z]{16}\b",
    "aws_secret_key": r"(?i)aws_?secret_?access_?key\s*[:=]\s*['\"]?(?P<value>[A-Za-z0-9/+=]{40})\b",
    # Token rules start with their literal, no \b before it: the regex engine then skips
    # ahead to it (many times faster on whole files), and a token glued to a word is one still.
    "google_api_key": r"AIza[0-9A-Za-z_\-]{35}\b",
    "github_token": r"(?:gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{22,})\b",
    "slack_token": r"xox[abprs]-[A-Za-z0-9-]{10,}\b",
    "stripe_key": r"[sr]k_live_[0-9A-Za-z]{20,}\b",
    # Not the end of a word (flask-, task-, risk-: "flask-apps-a-how-to-for-those-coming-from-
    # django" in a link of peewee's README was held as a key and redacted), and with a digit,
    # which a slug of words lacks and a random key of 32+ characters all but never does.
    "openai_key": r"sk-(?<![A-Za-z0-9]sk-)(?:proj-|svcacct-|admin-)?(?=[A-Za-z_\-]*\d)[A-Za-z0-9_\-]{32,}\b",
    "jwt": r"eyJ[A-Za-z0-9_\-]{8,}\.eyJ[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{8,}",
    # password: x, DB_PASSWORD=x, "api_key": "x" (JSON, YAML, .env, ini)
    # (pwd is left out: shell's working folder; a value that reads as code, self.key,
    # f(...) or Optional[str], is no secret)
    # (not in an ARN's ":secret:name"; the quote before the value, if any, tells code apart:
    # see _plausible)
    "password_assignment": rf"(?i)(?<![a-z0-9:])(?P<name>{_SECRET_NAME.replace('|pwd', '')})['\"]?[ \t]*[:=][ \t]*"
    r"(?P<quote>['\"]?)(?P<value>(?![A-Za-z_]\w*(?:\.\w|::|\(|\[))[^\s'\",;{}()\[\]]{6,})",
    # .netrc: machine host login user password secret (on one line or several)
    "netrc_password": r"(?im)^\s*(?:machine\s+\S+|default)(?:\s+(?:login|account)\s+\S+)*\s+password\s+(?P<value>\S+)",
    # scheme://user:password@host (database URLs, git remotes); a masked *** is no secret
    "url_credentials": r"\b[a-zA-Z][a-zA-Z0-9+.\-]*://[^\s/:@]+:(?P<value>(?!\*+@)[^\s/@]+)@[\w.\-\[\]]+",
    "secret_field": rf"(?i)^(?:[\w.\-]*[_.\- ])?{_SECRET_NAME}s?$",
    # 13-19 digits, optionally grouped by spaces or dashes; confirmed by the Luhn check. Not
    # the digits of a decimal number (0.5499854683876038): one in ten such runs passes Luhn,
    # and datasets of measurements were held as holding card numbers.
    "card_number": r"(?<!\d\.)\b(?:\d[ -]?){12,18}\d\b(?!\.\d)",
}
NAME_RULES = frozenset({"secret_field"})  # matched against names, not text
# Words (lower case) without one of which a built-in rule cannot match: texts lacking them are
# not run through its regular expression, which keeps the scan of whole files cheap.
_NEEDLES: dict[str, tuple[str, ...]] = {
    "private_key": ("private key",),
    "aws_access_key": ("akia", "asia", "agpa", "aida", "aroa", "anpa"),
    "aws_secret_key": ("secret",),
    "google_api_key": ("aiza",),
    "github_token": ("ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_"),
    "slack_token": ("xox",),
    "stripe_key": ("_live_",),
    "openai_key": ("sk-",),
    "jwt": ("eyj",),
    "password_assignment": ("passw", "passphrase", "secret", "api", "access", "auth", "private"),
    "netrc_password": ("password",),
    "url_credentials": ("://",),
}


# What every built-in card_number match holds: a first look that, unlike the rule's leading
# \b, lets the regex engine skip ahead to the digits (half the cost of the rule on prose).
_CARD_DIGITS = re.compile(r"\d(?:[ -]?\d){12}")


@functools.lru_cache(maxsize=16)
def _key_matcher(rx: Pattern[str]) -> Callable[[str], bool]:
    """Whether a name rule matches a key, remembered: files repeat the same few dozen keys
    (a match of secret_field costs a microsecond; each file has twenty keys or more)."""

    @functools.lru_cache(maxsize=4096)
    def matches(key: str) -> bool:
        return rx.match(key) is not None

    return matches


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


# Issuers' prefixes and the lengths of their numbers: long ids, phone numbers and the big
# integers of code (seeds, constants) pass the Luhn check one time in ten, and seldom with
# both a card's prefix and that card's length.
_ISSUERS = [
    (re.compile(r"4"), (13, 16, 19)),  # Visa
    (re.compile(r"5[1-5]|222[1-9]|22[3-9]\d|2[3-6]\d\d|27[01]\d|2720"), (16,)),  # Mastercard
    (re.compile(r"3[47]"), (15,)),  # American Express
    (re.compile(r"6011|64[4-9]|65"), (16, 17, 18, 19)),  # Discover
    (re.compile(r"35(?:2[89]|[3-8]\d)"), (16, 17, 18, 19)),  # JCB
]


def _card_like(match: str) -> bool:
    digits = re.sub(r"[ -]", "", match)
    issued = any(prefix.match(digits) and len(digits) in lengths for prefix, lengths in _ISSUERS)
    return issued and len(set(digits)) > 1 and _luhn_ok(digits)


# Values that stand for a password in an example, not one (scheme://user:password@host).
_PLACEHOLDERS = frozenset({"password", "passwd", "pass", "pwd", "pw", "secret", "xxx", "xxxx", "***"})
_IDENTIFIER = re.compile(r"[A-Za-z_]\w*")
_BASE64_RUN = re.compile(r"[A-Za-z0-9+/]{16,}")
_NAME_WORD = re.compile(rf"(?i)(?:\w*_)?{_SECRET_NAME}")
_ENV_NAME = re.compile(r"[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+")  # AWS_SECRET_ACCESS_KEY: a variable's name
_KEY_BEFORE = re.compile(r"[\w.\-]*$")


def _assigned_secret(m: re.Match[str]) -> bool:
    """password_assignment: a value, not code or prose that names one. Measured on packages'
    own files, the misses were: a variable passed on (password=password, self.key_password =
    key_password, x_passphrase = password), a type (password: FilterOrBool = False,
    secret: Fake | None), a constant that spells its own name (PASSWORD = "PASSWORD") or an
    environment variable's (SECRET_KEY = 'AWS_SECRET_ACCESS_KEY'), and a docstring's
    ``:param password: encrypt it with ...``."""
    value, name = m.group("value"), m.group("name").lower()
    if value.startswith("-----BEGIN"):
        return False  # a PEM block: the private_key rule judges its body
    start = m.start("name")
    before = _KEY_BEFORE.search(m.string, max(0, start - 60), start)  # the key the name ends
    key = (before.group(0) if before else "") + m.group("name")
    if value.lower() == key.lower() or (_ENV_NAME.fullmatch(value) and _NAME_WORD.search(value)):
        return False
    if m.group("quote") or not _IDENTIFIER.fullmatch(value):
        return True
    if value.lower() == name or value.lower().endswith("_" + name) or _NAME_WORD.fullmatch(value):
        return False
    rest = m.string[m.end() : m.end() + 4]
    return not re.match(r"[,)}\]]|\s*=(?!=)|\s*\||[ \t]+[A-Za-z]", rest)


def _plausible(rule: str, m: re.Match[str]) -> bool:
    """Whether a built-in rule's match holds a secret rather than an example or code that
    merely names one (measured on packages' own files: AWS's documented example keys,
    ``password=password`` in calls, ``password: str = ...`` in signatures, the PEM markers
    of a parser's source, ``user:password@`` in a docstring)."""
    if rule == "aws_access_key":
        return not m.group(0).endswith("EXAMPLE")  # AWS's documentation's keys all end so
    if rule == "aws_secret_key":
        return "EXAMPLE" not in m.group("value")
    if rule == "private_key":  # a key's body, not the words around a marker in code or prose
        return any(re.search(r"\d", run) for run in _BASE64_RUN.findall(m.group("value")))
    if rule == "url_credentials":
        value = m.group("value")
        return not (value.lower() in _PLACEHOLDERS or value[:1] in "<{$[" or len(value) < 4)
    if rule == "password_assignment":
        return _assigned_secret(m)
    return True


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


@dataclass
class Findings:
    """What a scan found: the flags to put on the proposal and the secrets to redact."""

    flags: list[str] = field(default_factory=list)
    secrets: set[str] = field(default_factory=set)

    def merged(self, other: Findings | None) -> Findings:
        if other is None:
            return self
        return Findings(list(dict.fromkeys(self.flags + other.flags)), self.secrets | other.secrets)


def _gather(value: Any, texts: list[str], named: list[tuple[str, Any]]) -> None:
    """Every string value (not key) in ``value`` into ``texts``, and every (key, value) pair
    of its mappings with a value that is not empty into ``named``."""
    if isinstance(value, str):
        texts.append(value)
    elif isinstance(value, dict):
        for k, v in value.items():
            if isinstance(k, str) and v not in (None, "", [], {}):
                named.append((k, v))
            if isinstance(v, str):
                texts.append(v)
            elif isinstance(v, (dict, list, tuple)):
                _gather(v, texts, named)
    elif isinstance(value, (list, tuple)):
        for v in value:
            if isinstance(v, str):
                texts.append(v)
            elif isinstance(v, (dict, list, tuple)):
                _gather(v, texts, named)


def _header_columns(text: str, rx: Pattern[str]) -> list[str]:
    """Values of the columns a delimited text's header names like secrets (``password``),
    for a CSV whose header the dataset reader took for a row."""
    lines = text.lstrip("\ufeff").splitlines()
    if len(lines) < 2:
        return []
    header = lines[0]
    delimiter = max(",;\t|", key=header.count)
    if header.count(delimiter) == 0:
        return []
    names = [c.strip().strip("\"'") for c in header.split(delimiter)]
    hits = [i for i, name in enumerate(names) if rx.match(name)]
    values = []
    for line in lines[1:1000]:
        cells = line.split(delimiter)
        values += [cells[i].strip().strip("\"'") for i in hits if i < len(cells) and cells[i].strip()]
    return values if hits else []


def _secret_parts(value: str) -> set[str]:
    """A secret, and each long piece of it (a key's body is cut into lines, and joined with
    spaces in an excerpt)."""
    value = value.strip()
    return {value, *(piece for piece in value.split() if len(piece) >= 8)} if value else set()


def find(fields: Any, rules: dict[str, Pattern[str]], evidence: Any = None) -> Findings:
    """Scan ``fields`` and ``evidence`` (anything: raw text, records) with ``rules``."""
    found = Findings()
    texts: list[str] = []
    named: list[tuple[str, Any]] = []
    _gather(fields, texts, named)
    shown = len(texts)  # texts[shown:] are the evidence's
    _gather(evidence, texts, named)
    # All of it at once: most rules' needles are in none of the texts (a record's dozen
    # strings, each asked for each rule's needles, took a third of reading a small file).
    # No rule's needle holds "\0", nor can a card number's match span it.
    joined = "\0".join(texts)
    everything = joined.lower()
    lowered: list[str] | None = None  # each text's, when some needle is in one of them
    for name, rx in rules.items():
        secrets: list[str] = []
        if name in NAME_RULES:
            matches = _key_matcher(rx)
            keys = [(k, v) for k, v in named if matches(k)]
            secrets = [str(v) for _, v in keys if not isinstance(v, (dict, list))]
            for text in texts[shown:]:
                secrets += _header_columns(text, rx)
            hit = bool(keys) or bool(secrets)
        elif name == "card_number":
            within = texts
            if rx.pattern == BUILTIN_RULES[name]:  # all the texts at once, if 13 digits are there
                within = [joined] if _CARD_DIGITS.search(joined) else []
            secrets = [m.group(0) for text in within for m in rx.finditer(text) if _card_like(m.group(0))]
            hit = bool(secrets)
        else:
            hit = False
            candidates = texts
            builtin = rx.pattern == BUILTIN_RULES.get(name)  # an operator's own rule is taken as written
            needles = _NEEDLES.get(name) if builtin else None
            if needles is not None:
                if not any(map(everything.__contains__, needles)):
                    continue
                if lowered is None:
                    lowered = [text.lower() for text in texts]
                candidates = [t for t, low in zip(texts, lowered, strict=True) if any(n in low for n in needles)]
            for text in candidates:
                for m in rx.finditer(text):
                    if builtin and not _plausible(name, m):
                        continue
                    hit = True
                    value = m.groupdict().get("value")
                    secrets.append(value if value else m.group(0))
        if hit:
            found.flags.append(f"secret:{name}")
            for secret in secrets:
                found.secrets |= _secret_parts(secret)
    return found


def scan(fields: Any, rules: dict[str, Pattern[str]], evidence: Any = None) -> list[str]:
    """Flags like ``secret:private_key`` for every rule some text in ``fields`` (or
    ``evidence``) matches."""
    return find(fields, rules, evidence).flags


def redact(value: Any, secrets: set[str]) -> Any:
    """``value`` with every secret (of 4 characters or more) in its strings replaced by
    ``[redacted]``; keys are kept."""
    if not secrets:
        return value
    ordered = sorted((s for s in secrets if len(s) >= 4), key=len, reverse=True)
    if not ordered:
        return value
    rx = re.compile("|".join(re.escape(s) for s in ordered))

    def clean(v: Any) -> Any:
        if isinstance(v, str):
            return rx.sub(REDACTED, v)
        if isinstance(v, dict):
            return {k: clean(x) for k, x in v.items()}
        if isinstance(v, list):
            return [clean(x) for x in v]
        return v

    return clean(value)
