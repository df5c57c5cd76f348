"""What a file is, from its first bytes first and its name second.

The magic numbers decide for binary formats, so a PNG named ``report.txt`` is still an
image and a random blob named ``data.csv`` is refused instead of parsed as text.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from dataclasses import dataclass

from .formats import looks_like_email, looks_like_xml
from .known_files import (
    block_shaped,
    code_by_lines,
    headerless_records,
    known_code_language,
    lock_file,
    template_language,
    yaml_shaped,
)
from .types import Kind

HEAD_BYTES = 8192  # how much of the file sniffing looks at


@dataclass(frozen=True)
class Sniffed:
    kind: Kind | None  # None: a binary format we do not extract
    mime_type: str
    format: str  # short true format: png, jpeg, pdf, wav, mp4, text...
    media_type: str | None = None  # image, audio, video


# Extensions whose text is source code (language is decided in code.py).
CODE_EXTENSIONS = {
    ".py",
    ".pyw",
    ".pyi",
    ".js",
    ".mjs",
    ".cjs",
    ".jsx",
    ".ts",
    ".tsx",
    ".sh",
    ".bash",
    ".zsh",
    ".ksh",
    ".c",
    ".h",
    ".cc",
    ".cpp",
    ".cxx",
    ".hpp",
    ".hh",
    ".hxx",
    ".go",
    ".rs",
    ".pl",
    ".pm",
    ".t",
    ".php",
    ".sql",
    ".rb",
    ".java",
    ".kt",
    ".kts",
    ".cs",
    ".swift",
    ".cmake",
    ".yaml",
    ".yml",
    ".toml",
    ".lua",
    ".r",
    ".scala",
    ".m",
    ".mk",
    ".awk",
    ".sed",
    ".tcl",
    ".el",
    ".vim",
    ".ps1",
    ".bat",
    ".css",
    ".scss",
    ".xsl",
    ".xslt",
    ".make",
    ".f90",
    ".hs",
    ".ml",
    ".ex",
    ".exs",
    ".erl",
    ".clj",
    ".dart",
    ".groovy",
    ".gradle",
    ".ini",
    ".cfg",
    ".conf",
    ".dockerfile",
    ".proto",
    ".asm",
    ".s",
}
# Names without a telling extension that are code all the same.
CODE_NAMES = {
    "makefile",
    "gnumakefile",
    "dockerfile",
    "cmakelists.txt",
    "rakefile",
    "gemfile",
    "meson.build",
    "configure.ac",
    "kconfig",
    "vagrantfile",
    "jenkinsfile",
    "sconstruct",
}
DATASET_EXTENSIONS = {".csv", ".tsv", ".tab", ".json", ".jsonl", ".ndjson", ".geojson"}
MARKDOWN_EXTENSIONS = {".md", ".markdown", ".mdown", ".mkd", ".rst"}
HTML_EXTENSIONS = {".html", ".htm", ".xhtml"}
XML_EXTENSIONS = {
    ".xml",
    ".xsd",
    ".rss",
    ".atom",
    ".kml",
    ".gpx",
    ".plist",
    ".xlf",
    ".xliff",
    ".wsdl",
    ".rdf",
    ".opf",
    ".nuspec",
    ".pom",
    ".csproj",
    ".vcxproj",
    ".resx",
    ".xul",
    ".glade",
    ".ui",
    ".metainfo",
}
EMAIL_EXTENSIONS = {".eml"}
# Extensions that claim prose or a log: their content's shape does not make them code.
_TEXT_EXTENSIONS = {".txt", ".text", ".log", ".out", ".msg"}

_SVG_RE = re.compile(rb"<svg[\s>]", re.IGNORECASE)
_HTML_RE = re.compile(rb"<!doctype html|<html[\s>]", re.IGNORECASE)


def _ftyp(head: bytes) -> Sniffed:
    """ISO base media (MP4, M4A, MOV, 3GP, HEIC, AVIF): the brand says which."""
    brand = head[8:12].decode("latin-1").strip().lower()
    if brand in ("heic", "heix", "mif1", "msf1", "heim", "heis"):
        return Sniffed("media", "image/heic", "heic", "image")
    if brand in ("avif", "avis"):
        return Sniffed("media", "image/avif", "avif", "image")
    if brand in ("m4a", "m4b", "m4p", "f4a"):
        return Sniffed("media", "audio/mp4", "m4a", "audio")
    if brand == "qt":
        return Sniffed("media", "video/quicktime", "mov", "video")
    if brand.startswith("3g"):
        return Sniffed("media", "video/3gpp", "3gp", "video")
    return Sniffed("media", "video/mp4", "mp4", "video")  # audio-only MP4 is told apart in media.py


def _id3(head: bytes) -> bool:
    """An ID3v2 tag: version 2-4, then flags and a size of four 7-bit bytes."""
    return len(head) >= 10 and head[:3] == b"ID3" and head[3] in (2, 3, 4) and all(b < 0x80 for b in head[6:10])


# Refused formats whose magic number is letters: what else their first bytes must hold.
_LETTER_MAGIC: dict[str, Callable[[bytes], bool]] = {
    "bzip2": lambda h: h[3:4].isdigit() and h[4:10] in (b"1AY&SY", b"\x17rE8P\x90"),  # a block or the end
    "exe": lambda h: looks_binary(h),  # defined below
}


def _icon(head: bytes) -> bool:
    """An ICO or CUR directory: type 1 or 2, one or more entries, the first one's reserved byte 0."""
    return (
        len(head) >= 22
        and head[:2] == b"\x00\x00"
        and head[2:4] in (b"\x01\x00", b"\x02\x00")
        and 0 < int.from_bytes(head[4:6], "little") <= 256
        and head[9] == 0
    )


def _mp3_frame(head: bytes) -> bool:
    # MPEG audio frame sync: 11 set bits, a valid layer and bitrate index.
    return (
        len(head) > 3
        and head[0] == 0xFF
        and (head[1] & 0xE0) == 0xE0
        and (head[1] & 0x06) != 0
        and (head[2] & 0xF0) != 0xF0
        and (head[2] & 0x0C) != 0x0C
    )


def sniff_bytes(head: bytes) -> Sniffed | None:
    """The format told by magic numbers, or None when the bytes do not say (text, unknown)."""
    h = head
    if h.startswith((b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")):
        return None  # a text byte-order mark, whatever bytes follow
    if h.startswith(b"%PDF-") or b"%PDF-" in h[:1024]:
        return Sniffed("pdf", "application/pdf", "pdf")
    if h.startswith(b"\x89PNG\r\n\x1a\n"):
        return Sniffed("media", "image/png", "png", "image")
    if h.startswith(b"\xff\xd8\xff"):
        return Sniffed("media", "image/jpeg", "jpeg", "image")
    if h.startswith((b"GIF87a", b"GIF89a")):
        return Sniffed("media", "image/gif", "gif", "image")
    if h.startswith(b"RIFF") and h[8:12] == b"WEBP":
        return Sniffed("media", "image/webp", "webp", "image")
    if h.startswith(b"RIFF") and h[8:12] == b"WAVE":
        return Sniffed("media", "audio/wav", "wav", "audio")
    if h.startswith(b"RIFF") and h[8:12] == b"AVI ":
        return Sniffed("media", "video/x-msvideo", "avi", "video")
    if (
        h.startswith(b"BM")
        and len(h) >= 26
        and int.from_bytes(h[14:18], "little") in (12, 16, 40, 52, 56, 64, 108, 124)
    ):
        return Sniffed("media", "image/bmp", "bmp", "image")
    if h.startswith((b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+")):  # TIFF, BigTIFF
        return Sniffed("media", "image/tiff", "tiff", "image")
    if _icon(h):
        return Sniffed("media", "image/vnd.microsoft.icon", "ico", "image")
    # Magic numbers in letters are checked further: a text may begin with "ID3", "MZ-01" or
    # "BZh" (mutagen's docs/api/id3.rst, titled "ID3", was read as a broken MP3).
    if h.startswith(b"fLaC") and len(h) > 4 and h[4] & 0x7F <= 6:  # a metadata block's type follows
        return Sniffed("media", "audio/flac", "flac", "audio")
    if h.startswith(b"OggS\x00"):  # stream structure version 0
        return Sniffed("media", "audio/ogg", "ogg", "audio")
    if _id3(h) or _mp3_frame(h):
        return Sniffed("media", "audio/mpeg", "mp3", "audio")
    if h[4:8] == b"ftyp":
        return _ftyp(h)
    if h.startswith(b"\x1a\x45\xdf\xa3"):
        fmt = "webm" if b"webm" in h[:64] else "mkv"
        return Sniffed("media", f"video/{'webm' if fmt == 'webm' else 'x-matroska'}", fmt, "video")
    if h.startswith(b"FORM") and h[8:12] in (b"AIFF", b"AIFC"):
        return Sniffed("media", "audio/aiff", "aiff", "audio")
    # Binary formats we recognise but do not extract: refused with their name.
    for magic, name, mime in (
        (b"PK\x03\x04", "zip", "application/zip"),
        (b"\x1f\x8b", "gzip", "application/gzip"),
        (b"BZh", "bzip2", "application/x-bzip2"),
        (b"\xfd7zXZ\x00", "xz", "application/x-xz"),
        (b"(\xb5/\xfd", "zstd", "application/zstd"),
        (b"7z\xbc\xaf\x27\x1c", "7z", "application/x-7z-compressed"),
        (b"\x7fELF", "elf", "application/x-executable"),
        (b"MZ", "exe", "application/x-msdownload"),
        (b"SQLite format 3\x00", "sqlite", "application/vnd.sqlite3"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "ole", "application/x-ole-storage"),
        (b"wOFF", "woff", "font/woff"),
        (b"\x00\x01\x00\x00\x00", "ttf", "font/ttf"),
        (b"!<arch>\n", "ar", "application/x-archive"),
    ):
        if h.startswith(magic) and (name not in _LETTER_MAGIC or _LETTER_MAGIC[name](h)):
            return Sniffed(None, mime, name)
    if len(h) > 262 and h[257:262] == b"ustar":
        return Sniffed(None, "application/x-tar", "tar")
    return None


def looks_binary(head: bytes) -> bool:
    """NUL bytes or many control characters, and no UTF-16 pattern: not text."""
    if not head:
        return False
    if head.startswith((b"\xff\xfe", b"\xfe\xff", b"\xef\xbb\xbf")):
        return False
    if b"\x00" in head:
        # UTF-16 without a BOM puts a NUL in every other byte of ASCII text.
        even, odd = head[0::2], head[1::2]
        if odd.count(0) > 0.4 * len(odd) and even.count(0) < 0.05 * len(even):
            return False
        return not (even.count(0) > 0.4 * len(even) and odd.count(0) < 0.05 * len(odd))
    controls = sum(1 for b in head if b < 32 and b not in (9, 10, 12, 13, 27))
    return controls > 0.1 * len(head)


def text_kind(path: str, head_text: str) -> tuple[Kind, str]:
    """Kind and MIME type of a text file: the name decides, the content settles the rest."""
    name = os.path.basename(path).lower()
    ext = os.path.splitext(name)[1]
    stripped = head_text.lstrip("\ufeff \t\r\n")
    if ext in MARKDOWN_EXTENSIONS:
        return "markdown", "text/markdown" if ext != ".rst" else "text/x-rst"
    if ext in HTML_EXTENSIONS:
        if template_language(head_text):
            return "code", "text/x-source"  # a Jinja/Django page template
        return "text", "text/html"
    if ext == ".svg" or (stripped.startswith(("<?xml", "<svg")) and _SVG_RE.search(head_text[:4096].encode())):
        return "media", "image/svg+xml"
    if ext in DATASET_EXTENSIONS:
        return "dataset", _dataset_mime(ext)
    if ext in XML_EXTENSIONS:
        return "text", "application/xml"
    if ext in EMAIL_EXTENSIONS:
        return "text", "message/rfc822"
    if ext in CODE_EXTENSIONS or name in CODE_NAMES or known_code_language(name) or lock_file(name, head_text):
        return "code", "text/x-source"
    if stripped.startswith("#!"):
        return "code", "text/x-script"
    if _HTML_RE.search(stripped[:512].encode("utf-8", "replace")):
        return "text", "text/html"
    if ext in ("", ".txt", ".text", ".msg") and looks_like_email(head_text):
        return "text", "message/rfc822"
    if ext in ("", ".txt", ".text") and stripped.startswith("<") and looks_like_xml(head_text):
        return "text", "application/xml"
    if ext not in (".md", ".log", ".out") and code_by_lines(head_text):
        return "code", "text/x-source"  # an INI, requirements list or Dockerfile under any name
    if ext not in _TEXT_EXTENSIONS and stripped[:1] not in ("[", "{") and block_shaped(head_text):
        return (
            "code",
            "text/x-source",
        )  # an nginx site named "default", a C file with no extension (JSON is tried below)
    if ext and ext not in _TEXT_EXTENSIONS and yaml_shaped(head_text):
        return "code", "text/x-source"  # YAML under its own format's extension (CITATION.cff)
    if ext == "" and headerless_records(head_text):
        return "dataset", "text/csv"  # a wheel's RECORD, an export with no name
    if ext in ("", ".txt", ".text", ".log", ".out"):
        # No telling name: JSON-shaped text is tried as a dataset, a markdown heading makes markdown.
        if stripped[:1] in ("[", "{") and ext != ".log":
            return "dataset", "application/json"
        if (
            re.match(r"#{1,6} \S", stripped)
            or re.search(r"^\S.*\n(=+|-+)[ \t]*$", stripped[:2000], re.M)
            and re.search(r"^(#{1,6} |[-*] |\d+\. )", stripped[:4000], re.M)
        ):
            return "markdown", "text/markdown"
    return "text", "text/plain"


def _dataset_mime(ext: str) -> str:
    return {
        ".csv": "text/csv",
        ".tsv": "text/tab-separated-values",
        ".tab": "text/tab-separated-values",
        ".json": "application/json",
        ".geojson": "application/geo+json",
        ".jsonl": "application/jsonl",
        ".ndjson": "application/jsonl",
    }[ext]
