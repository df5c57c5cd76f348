"""Titles and facts of text formats with a structure of their own: JSON documents, XML,
e-mail messages and Debian machine-readable copyright files."""

from __future__ import annotations

import email
import email.policy
import html
import re
from email.message import EmailMessage
from typing import Any

from .markup import TAG_RE, first_element, tag_text, xml_body
from .text import html_to_text

MAX_TITLE = 300
# Keys that name a JSON document (a package manifest's name, an OpenAPI info.title...).
_JSON_TITLE_KEYS = ("title", "name", "displayName", "display_name", "label")
_XML_ROOT_RE = re.compile(r"<([A-Za-z_][\w.:-]*)[\s/>]")
_TAG_SCAN_RE = re.compile(r"<(/?)([A-Za-z_][\w.:-]*)[^<>]*?(/?)>")
# Header lines that open an RFC 5322 message (mbox "From " lines too).
_MAIL_HEADER_RE = re.compile(
    r"^(From |(Return-Path|Received|From|To|Cc|Subject|Date|Message-ID|MIME-Version|"
    r"Content-Type|Delivered-To|X-[\w-]+):)",
    re.I,
)
# Headers only mail software writes: a memo that starts "To: / From: / Subject:" has none.
_MAIL_TRANSPORT = {"return-path", "received", "message-id", "mime-version", "content-type", "delivered-to"}
DEBIAN_COPYRIGHT_FORMAT = "copyright-format"


def _short(value: Any) -> str | None:
    if isinstance(value, str):
        text = " ".join(value.split())
        return text[:MAX_TITLE] if text else None
    return None


def json_title(value: dict[str, Any]) -> str | None:
    """The name a JSON object gives itself: ``title``/``name``..., or ``info.title`` one level down."""
    for key in _JSON_TITLE_KEYS:
        found = _short(value.get(key))
        if found:
            return found
    for outer in ("info", "metadata", "package"):
        inner = value.get(outer)
        if isinstance(inner, dict):
            for key in _JSON_TITLE_KEYS:
                found = _short(inner.get(key))
                if found:
                    return found
    return None


def looks_like_xml(head: str) -> bool:
    """An XML declaration, or a root element after at most comments and a doctype."""
    stripped = head.lstrip("\ufeff \t\r\n")
    if stripped.startswith("<?xml"):
        return True
    rest = xml_body(stripped[:4096]).lstrip()
    return bool(re.match(r"<[A-Za-z_][\w.:-]*[\s/>]", rest)) and bool(re.search(r"</[\w.:-]+\s*>|/>", rest))


def xml_structure(text: str) -> dict[str, Any]:
    """Title (a Maven POM's project name, else the first ``title`` element in any
    namespace), root element, visible text."""
    body = xml_body(text)
    root = _XML_ROOT_RE.search(body)
    title = None
    if root and root.group(1) == "project":  # a Maven POM: the project's own name, else its artifactId
        found = _children(body[:500_000], ("name", "artifactId"))
        title = next((found[k] for k in ("name", "artifactId") if "${" not in found.get(k, "${")), None)
    if title is None:
        inner = first_element(body, "title")
        title = _short(tag_text(inner)) if inner is not None else None
    visible = html.unescape(TAG_RE.sub(" ", body))
    visible = "\n".join(" ".join(line.split()) for line in visible.splitlines() if line.strip())
    return {"title": title, "root_element": root.group(1) if root else None, "text": visible}


def _children(body: str, wanted: tuple[str, ...]) -> dict[str, str]:
    """The text of the root element's direct children named in ``wanted`` (the first of each)."""
    found: dict[str, str] = {}
    depth = 0
    for m in _TAG_SCAN_RE.finditer(body):
        closing, name, empty = m.group(1), m.group(2), m.group(3)
        if closing:
            depth -= 1
        elif not empty:
            if depth == 1 and name in wanted and name not in found:
                end = body.find(f"</{name}>", m.end())
                if end > 0:
                    found[name] = _short(html.unescape(body[m.end() : end])) or ""
            depth += 1
    return found


def looks_like_email(head: str) -> bool:
    """Headers first (at least three known ones: Subject or From, and one that only mail
    software writes), then a blank line."""
    lines = head.lstrip("\ufeff").splitlines()[:60]
    known = 0
    names = set()
    for line in lines:
        if not line.strip():
            break
        if line[:1] in (" ", "\t"):
            continue  # a folded header's continuation
        if _MAIL_HEADER_RE.match(line):
            known += 1
            names.add(line.split(":", 1)[0].lower() if ":" in line.split(" ", 1)[0] else "from ")
        elif not re.match(r"^[\w-]+:", line):
            return False
    transport = names & _MAIL_TRANSPORT or any(n.startswith("x-") or n == "from " for n in names)
    return known >= 3 and bool(names & {"subject", "from"}) and bool(transport)


def email_structure(text: str) -> dict[str, Any]:
    """Subject (as the title), sender, recipients, date, and the body's readable text."""
    msg = email.message_from_string(text, policy=email.policy.default)
    facts: dict[str, Any] = {}
    for key, name in (("from", "author"), ("to", "to"), ("date", "date"), ("message-id", "message_id")):
        try:
            value = msg.get(key)
        except (ValueError, IndexError, TypeError):  # a malformed header: keep the others
            value = None
        if value:
            facts[name] = " ".join(str(value).split())[:MAX_TITLE]
    try:
        subject = _short(str(msg.get("subject") or ""))
    except (ValueError, IndexError, TypeError):
        subject = None
    body = ""
    if isinstance(msg, EmailMessage):
        try:
            part = msg.get_body(preferencelist=("plain", "html"))
            if part is not None:
                body = part.get_content()
                if part.get_content_type() == "text/html":
                    body = html_to_text(body)[0]
        except (LookupError, ValueError, KeyError, AttributeError):
            body = ""
    if not body:
        _, _, body = text.partition("\n\n")
    attachments = [p.get_filename() for p in msg.walk() if p.get_filename()] if msg.is_multipart() else []
    if attachments:
        facts["attachments"] = attachments[:50]
    return {"title": subject, "facts": facts, "text": body}


def debian_copyright(text: str) -> dict[str, Any] | None:
    """The header paragraph of a machine-readable Debian copyright file (``Format:`` naming
    the copyright-format spec), or None when the text is not one."""
    head = text.lstrip("\ufeff")
    first = head.split("\n", 1)[0]
    if not re.match(r"^Format:\s*\S*" + DEBIAN_COPYRIGHT_FORMAT, first, re.I) and not re.match(
        r"^Format-Specification:\s*\S*(dep5|copyright-format)", first, re.I
    ):
        return None
    paragraphs = re.split(r"\n[ \t]*\n", head)

    def fields(paragraph: str) -> dict[str, str]:
        out: dict[str, str] = {}
        key = None
        for line in paragraph.splitlines():
            if line[:1] in (" ", "\t") and key:
                out[key] += "\n" + line.strip()
            elif ":" in line:
                key, _, value = line.partition(":")
                key = key.strip().lower()
                out[key] = value.strip()
        return out

    header = fields(paragraphs[0])
    facts: dict[str, Any] = {"format": "debian-copyright"}
    for key, name in (
        ("upstream-name", "upstream_name"),
        ("upstream-contact", "upstream_contact"),
        ("source", "source_url"),
    ):
        if header.get(key):
            facts[name] = header[key].split("\n")[0][:MAX_TITLE]
    licences = []
    for paragraph in paragraphs[1:]:
        found = fields(paragraph)
        if "files" in found and found.get("license"):
            name = found["license"].split("\n")[0].strip()
            if name and name not in licences:
                licences.append(name)
    if licences:
        facts["licenses"] = licences[:30]
        facts["license"] = licences[0]
    return {"title": facts.get("upstream_name"), "facts": facts}
