"""Files that are not what they claim stay below auto-approval (or fail clearly); titles
and facts of the formats people drop (JSON documents, XML, e-mail, Debian copyright files,
headerless CSV), checked on real files where the machine has them; ``clarity infer`` on
archives and on symlinks that lead elsewhere."""

from __future__ import annotations

import io
import json
import os
import shutil
import struct
import subprocess
import sys
import zipfile
import zlib
from pathlib import Path

import pytest

from daemon.catalog import load_catalog
from daemon.config import REPO_SCHEMAS
from daemon.extract import ExtractionError, extract
from daemon.inference import infer
from ingest_helpers import PROSE, jpeg_bytes, png_bytes, wav_bytes

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).parent / "extract_data"  # real files by other hands (see each test)
CORPUS = Path(__file__).parent / "corpus"
CATALOG = load_catalog(REPO_SCHEMAS)
AUTO = 0.90


def confidence(path: Path) -> float:
    return infer(extract(str(path)), CATALOG).confidence


def _png_claiming(width: int, height: int) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\0" * 4000))
        + chunk(b"IEND", b"")
    )


# -- item 3: inputs that are not what they claim ------------------------------------------------


@pytest.mark.parametrize(
    "name,data",
    [
        ("blank.md", b"  \n\n\t\n   \n"),
        ("only-header.csv", b"name,email,role,start_date\n"),
        ("ragged.csv", b"id,name,amount\n1,alpha,10\n2,beta\n3,gamma,30,extra,fields\n4,delta,40\n"),
        (
            "mixed.txt",
            "Caf\u00e9 cr\u00e8me \u2014 notes from the garden.\n".encode() * 3
            + "D\u00e9j\u00e0 vu, na\u00efve fa\u00e7ade.\n".encode("latin-1") * 3,
        ),
        ("report.pdf", f"Quarterly report\n\n{PROSE}".encode()),  # text under a binary name
        ("empty.json", b"[]"),
        ("empty.html", b"<!doctype html><html><head></head><body><div>  </div></body></html>"),
        # Cells a spreadsheet runs when the export is opened (a DDE call, a formula link).
        ("parts.csv", b'id,qty,memo\n1,120,"=HYPERLINK(""http://x.example"",""bolts"")"\n2,80,ok\n3,14,ok\n'),
        ("logo.jpg", png_bytes(64, 48)),  # a PNG named as a JPEG
        (
            "icon.svg",
            b'<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY a "ha"><!ENTITY b "&a;&a;&a;&a;">]>'
            b'<svg xmlns="http://www.w3.org/2000/svg" width="9" height="9"><text>&b;</text></svg>',
        ),
    ],
)
def test_suspect_text_inputs_stay_below_auto_approval(tmp_path: Path, name: str, data: bytes) -> None:
    path = tmp_path / name
    path.write_bytes(data)
    ex = extract(str(path))
    assert ex.suspect, name
    result = infer(ex, CATALOG)
    assert result.confidence < AUTO and "suspect" in result.reasoning, (name, result.confidence)


def test_csv_quirks_people_drop_are_read(tmp_path: Path) -> None:
    # Classic Mac OS line ends (\r alone), and a table of text whose header the stdlib sniffer
    # takes for data because its cells are formulas and words.
    (tmp_path / "old_mac.csv").write_bytes(b"sku,qty\r101,5\r102,7\r103,1\r")
    mac = extract(str(tmp_path / "old_mac.csv")).metadata
    assert (mac["columns"], mac["row_count"]) == (["sku", "qty"], 3)
    (tmp_path / "text.csv").write_bytes(b"name,amount,note\nAlice,=SUM(A1:A3),paid\n@foo,200,+1 call\n")
    text = extract(str(tmp_path / "text.csv")).metadata
    assert (text["columns"], text["row_count"]) == (["name", "amount", "note"], 2)
    # A headerless file of words stays headerless.
    (tmp_path / "names.csv").write_bytes(b"Alice,Smith,London\nBob,Jones,Paris\nCarol,White,Rome\n")
    assert extract(str(tmp_path / "names.csv")).metadata["row_count"] == 3


def test_reasoning_counts_every_record_not_the_sample(tmp_path: Path) -> None:
    path = tmp_path / "big.csv"
    path.write_text("id,value\n" + "".join(f"{i},{i * 3}\n" for i in range(5000)))
    assert "csv with 5000 records" in infer(extract(str(path)), CATALOG).reasoning


def test_truncated_images_and_sound_stay_below_auto_approval(tmp_path: Path) -> None:
    for name, data in {"cut.png": png_bytes(64, 48), "cut.jpg": jpeg_bytes(64, 48), "cut.wav": wav_bytes(0.5)}.items():
        whole = tmp_path / f"whole-{name}"
        whole.write_bytes(data)
        assert not extract(str(whole)).suspect and confidence(whole) >= AUTO, name
        cut = tmp_path / name
        cut.write_bytes(data[: len(data) * 2 // 3])
        ex = extract(str(cut))
        assert ex.metadata.get("truncated") and ex.suspect, name
        assert confidence(cut) < AUTO, name


@pytest.mark.parametrize("fmt,ext", [("BMP", "bmp"), ("TIFF", "tiff"), ("WEBP", "webp"), ("GIF", "gif")])
def test_truncated_images_of_other_formats(tmp_path: Path, fmt: str, ext: str) -> None:
    from PIL import Image  # test-only: Pillow draws the images

    out = io.BytesIO()
    Image.effect_noise((120, 90), 40).convert("RGB").save(out, format=fmt)
    whole = tmp_path / f"whole.{ext}"
    whole.write_bytes(out.getvalue())
    assert not extract(str(whole)).suspect
    cut = tmp_path / f"cut.{ext}"
    cut.write_bytes(out.getvalue()[: len(out.getvalue()) // 2])
    ex = extract(str(cut))
    assert ex.metadata["width"] == 120 and ex.suspect and confidence(cut) < AUTO


def test_an_impossible_image_size_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "huge.png"
    path.write_bytes(_png_claiming(100_000, 100_000))
    with pytest.raises(ExtractionError) as e:
        extract(str(path))
    assert e.value.permanent
    fine = tmp_path / "fine.png"
    fine.write_bytes(_png_claiming(40, 30))  # the same data is plenty for a small image
    assert extract(str(fine)).metadata["width"] == 40


def test_errors_say_whether_a_retry_could_help(tmp_path: Path) -> None:
    with pytest.raises(ExtractionError) as gone:
        extract(str(tmp_path / "missing.md"))
    assert not gone.value.permanent  # it may come back
    bad = tmp_path / "bad.json"
    bad.write_text('{"a": [1,')
    with pytest.raises(ExtractionError) as invalid:
        extract(str(bad))
    assert invalid.value.permanent


# -- item 4: titles and facts ---------------------------------------------------------------------


def test_json_document_title_comes_from_its_name_key() -> None:
    # A real package.json (util-deprecate, from npm): its title is its name, not its first line.
    ex = extract(str(CORPUS / "real" / "data" / "util-deprecate-package.json"))
    assert ex.title == "util-deprecate" and ex.mime_type == "application/json"
    assert "name" in ex.metadata["json_keys"]


def test_json_title_key_and_openapi_info_title(tmp_path: Path) -> None:
    path = tmp_path / "openapi.json"
    path.write_text(json.dumps({"openapi": "3.0.0", "info": {"title": "Billing API", "version": "1"}}))
    assert extract(str(path)).title == "Billing API"


def test_xml_mime_type_and_title_element(tmp_path: Path) -> None:
    # setuptools' launcher manifest: a real XML file with no title element.
    manifest = extract(str(DATA / "launcher-manifest.xml"))
    assert manifest.mime_type == "application/xml" and manifest.metadata["root_element"] == "assembly"
    feed = tmp_path / "feed"  # no extension: told by its content
    feed.write_text(
        '<?xml version="1.0"?>\n<rss version="2.0"><channel><title>Release notes &amp; news</title>'
        "<item><title>Version 2</title><description>Faster sync.</description></item></channel></rss>\n"
    )
    ex = extract(str(feed))
    assert ex.mime_type == "application/xml" and ex.title == "Release notes & news"
    assert "Faster sync." in ex.text and "<item>" not in ex.text
    assert ex.metadata["word_count"] == int(
        subprocess.run(["wc", "-w", str(feed)], capture_output=True, text=True).stdout.split()[0]
    )


def test_email_subject_is_the_title(tmp_path: Path) -> None:
    # A real digest from CPython's e-mail test data, as .eml and with no extension at all.
    for name in ("ppp-digest.eml", "message"):
        path = tmp_path / name
        shutil.copy(DATA / "ppp-digest.eml", path)
        ex = extract(str(path))
        assert ex.mime_type == "message/rfc822", name
        assert ex.title == "Ppp digest, Vol 1 #2 - 5 msgs" and ex.metadata["author"] == "ppp-request@zzz.org"


def test_a_memo_with_mail_like_headers_is_not_an_email(tmp_path: Path) -> None:
    memo = tmp_path / "memo.txt"
    memo.write_text(f"To: All staff\nFrom: People team\nSubject: Laptop policy\n\n{PROSE}\n")
    assert extract(str(memo)).mime_type == "text/plain"


def test_debian_copyright_title_is_the_upstream_name(tmp_path: Path) -> None:
    path = tmp_path / "copyright"  # as /usr/share/doc/adduser/copyright is named
    shutil.copy(DATA / "adduser-copyright", path)
    ex = extract(str(path))
    assert ex.title == "adduser" and ex.metadata["format"] == "debian-copyright"
    assert ex.metadata["license"]


def test_headerless_csv_is_detected_and_headed_csv_is_not_ragged() -> None:
    # gawk's example: one address line, no header.
    addresses = extract(str(DATA / "gawk-addresses.csv"))
    assert addresses.metadata["has_header"] is False and addresses.metadata["row_count"] == 1
    assert addresses.metadata["columns"][0] == "column_1" and not addresses.suspect
    # distro-info's table leaves out empty trailing dates: a header, and not ragged.
    debian = extract(str(DATA / "distro-info-debian.csv"))
    assert debian.metadata["columns"][:2] == ["version", "codename"] and not debian.suspect
    lines = (DATA / "distro-info-debian.csv").read_bytes().count(b"\n")
    assert debian.metadata["row_count"] == lines - 1


def test_facts_match_wc_on_the_new_formats() -> None:
    for path in (
        DATA / "ppp-digest.eml",
        DATA / "launcher-manifest.xml",
        DATA / "adduser-copyright",
        CORPUS / "real" / "data" / "util-deprecate-package.json",
    ):
        ex = extract(str(path))
        words = subprocess.run(
            ["wc", "-w", str(path)], capture_output=True, text=True, env={**os.environ, "LC_ALL": "C.UTF-8"}
        ).stdout.split()[0]
        assert ex.metadata["word_count"] == int(words), path


# -- clarity infer --------------------------------------------------------------------------------


def clarity_infer(*paths: str) -> list[dict]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CLARITY_")}
    proc = subprocess.run(
        [sys.executable, "-m", "console.cli", "infer", "--json", *paths],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=120,
    )
    lines = [json.loads(line) for line in proc.stdout.splitlines()]
    assert proc.returncode == (65 if any("error" in line for line in lines) else 0), proc.stderr
    return lines


def test_clarity_infer_prints_a_line_per_archive_member_and_refuses_outside_symlinks(tmp_path: Path) -> None:
    inside = tmp_path / "given"
    inside.mkdir()
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("docs/garden.md", f"# Garden\n\n{PROSE}")
        z.write(DATA / "gawk-addresses.csv", "data/addresses.csv")
    archive = inside / "bundle.zip"
    archive.write_bytes(out.getvalue())
    secret = tmp_path / "elsewhere.md"
    secret.write_text(f"# Not given\n\n{PROSE}")
    link = inside / "link.md"
    link.symlink_to(secret)
    fine_link = inside / "alias.md"
    fine_link.symlink_to(inside / "notes.md")
    (inside / "notes.md").write_text(f"# Notes\n\n{PROSE}")
    results = clarity_infer(str(archive), str(link), str(fine_link), str(inside / "notes.md"))
    assert [r["path"] for r in results] == [
        f"{archive}!docs/garden.md",
        f"{archive}!data/addresses.csv",
        str(link),
        str(fine_link),
        str(inside / "notes.md"),
    ]
    assert results[0]["table"] == "documents" and results[1]["table"] == "datasets"
    assert set(results[2]) == {"path", "error"}  # leads outside the paths given: not followed
    assert "error" not in results[3] and "error" not in results[4]


def test_clarity_infer_says_which_archive_entries_it_did_not_read(tmp_path: Path) -> None:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("notes.md", f"# Notes\n\n{PROSE}")
        z.writestr("../climbs-out.md", "# Out\n")  # a name leading outside the archive: never read
    archive = tmp_path / "bundle.zip"
    archive.write_bytes(out.getvalue())
    empty = tmp_path / "empty.zip"
    with zipfile.ZipFile(empty, "w"):
        pass
    results = clarity_infer(str(archive), str(empty))
    assert [r["path"] for r in results] == [f"{archive}!notes.md", str(archive), str(empty)]
    assert "error" not in results[0]
    assert results[1]["error"].startswith("archive: 1 entry not read (a link, a device, a name leading outside")
    assert results[2]["error"] == "archive: no files in it"


def test_word_count_splits_on_the_spaces_wc_splits_on(tmp_path: Path) -> None:
    # Measured on GNU wc: no-break spaces separate words; zero-width and line separators do not.
    path = tmp_path / "spaces.txt"
    path.write_text("one\u00a0two\u2007three\u202ffour\u3000five\u200bstill-five\u2028six seven\n")
    wc = subprocess.run(
        ["wc", "-w", str(path)], capture_output=True, text=True, env={**os.environ, "LC_ALL": "C.UTF-8"}
    ).stdout.split()[0]
    assert extract(str(path)).metadata["word_count"] == int(wc) == 6


def test_markup_without_text_is_not_suspect(tmp_path: Path) -> None:
    path = tmp_path / "catalog.xml"  # like /usr/share/xml/schema/xml-core/catalog.xml: only elements
    path.write_text(
        '<?xml version="1.0"?>\n<catalog xmlns="urn:oasis:names:tc:entity:xmlns:xml:catalog">\n'
        '  <delegatePublic publicIdStartString="-//OASIS//DTD" catalog="file:///etc/xml/docbook.xml"/>\n'
        "</catalog>\n"
    )
    ex = extract(str(path))
    assert ex.mime_type == "application/xml" and not ex.suspect


@pytest.mark.parametrize(
    "name,body",
    [
        ("titles.html", "<title>" * 60_000),  # each took a minute or more with lazy regexes
        ("comments.xml", '<?xml version="1.0"?><r>' + "<!--" * 60_000),
        ("headings.html", "<html>" + "<h1>" * 60_000),
        ("scripts.html", "<html>" + "<script>" * 40_000),
        ("quotes.csv", '"a,' * 20_000 + "\n1,2\n"),  # the stdlib sniffer on 60 KB of this took 50 s
        ("blank.js", "\n" * 60_000),  # ^\s* in multi-line patterns crossed lines: 525 s
        ("spaces.php", " \n" * 30_000),  # (?:public|...|\s)* likewise: 94 s
        ("lines.c", "a\n" * 30_000),
    ],
    ids=lambda value: value if len(value) < 40 else "body",
)
def test_hostile_markup_and_csv_take_time_in_proportion_to_their_size(tmp_path: Path, name: str, body: str) -> None:
    import threading

    path = tmp_path / name
    path.write_text(body)
    outcome: list[object] = []
    worker = threading.Thread(target=lambda: outcome.append(_try_extract(path)), daemon=True)
    worker.start()
    worker.join(60)  # a generous bound: linear takes milliseconds, the old quadratic took minutes
    assert outcome, f"{name} still extracting after 60 s"


def _try_extract(path: Path) -> object:
    try:
        return extract(str(path))
    except ExtractionError as e:
        return e
