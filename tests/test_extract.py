"""Extractors, one kind at a time, and the bad inputs every kind must survive.

The contract fields are checked against what people check them with: ``wc -w``/``wc -l``
for counts, Pillow for image sizes, the bytes for formats.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import struct
import subprocess
import threading
import time
import wave
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from daemon.catalog import load_catalog
from daemon.config import REPO_SCHEMAS
from daemon.extract import Extraction, ExtractionError, ExtractLimits, extract
from daemon.extract.types import ErrorKind
from daemon.inference import infer

CORPUS = Path(__file__).parent / "corpus"


@contextlib.contextmanager
def refused(kind: ErrorKind) -> Iterator[None]:
    """The block raises ExtractionError of this kind (the message is for people)."""
    with pytest.raises(ExtractionError) as e:
        yield
    assert e.value.kind == kind, e.value


def wc(path: Path, flag: str) -> int:
    out = subprocess.run(
        ["wc", flag, str(path)], capture_output=True, text=True, check=True, env={**os.environ, "LC_ALL": "C.UTF-8"}
    )
    return int(out.stdout.split()[0])


def make_pdf(
    path: Path, pages: int = 3, title: str | None = None, user_password: str | None = None, aes: bool = False
) -> Path:
    from fpdf import FPDF
    from fpdf.enums import EncryptionMethod

    pdf = FPDF()
    pdf.set_font("Helvetica", size=12)
    if title:
        pdf.set_title(title)
        pdf.set_author("Dana Ruiz")
    for i in range(pages):
        pdf.add_page()
        pdf.multi_cell(0, 8, f"Page {i + 1} of the quarterly operations review for the board")
    if user_password is not None:
        method = EncryptionMethod.AES_256 if aes else EncryptionMethod.RC4
        pdf.set_encryption(owner_password="owner", user_password=user_password, encryption_method=method)
    pdf.output(str(path))
    return path


def make_wav(path: Path, seconds: float, rate: int = 8000) -> Path:
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        frames = int(seconds * rate)
        w.writeframes(b"".join(struct.pack("<h", int(3000 * math.sin(i / 5))) for i in range(frames)))
    return path


# -- text and markdown --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "encoding,data",
    [
        ("utf-8", "Résumé of the café meeting\n\nWe agreed on naïve défaults.\n".encode()),
        ("utf-8-sig", b"\xef\xbb\xbf" + "Résumé of the café meeting\n\nWe agreed on naïve défaults.\n".encode()),
        ("utf-16", "Résumé of the café meeting\n\nWe agreed on naïve défaults.\n".encode("utf-16")),
        ("latin-1", "Résumé of the café meeting\n\nWe agreed on naïve défaults.\n".encode("latin-1")),
    ],
)
def test_text_encodings_are_detected(tmp_path: Path, encoding: str, data: bytes) -> None:
    path = tmp_path / "notes.txt"
    path.write_bytes(data)
    ex = extract(str(path))
    assert ex.kind == "text"
    assert ex.metadata["encoding"] == encoding
    assert ex.title == "Résumé of the café meeting"
    assert "naïve défaults" in ex.text
    assert ex.metadata["word_count"] == 10
    assert ex.metadata["line_count"] == 3


def test_word_and_line_counts_match_wc_on_real_files() -> None:
    checked = 0
    for path in sorted((CORPUS / "real" / "docs").iterdir()):
        ex = extract(str(path))
        if ex.kind in ("text", "markdown"):
            assert ex.metadata["word_count"] == wc(path, "-w"), path
            assert ex.metadata["line_count"] == wc(path, "-l"), path
            checked += 1
    assert checked >= 20


def test_markdown_title_from_h1_setext_and_front_matter(tmp_path: Path) -> None:
    atx = tmp_path / "a.md"
    atx.write_text("Intro line\n\n## Not the title\n\n# The Real Title #\n\ntext\n")
    assert extract(str(atx)).title == "The Real Title"
    setext = tmp_path / "b.md"
    setext.write_text("Release Guide\n=============\n\nSome *text*.\n\nSection\n-------\n")
    ex = extract(str(setext))
    assert ex.kind == "markdown"
    assert ex.title == "Release Guide"
    assert [h for _, h in ex.metadata["headings"]] == ["Release Guide", "Section"]
    front = tmp_path / "c.md"
    front.write_text("---\ntitle: Front Matter Wins\nauthor: x\n---\n# Heading\n")
    assert extract(str(front)).title == "Front Matter Wins"


def test_fenced_code_is_not_a_heading(tmp_path: Path) -> None:
    path = tmp_path / "readme.md"
    path.write_text("```\n# not a heading\n```\n\n# Project Name\n")
    assert extract(str(path)).title == "Project Name"


def test_html_title_and_raw_word_count(tmp_path: Path) -> None:
    path = tmp_path / "page.html"
    path.write_text(
        "<html><head><title>Release &amp; Notes</title></head><body><h1>Big</h1><p>one two</p></body></html>\n"
    )
    ex = extract(str(path))
    assert ex.mime_type == "text/html"
    assert ex.title == "Release & Notes"
    assert ex.metadata["word_count"] == wc(path, "-w")
    assert "one two" in ex.text and "<p>" not in ex.text


# -- PDF ------------------------------------------------------------------------------------------


def test_pdf_pages_title_author_and_words(tmp_path: Path) -> None:
    path = make_pdf(tmp_path / "review.pdf", pages=3, title="Quarterly Operations Review")
    ex = extract(str(path))
    assert ex.kind == "pdf" and ex.mime_type == "application/pdf"
    assert ex.title == "Quarterly Operations Review"
    assert ex.metadata["page_count"] == 3
    assert ex.metadata["author"] == "Dana Ruiz"
    assert ex.metadata["word_count"] == len(ex.text.split())
    assert "Page 3 of the quarterly" in ex.text


def test_pdf_without_info_title_uses_its_first_line(tmp_path: Path) -> None:
    ex = extract(str(make_pdf(tmp_path / "untitled.pdf", pages=1)))
    assert ex.title.startswith("Page 1 of the quarterly")


def test_real_pdfs() -> None:
    ex = extract(str(CORPUS / "real" / "docs" / "libtasn1.pdf"))
    assert ex.metadata["page_count"] == 36
    assert ex.title == "Libtasn1"


@pytest.mark.parametrize("aes", [False, True])
def test_encrypted_pdf_is_a_clear_error(tmp_path: Path, aes: bool) -> None:
    path = make_pdf(tmp_path / "locked.pdf", user_password="s3cret", aes=aes)
    with refused("encrypted"):
        extract(str(path))


def test_pdf_encrypted_with_aes_and_no_password_is_read(tmp_path: Path) -> None:
    """As forms and reports are (printing restricted, anyone may open them): a US DoD form
    of pdfminer's test files, AES-encrypted, was called corrupt before pypdf had its cipher."""
    ex = extract(str(make_pdf(tmp_path / "form.pdf", pages=2, title="Form 293", user_password="", aes=True)))
    assert ex.metadata["page_count"] == 2 and ex.title == "Form 293"
    assert "quarterly operations review" in ex.text


@pytest.mark.parametrize("mangle", ["truncated", "garbage"])
def test_corrupt_pdf_is_a_clear_error(tmp_path: Path, mangle: str) -> None:
    good = make_pdf(tmp_path / "good.pdf").read_bytes()
    bad = tmp_path / "bad.pdf"
    bad.write_bytes(good[: len(good) // 2] if mangle == "truncated" else b"%PDF-1.7\n" + os.urandom(4000))
    with refused("corrupt"):
        extract(str(bad))


def test_pdf_over_its_time_limit_is_stopped_and_the_next_one_works(tmp_path: Path) -> None:
    start = time.monotonic()
    with refused("timeout"):
        extract(str(CORPUS / "real" / "docs" / "libtasn1.pdf"), ExtractLimits(timeout_s=0.05))
    assert time.monotonic() - start < 5  # returned at the deadline, not after parsing
    assert extract(str(make_pdf(tmp_path / "after.pdf"))).metadata["page_count"] == 3


def test_pdfs_extract_concurrently(tmp_path: Path) -> None:
    paths = [make_pdf(tmp_path / f"p{i}.pdf", pages=i + 1) for i in range(4)]
    results: dict[int, int] = {}

    def run(i: int) -> None:
        results[i] = extract(str(paths[i])).metadata["page_count"]

    threads = [threading.Thread(target=run, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert results == {0: 1, 1: 2, 2: 3, 3: 4}


# -- code ------------------------------------------------------------------------------------------


def test_python_structure(tmp_path: Path) -> None:
    path = tmp_path / "tool.py"
    path.write_text(
        '"""Sync tool."""\nimport os\nfrom typing import Any\nimport requests\n\n'
        "class Syncer:\n    def run(self):\n        pass\n\n"
        "async def main():\n    # TODO: retry\n    pass\n"
    )
    ex = extract(str(path))
    m = ex.metadata
    assert ex.kind == "code" and m["language"] == "python"
    assert m["functions"] == ["Syncer.run", "main"]
    assert m["classes"] == ["Syncer"]
    assert m["imports"] == ["os", "typing", "requests"]
    assert m["dependencies"] == ["requests"]
    assert m["todo_count"] == 1
    assert m["line_count"] == wc(path, "-l")


def test_python_with_a_syntax_error_is_still_code(tmp_path: Path) -> None:
    path = tmp_path / "broken.py"
    path.write_text("import json\n\ndef half(:\n    return\n\nclass Thing:\n    pass\n")
    ex = extract(str(path))
    assert ex.kind == "code" and ex.metadata["language"] == "python"
    assert ex.metadata["syntax_ok"] is False
    assert ex.metadata["classes"] == ["Thing"] and ex.metadata["imports"] == ["json"]


@pytest.mark.parametrize(
    "name,body,language",
    [
        ("deploy", "#!/usr/bin/env bash\nset -e\necho hi\n", "shell"),
        ("run-report", "#!/usr/bin/python3\nprint('x')\n", "python"),
        ("tool", "#!/usr/bin/env -S node --no-warnings\nconsole.log(1)\n", "javascript"),
        ("app.ts", "export interface User { id: number }\n", "typescript"),
        ("main.go", "package main\n\nfunc main() {}\n", "go"),
        ("lib.rs", "pub fn add(a: i32) -> i32 { a }\n", "rust"),
        ("util.h", "#include <stdio.h>\nint f(void);\n", "c"),
        ("vec.h", "#include <vector>\nnamespace x { class V {}; }\n", "c++"),
        ("q.sql", "SELECT 1;\n", "sql"),
        ("CMakeLists.txt", "project(x)\n", "cmake"),
        ("ci.yml", "on: push\n", "yaml"),
        ("Makefile", "all:\n\techo\n", "make"),
    ],
)
def test_language_from_extension_name_or_shebang(tmp_path: Path, name: str, body: str, language: str) -> None:
    path = tmp_path / name
    path.write_text(body)
    ex = extract(str(path))
    assert ex.kind == "code"
    assert ex.metadata["language"] == language


def test_real_code_files_all_have_a_language() -> None:
    for path in sorted((CORPUS / "real" / "code").rglob("*")):
        if path.is_file():
            ex = extract(str(path))
            assert ex.kind == "code", path
            assert ex.metadata["language"], path
            assert ex.metadata["line_count"] == wc(path, "-l"), path


# -- datasets ------------------------------------------------------------------------------------


def test_csv_header_rows_and_types(tmp_path: Path) -> None:
    path = tmp_path / "orders.csv"
    path.write_text('id,customer,amount,placed_at,note\n1,Acme,12.50,2025-01-02,"multi\nline"\n2,Beta,7,2025-01-03,\n')
    ex = extract(str(path))
    m = ex.metadata
    assert ex.kind == "dataset" and m["format"] == "csv"
    assert m["columns"] == ["id", "customer", "amount", "placed_at", "note"]
    assert m["row_count"] == 2  # the quoted newline is inside one record
    assert m["column_types"] == {
        "id": "integer",
        "customer": "string",
        "amount": "float",
        "placed_at": "datetime",
        "note": "string",
    }
    assert m["null_counts"]["note"] == 1
    assert ex.records is not None and ex.records[0]["customer"] == "Acme"


def test_semicolon_csv_with_bom(tmp_path: Path) -> None:
    path = tmp_path / "eu.csv"
    path.write_bytes(b"\xef\xbb\xbfdatum;bedrag;omschrijving\n2025-01-02;12,50;koffie\n2025-01-03;7,00;thee\n")
    m = extract(str(path)).metadata
    assert m["columns"] == ["datum", "bedrag", "omschrijving"]
    assert m["delimiter"] == ";" and m["format"] == "csv" and m["row_count"] == 2
    assert m["column_types"]["bedrag"] == "float"


def test_tsv_and_headerless_csv(tmp_path: Path) -> None:
    tsv = tmp_path / "cities.tsv"
    tsv.write_text("city\tpopulation\nLisbon\t545923\nPorto\t231800\n")
    m = extract(str(tsv)).metadata
    assert m["format"] == "tsv" and m["columns"] == ["city", "population"] and m["row_count"] == 2
    bare = tmp_path / "numbers.csv"
    bare.write_text("1,2,3\n4,5,6\n7,8,9\n")
    m = extract(str(bare)).metadata
    assert m["has_header"] is False and m["row_count"] == 3 and m["columns"] == ["column_1", "column_2", "column_3"]


def test_json_records_jsonl_and_json_that_is_not_records(tmp_path: Path) -> None:
    records = tmp_path / "people.json"
    records.write_text(json.dumps([{"name": "a", "age": 3}, {"name": "b", "email": "x"}]))
    m = extract(str(records)).metadata
    assert m["format"] == "json" and m["row_count"] == 2 and m["columns"] == ["name", "age", "email"]
    lines = tmp_path / "events.jsonl"
    lines.write_text('{"a": 1}\n\n{"a": 2, "b": true}\n{"a": 3}\n')
    m = extract(str(lines)).metadata
    assert m["format"] == "jsonl" and m["row_count"] == 3 and m["columns"] == ["a", "b"]
    config = tmp_path / "package.json"
    config.write_text(json.dumps({"name": "pkg", "version": "1.0.0", "dependencies": {"x": "^1"}}))
    ex = extract(str(config))
    assert ex.kind == "text" and ex.mime_type == "application/json"  # a document, not a dataset
    numbers = tmp_path / "numbers.json"
    numbers.write_text("[1, 2, 3]")
    assert extract(str(numbers)).kind == "text"


def test_bad_json_lines_are_named(tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text('{"a": 1}\nnot json\n')
    with refused("corrupt"):
        extract(str(path))


# -- media ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "fmt,ext", [("PNG", "png"), ("JPEG", "jpg"), ("GIF", "gif"), ("WEBP", "webp"), ("BMP", "bmp"), ("TIFF", "tiff")]
)
def test_image_sizes_match_pillow(tmp_path: Path, fmt: str, ext: str) -> None:
    from PIL import Image

    path = tmp_path / f"img.{ext}"
    Image.new("RGB", (123, 45), "red").save(path, fmt)
    ex = extract(str(path))
    assert ex.kind == "media"
    assert ex.metadata["media_type"] == "image"
    assert ex.metadata["format"] == {"jpg": "jpeg"}.get(ext, ext)
    assert (ex.metadata["width"], ex.metadata["height"]) == (123, 45)


def test_icons_bigtiff_and_os2_bitmaps(tmp_path: Path) -> None:
    """Formats of real files that were "binary content ... not a format Clarity reads"
    (favicons, Pillow's BigTIFF and OS/2 bitmaps): the largest icon's size and how many."""
    from PIL import Image

    icon = tmp_path / "favicon.ico"
    Image.new("RGB", (256, 256), "red").save(icon, "ICO", sizes=[(16, 16), (48, 48), (256, 256)])
    m = extract(str(icon)).metadata
    assert (m["format"], m["width"], m["height"], m["images"]) == ("ico", 256, 256, 3)
    assert "truncated" not in m
    icon.write_bytes(icon.read_bytes()[:-100])
    assert extract(str(icon)).metadata["truncated"] is True
    icon.write_bytes(icon.read_bytes()[:30])  # the directory itself cut short
    with refused("corrupt"):
        extract(str(icon))
    big = tmp_path / "scan.tif"
    Image.new("L", (70, 30)).save(big, "TIFF", big_tiff=True)
    assert big.read_bytes()[:4] == b"II+\x00"
    m = extract(str(big)).metadata
    assert (m["format"], m["width"], m["height"]) == ("tiff", 70, 30)
    # OS/2 2.x bitmap, short header (16 bytes): 3 x 2 pixels, 24 bits, rows padded to 12 bytes
    os2 = tmp_path / "os2.bmp"
    info = struct.pack("<IiiHH", 16, 3, 2, 1, 24)
    os2.write_bytes(b"BM" + struct.pack("<IHHI", 14 + 16 + 24, 0, 0, 30) + info + bytes(24))
    m = extract(str(os2)).metadata
    assert (m["format"], m["width"], m["height"]) == ("bmp", 3, 2) and "truncated" not in m


def test_animated_gif_and_webp_give_the_first_frame_size(tmp_path: Path) -> None:
    from PIL import Image

    frames = [Image.new("RGB", (64, 32), c) for c in ("red", "blue", "green")]
    for fmt in ("gif", "webp"):
        path = tmp_path / f"anim.{fmt}"
        frames[0].save(path, save_all=True, append_images=frames[1:], duration=100, loop=0)
        m = extract(str(path)).metadata
        assert (m["width"], m["height"]) == (64, 32)
        assert m["animated"] is True


def test_real_images_match_pillow() -> None:
    from PIL import Image

    checked = 0
    for path in sorted((CORPUS / "real" / "media").iterdir()):
        m = extract(str(path)).metadata
        if m["media_type"] == "image" and m["format"] != "svg":
            with Image.open(path) as im:
                assert (m["width"], m["height"]) == im.size, path
            checked += 1
    assert checked >= 15


def test_svg_size(tmp_path: Path) -> None:
    path = tmp_path / "logo.svg"
    path.write_text(
        '<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="120" height="2in"><rect/></svg>'
    )
    m = extract(str(path)).metadata
    assert (m["format"], m["width"], m["height"]) == ("svg", 120, 192)
    box = tmp_path / "box.svg"
    box.write_text('<svg viewBox="0 0 300 150" xmlns="http://www.w3.org/2000/svg"></svg>')
    assert (extract(str(box)).metadata["width"], extract(str(box)).metadata["height"]) == (300, 150)


def test_audio_durations(tmp_path: Path) -> None:
    m = extract(str(make_wav(tmp_path / "tone.wav", 1.5))).metadata
    assert (m["media_type"], m["format"], m["duration_seconds"], m["sample_rate"]) == ("audio", "wav", 1.5, 8000)
    ext = extract(str(CORPUS / "real" / "media" / "pluck-pcm24-ext.wav")).metadata  # WAVE_FORMAT_EXTENSIBLE
    assert ext["duration_seconds"] == pytest.approx(0.3, abs=0.01)
    mp3 = extract(str(CORPUS / "real" / "media" / "test.mp3")).metadata
    assert mp3["format"] == "mp3" and mp3["duration_seconds"] == pytest.approx(1.175, abs=0.05)


def test_format_comes_from_the_bytes_not_the_name(tmp_path: Path) -> None:
    from PIL import Image

    path = tmp_path / "report.txt"
    Image.new("RGB", (10, 20)).save(path, "PNG")
    ex = extract(str(path))
    assert ex.kind == "media" and ex.metadata["format"] == "png" and ex.metadata["height"] == 20


# -- bad inputs -----------------------------------------------------------------------------------


def test_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.md"
    path.write_bytes(b"")
    with refused("empty"):
        extract(str(path))


def test_vanished_file_and_directory(tmp_path: Path) -> None:
    with refused("vanished"):
        extract(str(tmp_path / "gone.txt"))
    with refused("not_a_file"):
        extract(str(tmp_path))


def test_huge_file_is_refused_by_the_limit(tmp_path: Path) -> None:
    path = tmp_path / "big.txt"
    path.write_bytes(b"word " * 50_000)
    with refused("too_large"):
        extract(str(path), ExtractLimits(max_file_bytes=100_000))
    ex = extract(str(path), ExtractLimits(max_text_chars=1000))
    assert len(ex.text) == 1000 and ex.metadata["word_count"] == 50_000  # counted in full, kept in part


@pytest.mark.parametrize("name", ["data.csv", "notes.txt", "script.py", "table.json", "noext"])
def test_binary_with_a_wrong_extension(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    path.write_bytes(bytes(range(256)) * 40)
    with refused("unsupported"):
        extract(str(path))


def test_known_binary_formats_are_named(tmp_path: Path) -> None:
    path = tmp_path / "report.txt"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("a.txt", "hello")
    with refused("unsupported"):
        extract(str(path))


def test_badly_encoded_text_still_reads(tmp_path: Path) -> None:
    path = tmp_path / "mixed.txt"
    path.write_bytes("Caf\u00e9 menu\n".encode() + b"Prix: 5\xe9 \x93quoted\x94\n\xff\xfe\xfd end\n")
    ex = extract(str(path))
    # UTF-8 in one line, cp1252 in the next: each part read as what it is, and flagged.
    assert ex.kind == "text" and ex.metadata["encoding"] == "mixed" and ex.suspect
    assert ex.title == "Caf\u00e9 menu" and "5\u00e9 \u201cquoted\u201d" in ex.text
    assert ex.metadata["word_count"] == 7


def test_deeply_nested_json_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "deep.json"
    path.write_text("[" * 5000 + "]" * 5000)
    with refused("too_large"):
        extract(str(path))
    shallow = tmp_path / "ok.json"
    shallow.write_text("[" * 10 + "]" * 10)
    with refused("too_large"):
        extract(str(shallow), ExtractLimits(max_json_depth=5))


def test_invalid_json_and_truncated_image(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"a": ')
    with refused("corrupt"):
        extract(str(bad))
    from PIL import Image

    png = tmp_path / "cut.png"
    Image.new("RGB", (5, 5)).save(png)
    png.write_bytes(png.read_bytes()[:20])
    with refused("corrupt"):
        extract(str(png))


W = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'


def make_docx(path: Path, body: str, core: str | None = None) -> Path:
    """A Word document as Word lays it out (the parts Clarity reads), ``body`` inside w:body."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types/>')
        z.writestr("word/document.xml", f'<?xml version="1.0"?><w:document {W}><w:body>{body}</w:body></w:document>')
        if core is not None:
            z.writestr(
                "docProps/core.xml",
                '<?xml version="1.0"?><cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/'
                'metadata/core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.'
                f'org/dc/terms/">{core}</cp:coreProperties>',
            )
    return path


def para(text: str, style: str | None = None, listed: bool = False) -> str:
    props = (f'<w:pStyle w:val="{style}"/>' if style else "") + ("<w:numPr/>" if listed else "")
    return f"<w:p><w:pPr>{props}</w:pPr><w:r><w:t>{text}</w:t></w:r></w:p>"


def test_word_and_opendocument_texts_are_read_as_markdown(tmp_path: Path) -> None:
    """A .docx or .odt was 'unsupported binary format: zip': an organisation's SOPs and
    policies, most of what it writes, were never remembered. Headings, lists and table rows
    keep their shape; title, author and dates come from the document's properties."""
    body = (
        para("Cleanroom gowning", "Title")
        + para("Purpose", "Heading1")
        + para("This SOP describes how staff put on cleanroom garments before entering the ISO 7 area.")
        + para("Procedure", "berschrift1")  # German Word's style id
        + para("Wash hands for 30 seconds", listed=True)
        + "<w:tbl><w:tr><w:tc>"
        + para("Step")
        + "</w:tc><w:tc>"
        + para("Owner")
        + "</w:tc></w:tr></w:tbl>"
    )
    core = "<dc:title>SOP-QA-014 Cleanroom gowning</dc:title><dc:creator>Dana Ruiz</dc:creator>"
    core += "<dcterms:created>2025-03-01T09:00:00Z</dcterms:created>"
    ex = extract(str(make_docx(tmp_path / "sop.docx", body, core)))
    assert ex.kind == "markdown" and ex.mime_type.endswith("wordprocessingml.document") and ex.suspect == []
    assert (ex.title, ex.metadata["author"], ex.metadata["created_at"]) == (
        "SOP-QA-014 Cleanroom gowning",
        "Dana Ruiz",
        "2025-03-01T09:00:00Z",
    )
    assert [h for _, h in ex.metadata["headings"]] == ["Cleanroom gowning", "Purpose", "Procedure"]
    assert "- Wash hands for 30 seconds" in ex.text and "| Step | Owner |" in ex.text
    # The summary is read without markdown's marks ("# Purpose" was "# Purpose" in it)
    assert ex.metadata["excerpt"].startswith("Cleanroom gowning Purpose This SOP describes")
    odt = tmp_path / "policy.odt"
    ns = (
        'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
        'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"'
    )
    with zipfile.ZipFile(odt, "w") as z:
        z.writestr("mimetype", "application/vnd.oasis.opendocument.text")
        z.writestr(
            "content.xml",
            f"<office:document-content {ns}><office:body><office:text>"
            '<text:h text:outline-level="1">Leave policy</text:h><text:p>Staff take 25 days<text:tab/>a year.</text:p>'
            "<text:list><text:list-item><text:p>Ask your manager first</text:p></text:list-item></text:list>"
            "</office:text></office:body></office:document-content>",
        )
    ex = extract(str(odt))
    assert ex.kind == "markdown" and ex.title == "Leave policy" and "- Ask your manager first" in ex.text
    assert "25 days\ta year" in ex.text


S = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
R = 'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"'


def make_xlsx(path: Path, sheet: str, strings: list[str], hidden_first: bool = False, raw: str | None = None) -> Path:
    """A workbook as Excel writes it: ``sheet`` is the sheetData of the sheet shown first
    (``raw``: that sheet's whole XML instead)."""
    shared = "".join(f"<si><t>{t}</t></si>" for t in strings)
    sheets = '<sheet name="Lookup" sheetId="9" state="hidden" r:id="rId9"/>' if hidden_first else ""
    sheets += '<sheet name="Suppliers" sheetId="1" r:id="rId1"/>'
    rels = "".join(f'<Relationship Id="rId{i}" Target="worksheets/sheet{i}.xml"/>' for i in (1, 9))
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("xl/workbook.xml", f"<workbook {S} {R}><sheets>{sheets}</sheets></workbook>")
        z.writestr(
            "xl/_rels/workbook.xml.rels",
            f'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">{rels}</Relationships>',
        )
        z.writestr("xl/sharedStrings.xml", f"<sst {S}>{shared}</sst>")
        z.writestr(
            "xl/styles.xml", f'<styleSheet {S}><cellXfs><xf numFmtId="0"/><xf numFmtId="14"/></cellXfs></styleSheet>'
        )
        body = f'<?xml version="1.0"?>\n<worksheet {S}><sheetData>{sheet}</sheetData></worksheet>'
        z.writestr("xl/worksheets/sheet1.xml", raw if raw is not None else body)
        z.writestr(
            "xl/worksheets/sheet9.xml",
            f'<worksheet {S}><sheetData><row r="1"><c r="A1"><v>1</v></c></row></sheetData></worksheet>',
        )
    return path


def test_excel_workbooks_are_read_as_datasets(tmp_path: Path) -> None:
    """An .xlsx was 'unsupported binary format: zip': the first sheet a person sees is read as a
    CSV is, shared strings resolved, dates (numbers in a date format) as ISO dates, gaps kept."""
    header = '<row r="1">' + "".join(f'<c r="{c}1" t="s"><v>{i}</v></c>' for i, c in enumerate("ABCD")) + "</row>"
    rows = "".join(
        f'<row r="{n}"><c r="A{n}" t="s"><v>4</v></c><c r="B{n}" s="1"><v>{45658 + n}</v></c>'
        f'<c r="D{n}" t="inlineStr"><is><t>low</t></is></c></row>'
        for n in range(2, 8)
    )
    book = make_xlsx(
        tmp_path / "suppliers.xlsx",
        header + rows,
        ["vendor_name", "contract_end", "annual_spend", "risk_rating", "Acme Corp"],
        hidden_first=True,
    )
    ex = extract(str(book))
    m = ex.metadata
    assert (ex.kind, m["format"], m["sheet"], m["sheets"]) == ("dataset", "xlsx", "Suppliers", ["Suppliers"])
    assert m["columns"] == ["vendor_name", "contract_end", "annual_spend", "risk_rating"] and m["row_count"] == 6
    assert ex.records is not None and ex.records[0] == {
        "vendor_name": "Acme Corp",
        "contract_end": "2025-01-03",
        "annual_spend": "",
        "risk_rating": "low",
    }
    assert ex.suspect == []
    bad = make_xlsx(
        tmp_path / "dtd.xlsx", "", [], raw='<?xml version="1.0"?><!DOCTYPE w [<!ENTITY a "a">]><worksheet/>'
    )
    with refused("corrupt"):
        extract(str(bad))
    big = make_xlsx(
        tmp_path / "big.xlsx", "".join(f'<row r="{n}"><c r="A{n}"><v>{n}</v></c></row>' for n in range(1, 9000)), []
    )
    with refused("too_large"):
        extract(str(big), ExtractLimits(max_decompressed_bytes=100_000))


def make_pptx(path: Path, slides: list[tuple[str, list[str]]]) -> Path:
    """A deck as PowerPoint writes it: each slide a title placeholder and a body of bullets."""

    def shape(placeholder: str, texts: list[str]) -> str:
        paras = "".join(f"<a:p><a:r><a:t>{t}</a:t></a:r></a:p>" for t in texts)
        return f"<p:sp><p:nvSpPr><p:nvPr>{placeholder}</p:nvPr></p:nvSpPr><p:txBody>{paras}</p:txBody></p:sp>"

    p = 'xmlns:p="http://schemas.openxmlformats.org/presentationml/2006/main"'
    a = 'xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main"'
    with zipfile.ZipFile(path, "w") as z:
        ids = "".join(f'<p:sldId id="{256 + i}" r:id="rId{i}"/>' for i in range(len(slides)))
        z.writestr("ppt/presentation.xml", f"<p:presentation {p} {R}><p:sldIdLst>{ids}</p:sldIdLst></p:presentation>")
        rels = "".join(f'<Relationship Id="rId{i}" Target="slides/slide{i + 1}.xml"/>' for i in range(len(slides)))
        z.writestr(
            "ppt/_rels/presentation.xml.rels",
            f'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">{rels}</Relationships>',
        )
        z.writestr(
            "docProps/core.xml",
            '<cp:coreProperties xmlns:cp="x"><dc:title xmlns:dc="http://purl.org/dc/elements/1.1/">'
            "PowerPoint Presentation</dc:title></cp:coreProperties>",
        )
        for i, (title, bullets) in enumerate(slides):
            z.writestr(
                f"ppt/slides/slide{i + 1}.xml",
                f"<p:sld {p} {a}><p:cSld><p:spTree>"
                + shape('<p:ph type="title"/>', [title])
                + shape('<p:ph idx="1"/>', bullets)
                + "</p:spTree></p:cSld></p:sld>",
            )
    return path


def test_powerpoint_decks_are_read_slide_by_slide(tmp_path: Path) -> None:
    """A deck (.pptx: sales collateral, roadmaps) was 'unsupported binary format: zip'. Each
    slide becomes a heading with its title and its bullets; PowerPoint's default name is no title."""
    deck = make_pptx(
        tmp_path / "battlecard.pptx",
        [
            ("Battlecard: Acme vs Spendly", ["For account executives, updated Q2"]),
            ("Where we win", ["Faster onboarding: 2 weeks against 6", "SOC 2 Type II"]),
            ("Objection handling", ["They are cheaper: show the total cost over 3 years"]),
        ],
    )
    ex = extract(str(deck))
    assert ex.kind == "markdown" and ex.mime_type.endswith("presentationml.presentation") and ex.suspect == []
    assert ex.title == "Battlecard: Acme vs Spendly"
    assert "## Slide 2: Where we win\n\n- Faster onboarding: 2 weeks against 6" in ex.text
    assert [h for _, h in ex.metadata["headings"]][1:] == ["Slide 2: Where we win", "Slide 3: Objection handling"]


def test_hostile_office_documents_are_clear_errors(tmp_path: Path) -> None:
    dtd = make_docx(tmp_path / "dtd.docx", para("x"))
    with zipfile.ZipFile(dtd, "w") as z:
        z.writestr("word/document.xml", '<?xml version="1.0"?><!DOCTYPE d [<!ENTITY a "aaaa">]><d>&a;</d>')
    with refused("corrupt"):
        extract(str(dtd))
    big = make_docx(tmp_path / "big.docx", para("y" * 200_000))
    with refused("too_large"):
        extract(str(big), ExtractLimits(max_decompressed_bytes=100_000))
    empty = tmp_path / "notes.docx"
    with zipfile.ZipFile(empty, "w") as z:
        z.writestr("readme.txt", "no document in here")
    with refused("corrupt"):
        extract(str(empty))


def test_rich_text_is_read_without_its_markup(tmp_path: Path) -> None:
    """TextEdit's and WordPad's own format was read as its markup ('{\\rtf1\\ansi...' for a title)."""
    rtf = tmp_path / "postmortem.rtf"
    rtf.write_bytes(
        b"{\\rtf1\\ansi\\ansicpg1252\\cocoartf2709\n"
        b"{\\fonttbl\\f0\\fswiss\\fcharset0 Helvetica;}{\\colortbl;\\red255\\green255\\blue255;}\n"
        b"{\\*\\expandedcolortbl;;}{\\info{\\title Checkout outage}{\\author Dana Ruiz}}\n"
        b"\\f0\\fs24 \\cf0 {\\b Postmortem: checkout outage}\\par\n"
        b"Severity: SEV-1, caf\\'e9 closed, cost \\u8364? 12,400\\par\n"
        b"Braces \\{ kept \\} and a \\\\ too; non\\_breaking.\\par\n"
        b"{\\pict\\pngblip 89504e470d0a1a0a}\n}"
    )
    ex = extract(str(rtf))
    assert (ex.kind, ex.mime_type, ex.title, ex.metadata["author"]) == (
        "text",
        "application/rtf",
        "Checkout outage",
        "Dana Ruiz",
    )
    assert ex.text.splitlines() == [
        "Postmortem: checkout outage",
        "Severity: SEV-1, café closed, cost € 12,400",
        "Braces { kept } and a \\ too; non-breaking.",
    ]


def test_rich_text_beyond_16_bits_and_a_hostile_opendocument(tmp_path: Path) -> None:
    """An emoji in RTF is two \\u halves: they were kept apart, and the text could not be
    encoded to be stored. An OpenDocument run of spaces says how many: a billion was written out."""
    rtf = tmp_path / "note.rtf"
    rtf.write_text("{\\rtf1\\ansi Smile \\uc1\\u-10179?\\u-8701? and a lone \\u-10179? end\\par}")
    ex = extract(str(rtf))
    assert ex.text == "Smile \U0001f603 and a lone \ufffd end"
    ex.text.encode()
    ns = (
        'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
        'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"'
    )
    odt = tmp_path / "spaces.odt"
    with zipfile.ZipFile(odt, "w") as z:
        z.writestr(
            "content.xml",
            f"<office:document-content {ns}><office:body><office:text>"
            '<text:p>a<text:s text:c="1000000000"/>b</text:p></office:text></office:body></office:document-content>',
        )
    assert len(extract(str(odt)).text) < 1000


def test_sounds_mutagen_reads_by_their_name(tmp_path: Path) -> None:
    """WMA, WavPack, Monkey's Audio, Musepack, DSD, AC-3, MIDI... have no magic number of ours:
    mutagen's own test sounds were 'not a format Clarity reads'. A binary file under such a
    name is read by mutagen (MIDI: minutes in a few bytes are no sign of truncation); one
    mutagen cannot read is corrupt; a text under such a name stays a text."""
    track = b"\x00\xff\x51\x03\x07\xa1\x20" + b"\x00\x90\x3c\x40" + b"\x83\x00\x80\x3c\x40" + b"\x00\xff\x2f\x00"
    midi = tmp_path / "tune.mid"
    midi.write_bytes(b"MThd" + struct.pack(">IHHH", 6, 0, 1, 96) + b"MTrk" + struct.pack(">I", len(track)) + track)
    m = extract(str(midi)).metadata
    assert (m["media_type"], m["format"], m["duration_seconds"]) == ("audio", "midi", 2.0) and "truncated" not in m
    (tmp_path / "song.wma").write_bytes(b"\x30\x26\xb2\x75" + bytes(60))
    with refused("corrupt"):
        extract(str(tmp_path / "song.wma"))
    (tmp_path / "notes.mid").write_text("the midi notes of the tune\n")
    assert extract(str(tmp_path / "notes.mid")).kind == "text"


def test_texts_that_begin_like_a_magic_number_are_texts(tmp_path: Path) -> None:
    """mutagen's docs/api/id3.rst, titled "ID3", failed as a broken MP3; a text beginning
    "MZ-01" or "BZh" was refused as a program or a bzip2 archive."""
    import bz2

    for name, text in (("id3.rst", "ID3\n===\n\nTags of MP3 files.\n"), ("mz.txt", "MZ-01 motor\n"), ("b.md", "BZh\n")):
        (tmp_path / name).write_text(text)
        assert extract(str(tmp_path / name)).kind in ("text", "markdown"), name
    (tmp_path / "real.bz2").write_bytes(bz2.compress(b"x"))
    (tmp_path / "prog.exe").write_bytes(b"MZ\x90\x00\x03\x00\x00\x00\x04\x00" + bytes(200))
    for name in ("real.bz2", "prog.exe"):
        with pytest.raises(ExtractionError, match="unsupported binary format"):
            extract(str(tmp_path / name))


def test_json_with_comments_and_trailing_commas_is_read(tmp_path: Path) -> None:
    """JSONC (tsconfig.json, VS Code's tasks.json: prefect's sdist ships one) was 'invalid JSON'
    and never ingested; the comments go, the strings that look like them stay."""
    conf = tmp_path / "tsconfig.json"
    conf.write_text(
        '{\n  // the web app\n  "compilerOptions": {"target": "ES2022", /* modern */ "strict": true,},\n'
        '  "include": ["src/**/*.ts", "http://example.com//a/*b*/"],\n}\n'
    )
    ex = extract(str(conf))
    assert (ex.kind, ex.metadata["jsonc"], ex.metadata["json_keys"]) == ("text", True, ["compilerOptions", "include"])
    assert infer(ex, load_catalog(REPO_SCHEMAS)).table == "codebases"
    records = tmp_path / "people.json"
    records.write_text('[\n  {"name": "ann", "age": 31}, // first\n  {"name": "bob", "age": 42},\n]')
    ex = extract(str(records))
    assert ex.kind == "dataset" and ex.records is not None and [r["name"] for r in ex.records] == ["ann", "bob"]
    bad = tmp_path / "bad.json"
    bad.write_text('{\n  // a comment does not make this JSON\n  "a": \n}')
    with refused("corrupt"):
        extract(str(bad))


def test_every_extraction_is_a_complete_struct(tmp_path: Path) -> None:
    path = tmp_path / "x.md"
    path.write_text("# T\n")
    ex = extract(str(path))
    assert isinstance(ex, Extraction) and len(ex.sha256) == 64 and ex.size_bytes == 4


def _ebml(element_id: bytes, payload: bytes) -> bytes:
    """One EBML element with an 8-byte size (a valid, if wasteful, variable-length integer)."""
    return element_id + (0x01 << 56 | len(payload)).to_bytes(8, "big") + payload


def test_matroska_duration_from_the_header(tmp_path):
    import struct

    from daemon.extract.media import media_facts

    header = _ebml(b"\x1a\x45\xdf\xa3", _ebml(b"\x42\x82", b"webm"))
    info = _ebml(b"\x2a\xd7\xb1", (1_000_000).to_bytes(3, "big")) + _ebml(b"\x44\x89", struct.pack(">d", 2500.0))
    segment = b"\x18\x53\x80\x67" + b"\x01\xff\xff\xff\xff\xff\xff\xff" + _ebml(b"\x15\x49\xa9\x66", info)
    path = tmp_path / "clip.webm"
    path.write_bytes(header + segment + _ebml(b"\x1f\x43\xb6\x75", b"\x00" * 16))
    assert media_facts(str(path), "webm", "video")["duration_seconds"] == 2.5
