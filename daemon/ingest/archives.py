"""Archives (zip, tar, tar.gz/.tgz, tar.bz2, tar.xz, .gz): each member is a file of its own.

A member's path is ``<archive path>!<member name>`` (``reports.zip!q3/summary.md``): it has
its own journal entry, hash, proposal and failures, exactly as a file on disk would. The
archive's own entry stays "seen" until every member is settled, then becomes "unpacked";
a crash in between resumes the archive, and the members already done are found unchanged
in the journal (their proposals commit with their state), so each is proposed once.

Limits keep a hostile archive from filling memory or the disk: a member count, a size per
member (the extraction limit), a total, and a compression ratio (a zip bomb is refused
before anything is decompressed; a gzip bomb as soon as it passes the ratio). An archive
that cannot be read (corrupt, over a limit) fails permanently: the same bytes would fail
the same way, so it is recorded once and not retried. Nested archives are not unpacked.
"""

from __future__ import annotations

import asyncio
import bz2
import gzip
import hashlib
import io
import logging
import lzma
import os
import posixpath
import stat
import tarfile
import tempfile
import time
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import IO, TYPE_CHECKING, Any

from ..errors import DaemonError
from ..extract import ExtractionError, ExtractLimits, extract
from . import journal as j
from .opening import Opened, fd_path

if TYPE_CHECKING:
    from ..events import EventBus
    from ..extract.types import Extraction
    from .pipeline import Pipeline
    from .reading import Read

log = logging.getLogger("clarityd.ingest")

SEP = "!"
MAX_MEMBERS = 2000
MAX_RATIO = 200  # uncompressed : compressed, over the whole archive (real archives stay far below)
RATIO_FLOOR = 8 * 1024 * 1024  # below this much uncompressed, any ratio is harmless
COPY_CHUNK = 1 << 20
# Zip-based formats that are documents or packages, not folders of files: left whole.
# Names that say "archive" (packages included: a wheel, a jar and a gem are archives): members of
# an archive under any other name (gzip bytes called report.csv) are not what the name says.
ARCHIVE_EXTENSIONS = {
    ".zip", ".jar", ".war", ".whl", ".egg", ".nupkg", ".apk", ".xpi", ".crate", ".gem",
    ".tar", ".tgz", ".tbz", ".tbz2", ".txz", ".taz", ".gz", ".bz2", ".xz", ".z",
}  # fmt: skip

ZIP_DOCUMENT_EXTENSIONS = {
    ".docx",
    ".xlsx",
    ".pptx",
    ".docm",
    ".xlsm",
    ".odt",
    ".ods",
    ".odp",
    ".odg",
    ".epub",
    ".jar",
    ".war",
    ".apk",
    ".xpi",
    ".vsix",
    ".nupkg",
    ".kmz",
    ".3mf",
    ".whl",
    ".egg",
}


class IsArchive(Exception):
    """Raised where a file is about to be extracted: it is an archive, to be unpacked."""

    def __init__(self, fmt: str) -> None:
        super().__init__(fmt)
        self.format = fmt


@dataclass(frozen=True)
class Member:
    """One regular file inside an archive."""

    name: str  # its path inside the archive, normalised (no leading slash or ./)
    size: int  # uncompressed bytes, as the archive declares them
    mtime: float
    handle: Any = None  # the format's own record of it (ZipInfo, TarInfo)
    doubt: str | None = None  # what makes the archive around it untrustworthy


def member_path(archive: str, name: str) -> str:
    """The path a member is known by: ``archive!name``."""
    return f"{archive}{SEP}{name}"


def archive_of(path: str) -> str | None:
    """For a member path whose archive is a regular file on disk, that archive's path;
    None for anything else (a file whose own name has a ``!`` in it included)."""
    if SEP not in path or os.path.lexists(path):
        return None
    start = 0
    while (i := path.find(SEP, start)) > 0:
        try:
            if stat.S_ISREG(os.stat(path[:i]).st_mode):
                return path[:i]
        except OSError:
            pass
        start = i + 1
    return None


def _escapes(name: str) -> bool:
    """An entry name that points outside the folder it is unpacked in (zip slip): absolute,
    a drive, or climbing with '..'. No honest packer writes one."""
    name = name.replace("\\", "/")
    return name.startswith("/") or name[1:3] == ":/" or ".." in name.split("/")


def _clean_name(name: str) -> str | None:
    name = name.replace("\\", "/").replace("\x00", "")
    name = posixpath.normpath(name.lstrip("/")) if name.strip("/") else ""
    return None if name in ("", ".") or name.startswith("../") else name


def archive_format(path: str, name: str | None = None) -> str | None:
    """zip, tar, tar.gz, tar.bz2, tar.xz or gzip, told by the bytes; None for anything else
    (zip-based documents like .docx and .odt included: they are not folders of files, as
    their ``name`` says; a lone .bz2 or .xz is left to extraction, which names it)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)  # a FIFO put in its place must not block us
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            os.close(fd)
            return None
        with os.fdopen(fd, "rb") as f:
            head = f.read(512)
            if head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
                return None if os.path.splitext(name or path)[1].lower() in ZIP_DOCUMENT_EXTENSIONS else "zip"
            if _is_tar(head):
                return "tar"
            compressed = next((c for c in COMPRESSIONS if head.startswith(c[0])), None)
            if compressed is None:
                return None
            _, opener, tar_name, alone = compressed
            f.seek(0)
            try:
                with opener(fileobj=f) if opener is gzip.GzipFile else opener(f) as inner:
                    first = inner.read(512)
            except (OSError, EOFError, lzma.LZMAError, zlib.error):
                first = b""  # corrupt: unpacking says so, as a permanent failure
            return tar_name if _is_tar(first) else alone
    except OSError:
        return None


def _is_tar(head: bytes) -> bool:
    return len(head) > 262 and head[257:262] == b"ustar"


# (magic, opener, the name when a tar is inside, the name when not: None = not unpacked)
COMPRESSIONS: tuple[tuple[bytes, Any, str, str | None], ...] = (
    (b"\x1f\x8b", gzip.GzipFile, "tar.gz", "gzip"),
    (b"BZh", bz2.BZ2File, "tar.bz2", None),
    (b"\xfd7zXZ\x00", lzma.LZMAFile, "tar.xz", None),
)


class Archive:
    """An open archive: its members (checked against the limits) and a way to read each,
    in order. Every failure is an ExtractionError; corrupt or over a limit is permanent."""

    def __init__(self, path: str, fmt: str, limits: ExtractLimits, source: str | None = None) -> None:
        # path: the archive's name in the journal; source: what to open (the ingest pipeline
        # passes the descriptor it already checked, see ingest/opening.py fd_path).
        self.path, self.fmt, self.limits = path, fmt, limits
        self.source = source or path
        self.skipped = 0  # links, devices, folders, unsafe names: not files to read
        self.escaping: list[str] = []  # entry names that point outside the archive
        self._zip: zipfile.ZipFile | None = None
        self._tar: tarfile.TarFile | None = None
        self._gzip_data: bytes | None = None
        try:
            self.size = os.path.getsize(self.source)
            self.members = self._open()
        except (zipfile.BadZipFile, tarfile.TarError, EOFError, zlib.error, lzma.LZMAError, OSError) as e:
            self.close()
            if isinstance(e, OSError) and e.errno is not None:  # the disk or the file, not its bytes
                raise ExtractionError(
                    f"cannot read the archive: {e.strerror or e}", "unreadable", permanent=False
                ) from None
            raise ExtractionError(f"corrupt {fmt} archive: {e}", "corrupt") from None
        except ExtractionError:
            self.close()
            raise

    def _open(self) -> list[Member]:
        if self.fmt == "zip":
            self._zip = zipfile.ZipFile(self.source)
            return self._check(self._zip_members(self._zip))
        if self.fmt == "gzip":
            return self._check(self._gzip_member())
        self._tar = tarfile.open(self.source, "r:*")  # noqa: SIM115 - kept open for read(), closed by close()
        return self._check(self._tar_members(self._tar))

    def _check(self, found: Iterator[Member]) -> list[Member]:
        members: list[Member] = []
        seen: set[str] = set()
        total = 0
        for m in found:
            if m.name in seen:
                self.skipped += 1  # a name twice (zip allows it): the first one counts
                continue
            seen.add(m.name)
            members.append(m)
            total += m.size
            if len(members) > MAX_MEMBERS:
                raise ExtractionError(f"archive has more than {MAX_MEMBERS} files: not unpacked", "too_large")
            if total > self.limits.max_decompressed_bytes:
                raise ExtractionError(
                    f"archive unpacks to more than {self.limits.max_decompressed_bytes} bytes: not unpacked",
                    "too_large",
                )
            if total > RATIO_FLOOR and total > MAX_RATIO * max(self.size, 1):
                raise ExtractionError(
                    f"archive unpacks to over {MAX_RATIO} times its size (a zip bomb?): not unpacked", "too_large"
                )
        if self.escaping:  # crafted to write outside its folder: what else it holds waits for a person
            doubt = f"from an archive with entries that point outside it ({self.escaping[0]!r})"
            members = [replace(m, doubt=doubt) for m in members]
        return members

    def _zip_members(self, zf: zipfile.ZipFile) -> Iterator[Member]:
        for info in zf.infolist():
            if _escapes(info.filename):
                self.escaping.append(info.filename)
            name = _clean_name(info.filename)
            if info.is_dir() or name is None or stat.S_ISLNK(info.external_attr >> 16):
                self.skipped += info.is_dir() is False
                continue
            try:
                mtime = time.mktime((*info.date_time, 0, 0, -1))
            except (OverflowError, ValueError):
                mtime = 0.0
            yield Member(name, info.file_size, mtime, info)

    def _tar_members(self, tf: tarfile.TarFile) -> Iterator[Member]:
        while (info := tf.next()) is not None:
            if _escapes(info.name):
                self.escaping.append(info.name)
            name = _clean_name(info.name)
            if not info.isreg() or name is None:
                self.skipped += not info.isdir()
                continue
            yield Member(name, info.size, float(info.mtime), info)

    def _gzip_member(self) -> Iterator[Member]:
        # Its size is known only once decompressed: read it now, within the limits.
        limit = min(self.limits.max_file_bytes, self.limits.max_decompressed_bytes)
        ratio_limit = max(RATIO_FLOOR, MAX_RATIO * self.size)
        with gzip.open(self.source, "rb") as g:
            if ratio_limit < limit:
                data = _read_capped(
                    g, ratio_limit, f"archive unpacks to over {MAX_RATIO} times its size (a zip bomb?): not unpacked"
                )
            else:
                data = _read_capped(g, limit, f"{os.path.basename(self.path)} unpacks to more than {limit} bytes")
        self._gzip_data = data
        base = os.path.basename(self.path)
        name = base[:-3] if base.lower().endswith(".gz") and len(base) > 3 else base  # report.csv: a CSV, gzipped
        yield Member(name, len(data), os.path.getmtime(self.source))

    def read(self, member: Member) -> bytes:
        """A member's bytes; ExtractionError when it is over the size limit or unreadable."""
        if member.size > self.limits.max_file_bytes:
            raise ExtractionError(
                f"file is {member.size} bytes, over the limit of {self.limits.max_file_bytes} bytes", "too_large"
            )
        too_big = f"{member.name} unpacks to more than {self.limits.max_file_bytes} bytes"
        try:
            if self._gzip_data is not None:
                return self._gzip_data
            if self._zip is not None:
                if member.handle.flag_bits & 0x1:
                    raise ExtractionError("the file is encrypted in the archive", "encrypted")
                with self._zip.open(member.handle) as f:
                    return _read_capped(f, self.limits.max_file_bytes, too_big)
            assert self._tar is not None
            packed = self._tar.extractfile(member.handle)
            if packed is None:
                raise ExtractionError("not a regular file in the archive", "not_a_file")
            with packed:
                data = _read_capped(packed, self.limits.max_file_bytes, too_big)
            if len(data) != member.size:  # tar has no checksum of the data: its size is the check
                raise ExtractionError(
                    f"{member.name} is cut short in the archive ({len(data)} of {member.size} bytes)", "corrupt"
                )
            return data
        except (
            zipfile.BadZipFile,
            tarfile.TarError,
            EOFError,
            zlib.error,
            lzma.LZMAError,
            OSError,
            NotImplementedError,
            RuntimeError,
        ) as e:
            transient = isinstance(e, OSError) and e.errno is not None  # the disk, not the bytes
            raise ExtractionError(
                f"cannot unpack {member.name}: {e}", "unreadable" if transient else "corrupt", permanent=not transient
            ) from None

    def close(self) -> None:
        for handle in (self._zip, self._tar):
            if handle is not None:
                handle.close()
        self._gzip_data = None

    def __enter__(self) -> Archive:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _read_capped(f: IO[bytes] | io.BufferedIOBase, limit: int, message: str) -> bytes:
    """Read to the end, but never more than ``limit`` bytes (declared sizes may lie)."""
    chunks = []
    total = 0
    while chunk := f.read(COPY_CHUNK):
        total += len(chunk)
        if total > limit:
            raise ExtractionError(message, "too_large")
        chunks.append(chunk)
    return b"".join(chunks)


def extract_member(data: bytes, member: Member, archive: str, limits: ExtractLimits) -> Extraction:
    """Extract a member's bytes as the file it is, known by its member path."""
    safe = os.path.basename(member.name).replace(os.sep, "_")[:200] or "member"
    with tempfile.TemporaryDirectory(prefix="clarity-member-") as folder:
        tmp = os.path.join(folder, safe)
        with open(tmp, "wb") as f:
            f.write(data)
        extraction = extract(tmp, limits)
    extraction.path = member_path(archive, member.name)
    ext = os.path.splitext(archive)[1].lower()
    if ext and ext not in ARCHIVE_EXTENSIONS:
        extraction.suspect = [*extraction.suspect, f"unpacked from an archive named {ext}"]
    if member.doubt:
        extraction.suspect = [*extraction.suspect, member.doubt]
    extraction.metadata["archive"] = archive
    extraction.metadata["member"] = member.name
    if member.mtime:
        extraction.metadata["modified_at"] = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(member.mtime))
    return extraction


def iter_extractions(path: str, fmt: str, limits: ExtractLimits) -> Iterator[tuple[str, Extraction | ExtractionError]]:
    """(member path, extraction or the error reading it) for every member, in order; the
    archive's own failure is raised (``clarity infer`` uses this, with no journal)."""
    with Archive(path, fmt, limits) as archive:
        for member in archive.members:
            try:
                yield member_path(path, member.name), extract_member(archive.read(member), member, path, limits)
            except ExtractionError as e:
                yield member_path(path, member.name), e
        if archive.skipped:  # said, as the journal says it: a member named ../x is otherwise simply nowhere
            yield path, ExtractionError(f"archive: {skipped_note(archive.skipped)}", "unsupported")


def skipped_note(skipped: int) -> str:
    """What is said of an archive's entries that are not read as files."""
    return (
        f"{skipped} entr{'y' if skipped == 1 else 'ies'} not read (a link, a device, a name "
        "leading outside the archive, or a name repeated)"
    )


# -- the pipeline's part --------------------------------------------------------------------


def _member_seen(
    events: EventBus, path: str, size: int, mtime_ns: int, sha: str, retry_failed: bool
) -> tuple[dict[str, Any], str]:
    """record_seen for a member. A failed member is tried again only when its archive is
    retried; one already done is never proposed twice by a retry of its archive."""
    entry = j.locked_entry(path=path)
    force = retry_failed and entry is not None and entry.state in (j.FAILED, j.QUARANTINED)
    found, action = j.record_seen(path, size, mtime_ns, sha, force)
    if action == "process" and found.state == j.SEEN:
        events.emit("ingest.seen", j.subject(found), {"path": path, "sha256": sha, "size": size})
    elif action == "duplicate":
        events.emit("ingest.duplicate", j.subject(found), {"path": path, "duplicate_of": found.duplicate_of})
    return found.__data__.copy(), action


def _unpacked(
    events: EventBus, entry_id: int, sha: str, fmt: str, members: int, failed: int, skipped: int
) -> dict[str, Any]:
    entry = j.locked_entry(entry_id)
    if entry is None or entry.sha256 != sha or entry.state not in j.UNFINISHED:
        return dict(entry.__data__) if entry else {}
    # Entries not read are said too: a member named ../x is otherwise simply nowhere.
    notes = [f"{failed} of the {members} files in it failed"] if failed else []
    if skipped:
        notes.append(skipped_note(skipped))
    note = "; ".join(notes) or None
    j.save(entry, state=j.UNPACKED, kind="archive", last_error=note, next_attempt_at=None, attempts=0)
    events.emit(
        "ingest.unpacked",
        j.subject(entry),
        {"path": entry.path, "format": fmt, "files": members, "failed": failed, "skipped": skipped},
    )
    return dict(entry.__data__)


async def unpack(
    pipeline: Pipeline, opened: Opened, path: str, entry: dict[str, Any], sha: str, force: bool, fmt: str
) -> dict[str, Any]:
    """Ingest every member of the archive ``opened`` (journaled as ``path``, its entry just
    recorded as seen), then mark the archive unpacked. Stopping midway leaves it seen:
    resumed at start-up."""
    loop = asyncio.get_running_loop()
    limits = pipeline.settings.limits

    def open_archive() -> Archive:
        return Archive(path, fmt, limits, source=fd_path(opened))  # the descriptor already checked, not the name

    try:
        archive = await loop.run_in_executor(pipeline._pool, open_archive)
    except ExtractionError as e:
        return await pipeline._fail(path, entry["id"], sha, str(e), e.permanent)
    failed = 0
    try:
        for member in archive.members:
            if pipeline.stopping:
                return entry
            result = await _member(pipeline, archive, member, force)
            failed += result.get("state") in (j.FAILED, j.QUARANTINED)
    finally:
        archive.close()
    done = await pipeline.commits.write(
        path, _unpacked, pipeline.events, entry["id"], sha, fmt, len(archive.members), failed, archive.skipped
    )
    if done.get("state") == j.UNPACKED and not failed:
        pipeline._after_done(done)  # delete_after_ingest: only once every file in it is in
    return done


async def _member(pipeline: Pipeline, archive: Archive, member: Member, force: bool) -> dict[str, Any]:
    """One member through the journal, extraction, inference and proposal."""
    loop = asyncio.get_running_loop()
    path = member_path(archive.path, member.name)
    limits = pipeline.settings.limits
    try:
        data = await loop.run_in_executor(pipeline._pool, archive.read, member)
    except ExtractionError as e:
        return await pipeline._fail_unread(path, str(e), member.size, int(member.mtime * 1e9), e.permanent)
    sha = hashlib.sha256(data).hexdigest()
    entry, action = await pipeline.commits.write(
        path, _member_seen, pipeline.events, path, len(data), int(member.mtime * 1e9), sha, force
    )
    if action != "process":
        return entry

    def read_and_infer() -> Read:
        extraction = extract_member(data, member, archive.path, limits)
        return pipeline._infer(extraction)

    try:
        read = await asyncio.wait_for(loop.run_in_executor(pipeline._pool, read_and_infer), limits.timeout_s * 2 + 10)
    except TimeoutError:
        return await pipeline._fail(path, entry["id"], sha, f"extraction took longer than {limits.timeout_s:g} s")
    except ExtractionError as e:
        return await pipeline._fail(path, entry["id"], sha, str(e), e.permanent)
    except Exception as e:  # a bug on one member must not stop the others
        log.exception("extracting %s failed", path)
        return await pipeline._fail(path, entry["id"], sha, f"{type(e).__name__}: {e}")
    try:
        entry, _ = await pipeline.commits.write(path, pipeline._propose, entry["id"], sha, *read)
    except DaemonError as e:
        return await pipeline._fail(path, entry["id"], sha, f"proposal refused: {e.message}")
    return entry
