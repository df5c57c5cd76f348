"""Real files of every kind for the ingestion tests, and ways to wait on the journal."""

from __future__ import annotations

import io
import json
import math
import os
import struct
import subprocess
import sys
import time
import wave
import zlib
from pathlib import Path
from typing import Any
from collections.abc import Callable

ROOT = Path(__file__).resolve().parent.parent

# Plain prose that routes to no domain table, so the expected table is `documents`.
PROSE = (
    "The garden behind the old library was planted in spring. Roses, beans and tall sunflowers "
    "grew along the wall, and on quiet afternoons people sat on the bench to read. "
)


def png_bytes(width: int, height: int, seed: int = 0) -> bytes:
    """A valid RGB PNG drawn by hand (zlib + CRCs), different for every seed."""
    rows = []
    for y in range(height):
        row = bytearray(b"\x00")
        for x in range(width):
            row += bytes(((x * 7 + seed) % 256, (y * 5 + seed) % 256, (x ^ y) % 256))
        rows.append(bytes(row))
    raw = b"".join(rows)

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    note = chunk(b"tEXt", b"Comment\x00seed " + str(seed).encode())  # unique bytes for every seed
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + note + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")
    )


def jpeg_bytes(width: int, height: int, seed: int = 0) -> bytes:
    from PIL import Image  # a test-only dependency (comes with fpdf2)

    img = Image.new("RGB", (width, height), ((seed * 37) % 256, 120, 200))
    out = io.BytesIO()
    img.save(out, format="JPEG", quality=80)
    return out.getvalue()


def wav_bytes(seconds: float, freq: float = 440.0, rate: int = 8000) -> bytes:
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        frames = b"".join(
            struct.pack("<h", int(8000 * math.sin(2 * math.pi * freq * i / rate))) for i in range(int(seconds * rate))
        )
        w.writeframes(frames)
    return out.getvalue()


def pdf_bytes(title: str, paragraphs: list[str]) -> bytes:
    from fpdf import FPDF  # test-only: pypdf cannot draw text

    pdf = FPDF()
    pdf.set_title(title)
    pdf.set_author("Test Author")
    pdf.add_page()
    pdf.set_font("Helvetica", size=12)
    pdf.multi_cell(0, 8, title, new_x="LMARGIN", new_y="NEXT")
    for text in paragraphs:
        pdf.multi_cell(0, 6, text, new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


def mixed_files(seed: int = 0) -> dict[str, tuple[bytes, str]]:
    """name → (content, the table it belongs in): PDF, markdown, Python/JS/shell, CSV/JSON,
    PNG/JPEG and WAV, each with content unique to ``seed``."""
    s = seed
    return {
        "garden-report.pdf": (pdf_bytes(f"Garden notes {s}", [PROSE * 3]), "documents"),
        "garden.md": (f"# Garden notes {s}\n\n{PROSE}\n\n## Later\n\n{PROSE}\n".encode(), "documents"),
        "tool.py": (
            f'"""Tool {s}."""\nimport os\n\n\ndef main():\n    return os.getcwd()\n\n\n'
            "class Thing:\n    pass\n".encode(),
            "codebases",
        ),
        "app.js": (
            f"// app {s}\nfunction add(a, b) {{\n  return a + b;\n}}\nmodule.exports = {{ add }};\n".encode(),
            "codebases",
        ),
        "deploy.sh": (f"#!/bin/sh\n# deploy {s}\nset -e\necho deploying\n".encode(), "codebases"),
        "measurements.csv": (
            (
                "sample,temperature,humidity\n"
                + "".join(f"s{i},{20 + i % 7}.{s % 10},{40 + i % 13}\n" for i in range(30))
            ).encode(),
            "datasets",
        ),
        "readings.json": (
            json.dumps([{"sensor": f"t{i}", "value": i * 1.5 + s} for i in range(12)]).encode(),
            "datasets",
        ),
        "pixel.png": (png_bytes(16, 9, s), "media"),
        "photo.jpg": (jpeg_bytes(40, 30, s), "media"),
        "tone.wav": (wav_bytes(0.25, 300 + s), "media"),
    }


# Ingest settings for tests that wait on retries: failures are tried again within a second.
FAST_RETRY = {"settle_s": 0.2, "retry_base_s": 0.2, "retry_max_s": 0.4, "retry_check_s": 0.2}


def small_files(count: int, seed: int = 0) -> dict[str, bytes]:
    """``count`` small files of mixed kinds with unique contents (for kill and bench runs)."""
    out: dict[str, bytes] = {}
    for i in range(count):
        tag = f"{seed}-{i}"
        kind = i % 5
        if kind == 0:
            out[f"note-{tag}.md"] = f"# Note {tag}\n\n{PROSE}\n".encode()
        elif kind == 1:
            out[f"script-{tag}.py"] = f"import sys\n\n\ndef run_{i}():\n    return {i}\n".encode()
        elif kind == 2:
            out[f"table-{tag}.csv"] = f"key,value\n{tag},{i}\nb,{i + 1}\n".encode()
        elif kind == 3:
            out[f"text-{tag}.txt"] = f"Plain text {tag}. {PROSE}".encode()
        else:
            out[f"image-{tag}.png"] = png_bytes(4 + i % 5, 3, i)
    return out


def write_atomically(folder: Path, name: str, data: bytes) -> Path:
    """Write as a careful program does: a temporary name, then a rename into place."""
    path = folder / name
    tmp = folder / f".{name}.part"
    tmp.write_bytes(data)
    os.replace(tmp, path)
    return path


def wait_until(predicate: Callable[[], Any], timeout: float = 30.0, interval: float = 0.05) -> Any:
    """Poll until ``predicate()`` is truthy and return it; fail the test after ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting after {timeout}s; last value {value!r}")
        time.sleep(interval)


def clarity_rpc(socket: str, method: str, params: dict[str, Any] | None = None) -> Any:
    """Call a method the way a person does: ``clarity rpc METHOD JSON``."""
    proc = subprocess.run(
        [sys.executable, "-m", "console.cli", "--socket", socket, "rpc", method, json.dumps(params or {})],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def settled(client: Any, expected: int) -> dict[str, Any] | None:
    """The status once ``expected`` files are journaled and none waits, else None."""
    status = client.call_raw("ingest.status", {"limit": 500})
    counts = status["counts"]
    finished = sum(v for k, v in counts.items() if k not in ("seen", "extracted"))
    if finished >= expected and status["queued"] == 0 and status["settling"] == 0:
        return status
    return None


def record_of(client: Any, path: Any) -> Any:
    """The journal record of ``path`` (typed), or None while the journal has not seen it."""
    from daemon.protocol import ErrorCode, RpcError

    try:
        return client.ingest.status(path=str(path)).file
    except RpcError as e:
        if e.code == ErrorCode.NOT_FOUND:
            return None
        raise
