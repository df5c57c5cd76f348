"""The ingest journal: every file seen, its content hash, and where its journey stands.

Functions named ``record_*``/``mark_*`` run inside ``Store.write`` (one transaction on
the writer thread); the state a file reaches commits together with the proposal it led
to, so a SIGKILL at any moment leaves either the old state (the work is redone) or the
new one (the work is done), never half of each.

States: seen (content known, being read) → proposed | applied (its proposal was applied:
a row exists) | duplicate (the same content was proposed from another path) | failed
(with the reason; retried with backoff) → quarantined (only if configured); refused (not
read on purpose: a FIFO, socket or device, or a link leading outside the watched folders;
recorded once, never retried by itself, looked at again when it changes). "extracted"
(read, not yet proposed) is no longer written: what a file reaches after reading commits
with its proposal, and a transaction of its own per file only cost time. Journals that
have it are still understood (and its entries resumed like seen ones).

The hot statements go through :mod:`daemon.storage.compiled` (their SQL built once): the
journal is written several times per file, on the one writer thread.

Paths are held in the stored form of :mod:`.names` (valid text whatever the name's bytes).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import peewee

from ..storage import compiled
from ..storage.models import utcnow
from ..storage.rows import tuple_rows

SEEN, EXTRACTED, PROPOSED, APPLIED, FAILED, QUARANTINED, DUPLICATE, REFUSED = (
    "seen",
    "extracted",
    "proposed",
    "applied",
    "failed",
    "quarantined",
    "duplicate",
    "refused",
)
UNPACKED = "unpacked"  # an archive whose members went in as files of their own (see archives.py)
STATES = (SEEN, EXTRACTED, PROPOSED, APPLIED, FAILED, QUARANTINED, DUPLICATE, REFUSED, UNPACKED)
RETRYABLE = (FAILED, QUARANTINED, REFUSED)  # what ingest.retry takes
UNFINISHED = (SEEN, EXTRACTED)  # resumed at start-up
DONE = (PROPOSED, APPLIED, DUPLICATE)  # the content reached governance (or was linked to what did)


class JournalEntry(peewee.Model):
    """One file (by path) and the latest content seen there."""

    id = peewee.BigAutoField()
    path = peewee.TextField(unique=True)
    size = peewee.BigIntegerField(null=True)
    mtime_ns = peewee.BigIntegerField(null=True)
    sha256 = peewee.TextField(null=True, index=True)
    state = peewee.TextField(index=True)
    kind = peewee.TextField(null=True)  # what the extractor read it as: text, pdf, dataset...
    table = peewee.TextField(null=True)  # the memory table its proposal targets
    attempts = peewee.IntegerField(default=0)  # failed tries of the current content
    last_error = peewee.TextField(null=True)
    proposal_id = peewee.BigIntegerField(null=True, index=True)  # the latest proposal made from it
    row_id = peewee.BigIntegerField(null=True)  # the row that proposal (or an earlier one) produced
    duplicate_of = peewee.BigIntegerField(null=True)  # the entry that first proposed this content
    quarantine_path = peewee.TextField(null=True)
    next_attempt_at = peewee.DateTimeField(null=True, index=True)
    first_seen_at = peewee.DateTimeField(default=utcnow)
    updated_at = peewee.DateTimeField(default=utcnow, index=True)

    class Meta:
        table_name = "clarity_ingest_journal"


class ContentSeen(peewee.Model):
    """Each content (sha256) that reached governance, and the entry that took it there.

    The primary key makes "proposed once, whatever its name" hold even with several
    daemons on one PostgreSQL: the second one to commit the same content gets a conflict
    and links its file as a duplicate instead."""

    sha256 = peewee.TextField(primary_key=True)
    entry_id = peewee.BigIntegerField()
    proposal_id = peewee.BigIntegerField(null=True)
    created_at = peewee.DateTimeField(default=utcnow)

    class Meta:
        table_name = "clarity_ingest_content"


class EntryProposal(peewee.Model):
    """The proposals one content of a file led to: one, or one per record of a dataset
    routed to a domain table (a vendor list gives a proposal per vendor). ``version`` is
    the first proposal's id; the entry's ``proposal_id`` names its latest version."""

    id = peewee.BigAutoField()
    entry_id = peewee.BigIntegerField(index=True)
    version = peewee.BigIntegerField(index=True)
    position = peewee.IntegerField()
    proposal_id = peewee.BigIntegerField(index=True)

    class Meta:
        table_name = "clarity_ingest_proposals"


MODELS = (JournalEntry, ContentSeen, EntryProposal)


def subject(entry: JournalEntry) -> str:
    """The events' subject for a file: its history is every event with this subject."""
    return f"ingest/{entry.id}"


def save(entry: JournalEntry, **changes: Any) -> JournalEntry:
    """Change some of an entry's columns (only those: a narrow UPDATE is much cheaper)."""
    for name, value in changes.items():
        setattr(entry, name, value)
    entry.updated_at = utcnow()
    compiled.update(JournalEntry, {**changes, "updated_at": entry.updated_at}, id=entry.id)
    entry._dirty.clear()  # type: ignore[attr-defined]  # Peewee's change set, not in its stubs
    return entry


# -- transitions (inside Store.write) ------------------------------------------------------


def record_seen(
    path: str, size: int, mtime_ns: int, sha256: str, force: bool, claim: bool = False
) -> tuple[JournalEntry, str]:
    """Note the content now at ``path``. Returns the entry and what to do next:
    "process" (read it), "unchanged" (nothing new), "duplicate" (linked to the original).
    ``claim``: the content is proposed in this same write, so claim it now (:func:`claim_content`,
    one statement where looking for another path's claim took one too); "claimed" then
    says it is this entry's to propose."""
    entry = locked_entry(path=path)
    created = False
    if entry is None:
        entry, created = _create_entry(path, size=size, mtime_ns=mtime_ns, sha256=sha256, state=SEEN)
    if not created:
        if entry.sha256 == sha256 and not force:
            if entry.state in UNFINISHED:
                return entry, "process"  # resumed after a restart
            if (entry.size, entry.mtime_ns) != (size, mtime_ns):
                save(entry, size=size, mtime_ns=mtime_ns)  # touched, same bytes: remember, do nothing
            return entry, "unchanged"
        changed = entry.sha256 != sha256
        save(
            entry,
            size=size,
            mtime_ns=mtime_ns,
            sha256=sha256,
            state=SEEN,
            last_error=None,
            next_attempt_at=None,
            duplicate_of=None,
            quarantine_path=None,
            attempts=0 if changed else entry.attempts,
        )
    if claim:
        original = claim_content(entry)
        return (mark_duplicate(entry, original), "duplicate") if original is not None else (entry, "claimed")
    original = compiled.get(ContentSeen, sha256=sha256)
    if original is not None and original.entry_id != entry.id:
        return mark_duplicate(entry, original), "duplicate"
    return entry, "process"


def _shared(db: peewee.Database) -> bool:
    """PostgreSQL may have several daemons writing; SQLite has one writer, ours."""
    return isinstance(db, peewee.PostgresqlDatabase)


def _create_entry(path: str, **values: Any) -> tuple[JournalEntry, bool]:
    """A new entry, and whether this call created it: with several daemons on one
    PostgreSQL watching one shared folder, the one that loses the race to create it gets
    the winner's entry instead of an error."""
    db = JournalEntry._meta.database
    if not _shared(db):
        return compiled.create(JournalEntry, path=path, **values), True
    try:
        with db.atomic():  # a savepoint: the conflict leaves the rest of the write intact
            return compiled.create(JournalEntry, path=path, **values), True
    except peewee.IntegrityError:
        return JournalEntry.get(JournalEntry.path == path), False


def locked(query: peewee.Select) -> peewee.Select:
    """``query`` locking the entries it reads until this write commits, where daemons share
    the database: two of them changing one file one after the other see each other's
    outcome instead of overwriting it. (SQLite has one writer and no FOR UPDATE.)"""
    return query.for_update() if _shared(JournalEntry._meta.database) else query


def locked_entry(entry_id: int | None = None, path: str | None = None) -> JournalEntry | None:
    """The entry by id or path, locked (see :func:`locked`)."""
    shared = _shared(JournalEntry._meta.database)
    if path is None:
        return compiled.get(JournalEntry, for_update=shared, id=entry_id)
    return compiled.get(JournalEntry, for_update=shared, path=path)


def entry_for_failure(path: str) -> JournalEntry:
    """The entry to record a failure on, created if the file was never journaled."""
    entry = locked_entry(path=path)
    return entry if entry is not None else _create_entry(path, state=SEEN)[0]


def mark_duplicate(entry: JournalEntry, original: ContentSeen) -> JournalEntry:
    return save(entry, state=DUPLICATE, duplicate_of=original.entry_id, last_error=None, next_attempt_at=None)


def claim_content(entry: JournalEntry) -> ContentSeen | None:
    """Record that ``entry``'s content is going to governance; return the original entry's
    record instead when another path got there first."""
    # One statement in the usual case: insert unless the content is known. Several daemons
    # may share PostgreSQL: ON CONFLICT DO NOTHING waits for the other's insert to commit
    # or roll back, so the loser reads the winner's claim below, with no error to recover.
    if compiled.insert(ContentSeen, {"sha256": entry.sha256, "entry_id": entry.id}, ignore_conflict=True):
        return None
    existing = compiled.get(ContentSeen, sha256=entry.sha256)
    if existing is None or existing.entry_id == entry.id:
        return None  # claimed by this entry before (a retry of its own content)
    return existing


def content_proposed(sha256: str, proposal_id: int) -> None:
    compiled.update(ContentSeen, {"proposal_id": proposal_id}, sha256=sha256)


def mark_failed(entry: JournalEntry, error: str, retry_at: datetime | None, also: tuple[str, ...] = ()) -> JournalEntry:
    """One more failed try; ``also`` names other columns already set on ``entry`` to write."""
    return save(
        entry,
        state=FAILED,
        last_error=error,
        attempts=entry.attempts + 1,
        next_attempt_at=retry_at,
        **{name: getattr(entry, name) for name in also},
    )


def mark_refused(path: str, reason: str, size: int, mtime_ns: int) -> tuple[JournalEntry, bool]:
    """Record that the file at ``path`` is not read, and why; True when that is news (it was
    not refused as it is now before), so the caller says so once, not at every rescan."""
    entry = entry_for_failure(path)
    if entry.state == REFUSED and (entry.size, entry.mtime_ns, entry.last_error) == (size, mtime_ns, reason):
        return entry, False
    save(
        entry,
        state=REFUSED,
        size=size,
        mtime_ns=mtime_ns,
        sha256=None,
        last_error=reason,
        next_attempt_at=None,
        attempts=0,
        duplicate_of=None,
    )
    return entry, True


def backoff(
    attempts: int, base_s: float, max_s: float, max_attempts: int, now: datetime | None = None
) -> datetime | None:
    """When the next automatic try is due after ``attempts`` failures: base, 4×base,
    16×base..., capped; None once the attempts are spent."""
    if attempts >= max_attempts:
        return None
    delay = min(base_s * 4 ** max(attempts - 1, 0), max_s)
    return (now or utcnow()) + timedelta(seconds=delay)


# -- reads (inside Store.read) ------------------------------------------------------------


def entry_by_path(path: str) -> JournalEntry | None:
    return JournalEntry.get_or_none(JournalEntry.path == path)


def snapshot() -> dict[str, tuple[int | None, int | None, str]]:
    """path → (size, mtime_ns, state) of every entry, for a rescan to compare against."""
    query = JournalEntry.select(JournalEntry.path, JournalEntry.size, JournalEntry.mtime_ns, JournalEntry.state)
    return {path: (size, mtime, state) for path, size, mtime, state in query.tuples().iterator()}


def unfinished_paths() -> list[str]:
    query = JournalEntry.select(JournalEntry.path).where(JournalEntry.state.in_(UNFINISHED))
    return [path for (path,) in tuple_rows(query)]


def due_retries(now: datetime, limit: int = 500) -> list[str]:
    query = (
        JournalEntry.select(JournalEntry.path)
        .where(JournalEntry.state == FAILED, JournalEntry.next_attempt_at <= now)
        .order_by(JournalEntry.next_attempt_at)
        .limit(limit)
    )
    return [path for (path,) in tuple_rows(query)]


def counts() -> dict[str, int]:
    query = JournalEntry.select(JournalEntry.state, peewee.fn.COUNT(JournalEntry.id)).group_by(JournalEntry.state)
    found: dict[str, int] = dict(tuple_rows(query))
    return {state: int(found.get(state, 0)) for state in STATES}


def recent_failures(limit: int) -> list[JournalEntry]:
    query = (
        JournalEntry.select()
        .where(JournalEntry.state.in_(RETRYABLE))
        .order_by(JournalEntry.updated_at.desc(), JournalEntry.id.desc())
        .limit(limit)
    )
    return list(query)


def failed_paths() -> list[str]:
    query = JournalEntry.select(JournalEntry.path).where(JournalEntry.state.in_(RETRYABLE))
    return [path for (path,) in tuple_rows(query)]
