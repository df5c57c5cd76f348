"""The child side of PDF extraction: read requests on stdin, parse with pypdf, answer on stdout.

It runs in its own process so that a malicious PDF (an endless object loop, a decompression
bomb) costs at most one killed child: the parent enforces the time limit, and the address
space limit set here turns a memory bomb into a MemoryError instead of an OOM kill.
Messages are msgpack, each preceded by its length as 4 big-endian bytes.
"""

from __future__ import annotations

import logging
import os
import struct
import sys
from datetime import datetime, UTC
from collections.abc import Mapping
from typing import Any

import msgspec


def _date(value: Any) -> str | None:
    """A PDF date ("D:20240301120000+01'00'") as ISO 8601, or None."""
    if isinstance(value, datetime):
        return value.astimezone(UTC).replace(tzinfo=None).isoformat() if value.tzinfo else value.isoformat()
    if not isinstance(value, str):
        return None
    s = value.strip()
    if s.startswith("D:"):
        s = s[2:]
    digits = "".join(ch for ch in s[:14] if ch.isdigit())
    if len(digits) < 4:
        return None
    digits = (digits + "0101000000")[:14] if len(digits) < 8 else digits.ljust(14, "0")
    try:
        return datetime.strptime(digits, "%Y%m%d%H%M%S").isoformat()
    except ValueError:
        return None


def parse(path: str, max_pages: int, max_chars: int) -> dict[str, Any]:
    """Page count, text of the first pages and the Info metadata of one PDF."""
    from pypdf import PdfReader
    from pypdf.errors import DependencyError, FileNotDecryptedError, PdfReadError

    try:
        reader = PdfReader(path, strict=False)
        if reader.is_encrypted:
            try:
                ok = reader.decrypt("")  # many PDFs are encrypted with an empty user password
            except (DependencyError, NotImplementedError) as e:
                return {"ok": False, "kind": "encrypted", "error": f"encrypted PDF that cannot be opened here: {e}"}
            if not ok:
                return {"ok": False, "kind": "encrypted", "error": "encrypted PDF: a password is needed to read it"}
        pages = reader.pages
        page_count = len(pages)
        meta: Mapping[str, Any] = reader.metadata or {}
        parts: list[str] = []
        total = 0
        for i in range(min(page_count, max_pages)):
            try:
                chunk = pages[i].extract_text() or ""
            except (PdfReadError, ValueError, KeyError, TypeError, AttributeError):
                chunk = ""  # one unreadable page does not make the document unreadable
            parts.append(chunk)
            total += len(chunk)
            if total >= max_chars:
                break
        text = "\n".join(parts)[:max_chars]
        info: dict[str, Any] = {}
        for key, name in (
            ("/Title", "title"),
            ("/Author", "author"),
            ("/Subject", "subject"),
            ("/Keywords", "keywords"),
            ("/Creator", "creator"),
            ("/Producer", "producer"),
        ):
            value = meta.get(key)
            if value is not None and str(value).strip():
                info[name] = str(value).strip()[:500]
        for key, name in (("/CreationDate", "created_at"), ("/ModDate", "modified_at")):
            iso = _date(meta.get(key))
            if iso:
                info[name] = iso
        return {"ok": True, "page_count": page_count, "text": text, "pages_read": len(parts), "info": info}
    except FileNotDecryptedError:
        return {"ok": False, "kind": "encrypted", "error": "encrypted PDF: a password is needed to read it"}
    except DependencyError as e:  # a cipher met only while reading (not at decrypt): not a broken file
        return {"ok": False, "kind": "encrypted", "error": f"encrypted PDF that cannot be opened here: {e}"}
    except MemoryError:
        return {"ok": False, "kind": "too_large", "error": "PDF needs more memory than the extraction limit allows"}
    except RecursionError:
        return {"ok": False, "kind": "too_large", "error": "PDF structure is nested too deeply"}
    except Exception as e:  # pypdf raises many kinds on broken files; all mean "unreadable"
        return {"ok": False, "kind": "corrupt", "error": f"corrupt or truncated PDF: {type(e).__name__}: {e}"[:500]}


def _read_exact(fd: int, n: int) -> bytes | None:
    buf = b""
    while len(buf) < n:
        chunk = os.read(fd, n - len(buf))
        if not chunk:
            return None
        buf += chunk
    return buf


def main() -> None:
    logging.disable(logging.CRITICAL)  # pypdf warns on every odd file; the parent reports errors
    memory = int(os.environ.get("CLARITY_PDF_MEMORY_BYTES", "0"))
    if memory > 0:
        try:
            import resource

            resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
        except (ImportError, ValueError, OSError):
            pass
    stdin, stdout = sys.stdin.fileno(), sys.stdout.fileno()
    while True:
        head = _read_exact(stdin, 4)
        if head is None:
            return  # the parent went away
        body = _read_exact(stdin, struct.unpack(">I", head)[0])
        if body is None:
            return
        req = msgspec.msgpack.decode(body)
        reply = parse(req["path"], req["max_pages"], req["max_chars"])
        out = msgspec.msgpack.encode(reply)
        os.write(stdout, struct.pack(">I", len(out)) + out)


if __name__ == "__main__":
    main()
