"""Images, audio and video: the true format from the bytes, dimensions, duration.

Image headers are small and well specified, so they are read here by hand. WAV goes
through the stdlib ``wave`` (with a RIFF fallback for float and extensible WAV). MP3, FLAC,
Ogg and MP4 durations come from ``mutagen``: pure Python, long maintained, and it computes
MP3 length from Xing/VBRI headers or the frames, which is easy to get wrong by hand.
Matroska/WebM and AVI are read from their headers here (mutagen does not do them).
"""

from __future__ import annotations

import io
import os
import re
import struct
import wave
import zlib
from typing import IO, Any

from .types import ExtractionError

_SVG_LEN_RE = re.compile(r"^\s*([\d.]+)\s*(px|pt|mm|cm|in|em|ex|pc|%)?\s*$")
_UNITS = {None: 1.0, "px": 1.0, "pt": 96 / 72, "pc": 16.0, "mm": 96 / 25.4, "cm": 96 / 2.54, "in": 96.0}


# Channels per PNG colour type, for the smallest data a header's size needs.
_PNG_CHANNELS = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}
# Deflate cannot compress better than about 1032:1, so image data smaller than the raw
# pixels over this cannot hold the pixels the header claims.
DEFLATE_MAX_RATIO = 1100
# Chunk data whose CRC-32 is checked (at about a gigabyte a second): every chunk of any real image.
PNG_CRC_BYTES = 64 * 1024 * 1024
# Bytes after IEND beyond a stray padding: something else (an archive, a script) rides on the image.
PNG_TRAILING_BYTES = 1024


def _png(f: IO[bytes]) -> dict[str, Any]:
    head = f.read(33)
    if len(head) < 24 or head[12:16] != b"IHDR":
        raise ExtractionError("truncated or corrupt PNG: no IHDR chunk", "corrupt")
    width, height = struct.unpack(">II", head[16:24])
    if not 0 < width < 2**31 or not 0 < height < 2**31:
        raise ExtractionError(f"corrupt PNG: impossible size {width}x{height}", "corrupt")
    facts: dict[str, Any] = {"width": width, "height": height}
    size = f.seek(0, 2)
    f.seek(8)
    idat = 0
    ended = False
    checked = 0
    for _ in range(1_000_000):  # walk every chunk: the data's size, the end, an animation, checksums
        chunk = f.read(8)
        if len(chunk) < 8:
            break
        length, ctype = struct.unpack(">I4s", chunk)
        if ctype == b"IDAT":
            idat += length
        elif ctype == b"IEND":
            ended = True
            if size - (f.tell() + 4) > PNG_TRAILING_BYTES:
                facts["trailing_data"] = size - (f.tell() + 4)  # another file glued after the image
            break
        if f.tell() + length + 4 > size:
            break  # the chunk runs past the end of the file
        if checked + length <= PNG_CRC_BYTES:
            data = f.read(length)
            checked += length
            if struct.unpack(">I", f.read(4))[0] != zlib.crc32(ctype + data):
                facts["damaged"] = True  # a chunk's data is not what its checksum says
        else:
            data = f.read(min(length, 8))
            f.seek(length - len(data) + 4, 1)
        if ctype == b"acTL":
            facts["animated"] = True
            if len(data) >= 4:
                facts["frame_count"] = struct.unpack(">I", data[:4])[0]
    if len(head) >= 26:
        bits = head[24] * _PNG_CHANNELS.get(head[25], 4)
        raw = height * (1 + (width * bits + 7) // 8)
        if raw > DEFLATE_MAX_RATIO * max(idat, 1):
            raise ExtractionError(
                f"corrupt PNG: the header claims {width}x{height} pixels, more than its "
                f"{idat} bytes of image data can hold",
                "corrupt",
            )
    if not ended:
        facts["truncated"] = True
    return facts


def _jpeg(f: IO[bytes]) -> dict[str, Any]:
    f.seek(2)
    while True:
        byte = f.read(1)
        while byte and byte != b"\xff":
            byte = f.read(1)
        while byte == b"\xff":
            byte = f.read(1)
        if not byte:
            raise ExtractionError("truncated or corrupt JPEG: no frame header", "corrupt")
        marker = byte[0]
        if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:
            continue
        if marker == 0xD9:
            raise ExtractionError("corrupt JPEG: image ends before a frame header", "corrupt")
        seg = f.read(2)
        if len(seg) < 2:
            raise ExtractionError("truncated JPEG", "corrupt")
        length = struct.unpack(">H", seg)[0]
        if marker in (0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF):
            sof = f.read(5)
            if len(sof) < 5:
                raise ExtractionError("truncated JPEG frame header", "corrupt")
            height, width = struct.unpack(">HH", sof[1:5])
            facts: dict[str, Any] = {
                "width": width,
                "height": height,
                "progressive": marker in (0xC2, 0xC6, 0xCA, 0xCE),
            }
            # The scan after the frame header must be closed by an end-of-image marker
            # (0xFF is stuffed inside scan data, so FFD9 there is that marker).
            rest = f.read()
            sos = rest.find(b"\xff\xda")
            if sos < 0 or rest.find(b"\xff\xd9", sos) < 0:
                facts["truncated"] = True
            if not width or not height:
                facts["impossible_size"] = True
            return facts
        f.seek(length - 2, 1)


def _gif(f: IO[bytes]) -> dict[str, Any]:
    head = f.read(13)
    if len(head) < 10:
        raise ExtractionError("truncated GIF", "corrupt")
    # The logical screen is the canvas every frame, the first included, is drawn on.
    width, height = struct.unpack("<HH", head[6:10])
    rest = f.read(1 << 20)
    frames = rest.count(b"\x00\x21\xf9\x04") + (1 if rest.startswith(b"\x21\xf9\x04") else 0)
    facts: dict[str, Any] = {"width": width, "height": height, "animated": frames > 1}
    f.seek(max(f.seek(0, 2) - 16, 0))
    if not f.read().rstrip(b"\x00").endswith(b";"):  # every GIF ends with its trailer byte
        facts["truncated"] = True
    if not width or not height:
        facts["impossible_size"] = True
    return facts


def _webp(f: IO[bytes]) -> dict[str, Any]:
    head = f.read(30)
    chunk = head[12:16]
    if chunk == b"VP8 " and len(head) >= 30:
        w, h = struct.unpack("<HH", head[26:30])
        return {"width": w & 0x3FFF, "height": h & 0x3FFF}
    if chunk == b"VP8L" and len(head) >= 25:
        b = head[21:25]
        bits = int.from_bytes(b, "little")
        return {"width": (bits & 0x3FFF) + 1, "height": ((bits >> 14) & 0x3FFF) + 1}
    if chunk == b"VP8X" and len(head) >= 30:
        w = int.from_bytes(head[24:27], "little") + 1
        h = int.from_bytes(head[27:30], "little") + 1
        return {"width": w, "height": h, "animated": bool(head[20] & 0x02)}
    raise ExtractionError("corrupt WebP: unknown or truncated first chunk", "corrupt")


def _bmp(f: IO[bytes]) -> dict[str, Any]:
    head = f.read(34)
    offset, size = struct.unpack("<I", head[10:14])[0], struct.unpack("<I", head[14:18])[0]
    if size == 12:
        w, h = struct.unpack("<HH", head[18:22])
        bits, compression = struct.unpack("<H", head[24:26])[0], 0
    elif size == 16:  # OS/2 2.x, short form: sizes and depth only
        w, h = struct.unpack("<ii", head[18:26])
        bits, compression = struct.unpack("<H", head[28:30])[0], 0
    else:
        w, h = struct.unpack("<ii", head[18:26])
        bits, compression = struct.unpack("<HI", head[28:34]) if len(head) >= 34 else (0, 1)
    facts: dict[str, Any] = {"width": abs(w), "height": abs(h)}
    if compression in (0, 3) and bits:  # uncompressed rows, each padded to 4 bytes: their size is known
        rows = ((abs(w) * bits + 31) // 32) * 4 * abs(h)
        if offset + rows > f.seek(0, 2):
            facts["truncated"] = True
    return facts


def _ico(f: IO[bytes]) -> dict[str, Any]:
    """An icon's images (sizes 1-256; 0 means 256): the largest one's size, and how many."""
    head = f.read(6)
    count = struct.unpack("<H", head[4:6])[0]
    end = f.seek(0, 2)
    f.seek(6)
    entries = f.read(16 * count)
    if len(entries) < 16 * count:
        raise ExtractionError("truncated icon: its directory runs past the end of the file", "corrupt")
    best, truncated = (0, 0), False
    for i in range(count):
        w, h, _, _, _, _, size, offset = struct.unpack("<BBBBHHII", entries[16 * i : 16 * i + 16])
        best = max(best, (w or 256, h or 256))
        truncated |= offset + size > end
    facts: dict[str, Any] = {"width": best[0], "height": best[1], "images": count}
    if truncated:
        facts["truncated"] = True
    return facts


def _bigtiff(f: IO[bytes], order: str) -> dict[str, Any]:
    """BigTIFF (64-bit offsets): the first image's size."""
    offset = struct.unpack(order + "Q", f.read(8))[0]
    f.seek(offset)
    raw = f.read(8)
    if len(raw) < 8:
        raise ExtractionError("truncated TIFF", "corrupt")
    facts: dict[str, Any] = {}
    for _ in range(min(struct.unpack(order + "Q", raw)[0], 500)):
        entry = f.read(20)
        if len(entry) < 20:
            facts["truncated"] = True
            break
        tag, typ = struct.unpack(order + "HH", entry[:4])
        fmt = {3: "H", 4: "I", 16: "Q"}.get(typ)
        if tag in (256, 257) and fmt is not None:
            facts["width" if tag == 256 else "height"] = struct.unpack(
                order + fmt, entry[12 : 12 + struct.calcsize(fmt)]
            )[0]
    return facts


def _tiff(f: IO[bytes]) -> dict[str, Any]:
    head = f.read(8)
    order = "<" if head[:2] == b"II" else ">"
    if struct.unpack(order + "H", head[2:4])[0] == 43:
        return _bigtiff(f, order)
    offset = struct.unpack(order + "I", head[4:8])[0]
    end = f.seek(0, 2)
    f.seek(offset)
    raw = f.read(2)
    if len(raw) < 2:
        raise ExtractionError("truncated TIFF", "corrupt")
    facts: dict[str, Any] = {}
    strips: dict[int, list[int]] = {}
    for _ in range(min(struct.unpack(order + "H", raw)[0], 500)):
        entry = f.read(12)
        if len(entry) < 12:
            facts["truncated"] = True
            break
        tag, typ, count = struct.unpack(order + "HHI", entry[:8])
        value = struct.unpack(order + ("H" if typ == 3 else "I"), entry[8:10] if typ == 3 else entry[8:12])[0]
        if tag == 256:
            facts["width"] = value
        elif tag == 257:
            facts["height"] = value
        elif tag in (273, 279, 324, 325) and typ in (3, 4):  # strip or tile offsets and byte counts
            strips[tag] = _tiff_values(f, order, typ, count, entry[8:12], value)
    # The first image's data must lie inside the file.
    for offsets, counts in ((273, 279), (324, 325)):
        if (
            strips.get(offsets)
            and strips.get(counts)
            and max(o + c for o, c in zip(strips[offsets], strips[counts], strict=False)) > end
        ):
            facts["truncated"] = True
    return facts


def _tiff_values(f: IO[bytes], order: str, typ: int, count: int, inline: bytes, first: int) -> list[int]:
    """The values of a TIFF entry: inline when they fit in 4 bytes, else at the offset it holds."""
    width = 2 if typ == 3 else 4
    if count * width <= 4:
        return list(struct.unpack(order + ("H" if typ == 3 else "I") * count, inline[: count * width]))
    count = min(count, 100_000)
    here = f.tell()
    f.seek(struct.unpack(order + "I", inline)[0])
    data = f.read(count * width)
    f.seek(here)
    if len(data) < count * width:
        return [first, 1 << 62]  # the list itself runs past the end of the file
    return list(struct.unpack(order + ("H" if typ == 3 else "I") * count, data))


def svg_size(text: str) -> dict[str, Any]:
    """Width and height of an SVG in CSS pixels: the attributes, else the viewBox."""
    m = re.search(r"<svg\b([^>]*)>", text[:65536], re.S | re.I)
    if not m:
        raise ExtractionError("not an SVG: no <svg> element", "unsupported")
    attrs = dict(re.findall(r"([\w:-]+)\s*=\s*[\"']([^\"']*)[\"']", m.group(1)))
    facts: dict[str, Any] = {}
    box = attrs.get("viewBox") or attrs.get("viewbox")
    vb = (
        [float(x) for x in re.split(r"[\s,]+", box.strip())]
        if box and re.fullmatch(r"[\d.\s,+-]+", box.strip())
        else []
    )
    for key in ("width", "height"):
        lm = _SVG_LEN_RE.match(attrs.get(key, ""))
        if lm and lm.group(2) in _UNITS:
            facts[key] = round(float(lm.group(1)) * _UNITS[lm.group(2)])
        elif len(vb) == 4:
            facts[key] = round(vb[2] if key == "width" else vb[3])
    return facts


def _wav(path: str) -> dict[str, Any]:
    try:
        with wave.open(path, "rb") as w:
            frames, rate = w.getnframes(), w.getframerate()
            facts: dict[str, Any] = {
                "duration_seconds": round(frames / rate, 3) if rate else None,
                "sample_rate": rate,
                "channels": w.getnchannels(),
                "codec": "pcm",
            }
            if frames * w.getsampwidth() * w.getnchannels() > os.path.getsize(path):
                facts["truncated"] = True  # the data chunk claims more samples than the file holds
            return facts
    except (wave.Error, EOFError, struct.error, RuntimeError) as e:  # RuntimeError: a chunk size past the end
        riff = _riff_wav(path)  # float or extensible WAV, which this Python's wave refuses
        if riff is None:
            raise ExtractionError(f"corrupt WAV: {e}", "corrupt") from None
        return riff


def _riff_wav(path: str) -> dict[str, Any] | None:
    with open(path, "rb") as f:
        f.seek(12)
        fmt = None
        while True:
            head = f.read(8)
            if len(head) < 8:
                return None
            cid, size = struct.unpack("<4sI", head)
            if cid == b"fmt ":
                fmt = f.read(size)
                if size % 2:
                    f.seek(1, 1)
                continue
            if cid == b"data" and fmt and len(fmt) >= 16:
                _, channels, rate, byte_rate = struct.unpack("<HHII", fmt[:12])
                return {
                    "duration_seconds": round(size / byte_rate, 3) if byte_rate else None,
                    "sample_rate": rate,
                    "channels": channels,
                }
            f.seek(size + (size % 2), 1)


def _mutagen(path: str, fmt: str) -> dict[str, Any]:
    try:
        import mutagen
    except ImportError:  # pragma: no cover - declared in pyproject
        return {}
    try:
        info_file = mutagen.File(path)
    except Exception as e:  # mutagen raises its own error per format; all mean "unreadable"
        raise ExtractionError(f"corrupt or truncated {fmt.upper()}: {e}", "corrupt") from None
    if info_file is None or info_file.info is None:
        raise ExtractionError(f"unreadable {fmt.upper()}: no stream information", "corrupt")
    info = info_file.info
    facts: dict[str, Any] = {}
    length = getattr(info, "length", None)
    if length:
        facts["duration_seconds"] = round(float(length), 3)
    rate = getattr(info, "sample_rate", None)
    if rate:
        facts["sample_rate"] = int(rate)
    codec = getattr(info, "codec", None) or type(info).__name__.replace("Info", "").lower() or None
    if codec:
        facts["codec"] = str(codec)
    if getattr(info, "channels", None):
        facts["channels"] = int(info.channels)
    tags = getattr(info_file, "tags", None)
    if tags:
        for key in ("title", "TIT2", "\xa9nam", "TITLE"):
            try:
                value = tags.get(key)
            except (KeyError, ValueError, TypeError):
                value = None
            if value:
                facts["tag_title"] = str(value[0] if isinstance(value, list) else value)[:300]
                break
    return facts


def _ebml_vint(f: IO[bytes], max_length: int, keep_marker: bool) -> int | None:
    """An EBML variable-length integer: its length is told by the first set bit. Element
    ids keep that marker bit (and are at most 4 bytes); sizes drop it (up to 8 bytes)."""
    first = f.read(1)
    if not first:
        return None
    b = first[0]
    length = 1
    mask = 0x80
    while length <= max_length and not b & mask:
        mask >>= 1
        length += 1
    if length > 8:
        return None
    value = b if keep_marker else b & (mask - 1)
    for byte in f.read(length - 1):
        value = (value << 8) | byte
    return value


def _matroska(path: str) -> dict[str, Any]:
    """Duration from Segment > Info (TimecodeScale x Duration), reading only headers."""
    facts: dict[str, Any] = {}
    with open(path, "rb") as f:
        for _ in range(10000):
            eid = _ebml_vint(f, 4, keep_marker=True)
            size = _ebml_vint(f, 8, keep_marker=False)
            if eid is None or size is None:
                break
            if eid in (0x18538067, 0x1549A966):  # Segment, Info: descend
                continue
            if eid == 0x2AD7B1:  # TimecodeScale
                facts["_scale"] = int.from_bytes(f.read(size), "big")
            elif eid == 0x4489:  # Duration, a float in TimecodeScale units
                raw = f.read(size)
                facts["_duration"] = struct.unpack(">f" if size == 4 else ">d", raw)[0]
            elif eid in (0x1F43B675, 0x1654AE6B):  # Cluster or Tracks: the header is over
                break
            else:
                f.seek(size, 1)
            if "_duration" in facts and "_scale" in facts:
                break
    duration = facts.pop("_duration", None)
    scale = facts.pop("_scale", 1_000_000)
    if duration is not None:
        facts["duration_seconds"] = round(duration * scale / 1e9, 3)
    return facts


def _avi(path: str) -> dict[str, Any]:
    with open(path, "rb") as f:
        head = f.read(88)
    i = head.find(b"avih")
    if i < 0 or len(head) < i + 32:
        return {}
    usec, _, _, _, frames = struct.unpack("<IIIII", head[i + 8 : i + 28])
    w, h = struct.unpack("<II", head[i + 40 : i + 48]) if len(head) >= i + 48 else (None, None)
    facts: dict[str, Any] = {"duration_seconds": round(usec * frames / 1e6, 3)} if usec else {}
    if w:
        facts.update(width=w, height=h)
    if usec:
        facts["frame_rate"] = round(1e6 / usec, 3)
    return facts


def _mp4_has_video(path: str) -> bool:
    with open(path, "rb") as f:
        data = f.read(4 * 1024 * 1024)
    if b"moov" not in data:
        return True  # moov at the end of a big file: trust the brand
    return re.search(rb"hdlr.{8}vide", data, re.S) is not None


def _riff_truncated(path: str) -> bool:
    """A RIFF file (WAV, WebP, AVI) whose declared size runs past the end of the file."""
    with open(path, "rb") as f:
        head = f.read(8)
        size = f.seek(0, 2)
    return len(head) == 8 and struct.unpack("<I", head[4:8])[0] + 8 > size


# Below this many bits per second of claimed duration, no codec holds the sound or picture: FLAC of
# silence is about 2 kbit/s, the thinnest speech codecs 6 kbit/s. A header claiming minutes over a
# few bytes is a header with its data cut off.
MIN_BITRATE = 1000

IMAGE_READERS = {"png": _png, "jpeg": _jpeg, "gif": _gif, "webp": _webp, "bmp": _bmp, "tiff": _tiff, "ico": _ico}


# Sound formats no magic number of ours tells, which mutagen reads: taken on their name when the
# bytes are binary (WMA from Windows libraries, WavPack, Monkey's Audio, Musepack, DSD, AC-3...).
MUTAGEN_AUDIO = {
    ".wma": ("audio/x-ms-wma", "wma"),
    ".wv": ("audio/x-wavpack", "wavpack"),
    ".ape": ("audio/x-ape", "ape"),
    ".mpc": ("audio/x-musepack", "musepack"),
    ".dsf": ("audio/x-dsf", "dsf"),
    ".dff": ("audio/x-dff", "dff"),
    ".tak": ("audio/x-tak", "tak"),
    ".ofr": ("audio/x-optimfrog", "optimfrog"),
    ".ofs": ("audio/x-optimfrog", "optimfrog"),
    ".ac3": ("audio/ac3", "ac3"),
    ".eac3": ("audio/eac3", "eac3"),
    ".aac": ("audio/aac", "aac"),
    ".mid": ("audio/midi", "midi"),
    ".midi": ("audio/midi", "midi"),
}
MUTAGEN_FORMATS = {"mp3", "flac", "ogg", "mp4", "m4a", "mov", "3gp", "aiff"} | {f for _, f in MUTAGEN_AUDIO.values()}


def media_facts(path: str, fmt: str, media_type: str, data: bytes | None = None) -> dict[str, Any]:
    """Dimensions of an image, duration (and rate, codec) of a sound or a video. ``data``: the
    file's bytes, when read already (an image is then read from them, not opened again)."""
    facts: dict[str, Any] = {"media_type": media_type, "format": fmt}
    try:
        if fmt in IMAGE_READERS:
            with io.BytesIO(data) if data is not None else open(path, "rb") as f:
                facts.update(IMAGE_READERS[fmt](f))
        elif fmt == "wav":
            facts.update(_wav(path))
        elif fmt in ("mkv", "webm"):
            facts.update(_matroska(path))
        elif fmt == "avi":
            facts.update(_avi(path))
        elif fmt in MUTAGEN_FORMATS:
            facts.update(_mutagen(path, fmt))
            if fmt == "ogg":
                codec = facts.get("codec", "")
                facts["format"] = "opus" if "opus" in codec else "ogg"
                if "theora" in codec:
                    facts["media_type"] = "video"
            if fmt in ("mp4", "mov", "3gp") and not _mp4_has_video(path):
                facts["media_type"] = "audio"
                facts["format"] = "m4a" if fmt == "mp4" else fmt
        if fmt in ("wav", "webp", "avi") and _riff_truncated(path):
            facts["truncated"] = True
        duration = facts.get("duration_seconds")
        if (
            fmt != "midi"  # notes, not samples: minutes of music in a few kilobytes
            and isinstance(duration, (int, float))
            and duration > 0
            and os.path.getsize(path) * 8 / duration < MIN_BITRATE
        ):
            facts["truncated"] = True  # the header claims a length the bytes cannot hold
    except (struct.error, OSError, ValueError) as e:
        raise ExtractionError(f"corrupt or truncated {fmt.upper()}: {e}", "corrupt") from None
    return facts
