"""Learning from operators: approvals, rejections and corrected tables change the next routing.

When a file becomes a proposal, :meth:`Learner.remember` stores compact features of it
(kind, extension, format, language, its most telling words, dataset columns): not the text.
When an operator approves or rejects that proposal, the decision becomes a *lesson*: this
kind of file belongs (or does not belong) in that table. :meth:`Learner.adjust` compares a
new file with the lessons; similar files approved into a table route there, with more
confidence the more consistent the decisions were; a table operators rejected similar
files from loses confidence, so the next one waits for a person.

Automatic approvals (by ``clarityd`` itself) are not lessons: the system would only be
agreeing with itself.
"""

from __future__ import annotations

import asyncio
import logging
import math
import re
import threading
import time
from collections import Counter
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, NamedTuple

import peewee

from ..catalog import TableSpec
from ..extract.types import Extraction
from ..governance import SYSTEM_ACTOR, Proposal
from ..storage.models import json_field, utcnow
from .lexicon import norm_column, tokens
from .shapes import shape_of

if TYPE_CHECKING:
    from ..events import EventBus
    from ..storage import Store

log = logging.getLogger(__name__)

TOP_WORDS = 40
SIMILAR = 0.4  # similarity from which one lesson applies on its own (a near-copy of a decided file)
UNSHARED_MAX = 0.25 + 0.05 + 0.05  # the most similarity gives two files with no word and no column in common
# A table's lessons as a whole: the idf-weighted share of a file's telling words that files
# operators filed there also used. Files on one topic by different hands share about a third
# of their telling words (0.26-0.40 between the look-alike files of tests/test_learning.py);
# unrelated files share everyday words only (at most 0.13 across tests/corpus).
GROUP_SIMILAR = 0.2
GROUP_MARGIN = 1.5  # ...and that many times the next table's, so two lessons that disagree settle nothing
GROUP_SURE_LESSONS = 3  # decisions behind a learned routing before it is applied unseen
GROUP_SURE_SIMILAR = 0.3
# The rules are this sure (a file whose columns all name one table's fields): fewer than
# GROUP_SURE_LESSONS corrections do not move the file against them, they keep it for a person.
RULES_SURE = 0.90
LESSON_DOUBT_CAP = 0.88
PROSE = {"text", "markdown", "pdf"}  # one family: a memo is alike as .md, .txt or PDF
MAX_LESSONS = 5000  # newest kept in memory
REFRESH_S = 120.0  # other daemons on the same database teach too: re-read this often
_STOP = set(
    """the and for with that this from are was were been have has had not but you your our their they
them its into over under than then there here what when where which who whom will would should could can may
might must shall also only just more most such each other some any all both either these those about after
before while because through between within without upon very much many same like make made does did doing
being same used using use one two three four five first second new per via etc""".split()
)


class ProposalFeatures(peewee.Model):
    """Compact features of the file behind a proposal, kept until its decision."""

    proposal_id = peewee.BigIntegerField(primary_key=True)
    proposed_table = peewee.TextField()
    features = json_field()
    created_at = peewee.DateTimeField(default=utcnow)

    class Meta:
        table_name = "clarity_inference_features"


class Lesson(peewee.Model):
    """One operator decision: files like these do (+1) or do not (-1) belong in ``table``."""

    id = peewee.BigAutoField()
    proposal_id = peewee.BigIntegerField(index=True)
    table = peewee.TextField(index=True)
    verdict = peewee.IntegerField()
    features = json_field()
    actor = peewee.TextField(null=True)
    created_at = peewee.DateTimeField(default=utcnow, index=True)

    class Meta:
        table_name = "clarity_inference_lessons"
        # One lesson per decision and table, however many daemons hear of the decision.
        indexes = ((("proposal_id", "table"), True),)


def features(ex: Extraction) -> dict[str, Any]:
    """What is kept of a file to recognise similar ones: no text, only telling words."""
    m = ex.metadata
    body = f"{ex.title or ''}\n{ex.text[:20_000]}"
    counts = Counter(w for w in tokens(body) if len(w) >= 4 and w not in _STOP and not w.isdigit())
    return {
        "kind": ex.kind,
        "ext": m.get("extension") or "",
        "format": m.get("format") or m.get("language") or ex.mime_type,
        "words": [w for w, _ in counts.most_common(TOP_WORDS)],
        "title": sorted({w for w in tokens(ex.title or "") if len(w) >= 3 and w not in _STOP})[:20],
        "columns": [norm_column(c) for c in (m.get("columns") or _keys(ex))][:200],
    }


def _keys(ex: Extraction) -> list[str]:
    """The keys of a YAML, TOML, JSON or XML file: what tells two configs of one kind alike."""
    if ex.kind not in ("code", "text"):
        return []
    shape = shape_of(ex)
    return shape.keys if shape is not None else []


def _jaccard(a: set[str], b: set[str]) -> float:
    if not a or not b:
        return 0.0
    shared = len(a & b)
    return shared / (len(a) + len(b) - shared)  # the size of a | b, without making it


def _family(kind: Any) -> Any:
    return "prose" if kind in PROSE else kind


class _Compared(NamedTuple):
    """A file's features as :func:`similarity` compares them: sets, made once."""

    family: Any
    kind: Any
    ext: Any
    format: Any
    words: set[str]
    title: set[str]
    columns: set[str]


def _compared(feats: dict[str, Any]) -> _Compared:
    return _Compared(
        _family(feats.get("kind")),
        feats.get("kind"),
        feats.get("ext"),
        feats.get("format"),
        set(feats.get("words", [])),
        set(feats.get("title", [])),
        set(feats.get("columns") or []),
    )


def similarity(a: dict[str, Any], b: dict[str, Any]) -> float:
    """0..1: how alike two files' features are (0 when one is prose and the other code, data or media)."""
    return _similarity(_compared(a), _compared(b))


def _similarity(a: _Compared, b: _Compared) -> float:
    if a.family != b.family:
        return 0.0
    words = _jaccard(a.words, b.words)
    if a.columns and b.columns:
        sim = 0.75 * _jaccard(a.columns, b.columns) + 0.25 * words
    else:
        sim = 0.75 * words + 0.25 * _jaccard(a.title, b.title)
    if a.kind == b.kind:
        sim += 0.0 if a.ext != b.ext else 0.05
    if a.format == b.format:
        sim += 0.05
    return min(sim, 1.0)


class Lessons:
    """The operators' decisions as inference consults them: a fixed list, which a worker
    process can hold a copy of (:mod:`daemon.ingest.reading`)."""

    def __init__(self, lessons: list[tuple[str, int, dict[str, Any]]]) -> None:
        self.lessons = lessons
        self._sets: list[_Compared] = []  # each lesson's features as compared, made at the first file
        self._having: dict[str, list[int]] = {}  # word or column -> the lessons whose features have it

    def _near(self, mine: _Compared) -> Iterable[int]:
        """The lessons that may be SIMILAR to a file, in order: those sharing a word or a column
        with it (one sharing neither scores at most UNSHARED_MAX)."""
        if not self._sets:
            self._sets = [_compared(f) for _, _, f in self.lessons]
            for i, theirs in enumerate(self._sets):
                for word in theirs.words | theirs.columns:
                    self._having.setdefault(word, []).append(i)
        if SIMILAR <= UNSHARED_MAX:
            return range(len(self.lessons))
        return sorted({i for word in mine.words | mine.columns for i in self._having.get(word, ())})

    def adjust(
        self, ex: Extraction, table: str, confidence: float, catalog: dict[str, TableSpec]
    ) -> tuple[str, float, str | None]:
        """The routing after the lessons: maybe another table, maybe another confidence, and why."""
        lessons = [(t, v, f) for t, v, f in self.lessons if t in catalog]
        if not lessons:
            return table, confidence, None
        mine = features(ex)
        pos: dict[str, list[float]] = {}
        neg: dict[str, list[float]] = {}
        compared = _compared(mine)
        for i in self._near(compared):
            tbl, verdict, _ = self.lessons[i]
            if tbl not in catalog:
                continue
            sim = _similarity(compared, self._sets[i])
            if sim >= SIMILAR:
                (pos if verdict > 0 else neg).setdefault(tbl, []).append(sim)
        net = {t: sum(pos.get(t, [])) - sum(neg.get(t, [])) for t in set(pos) | set(neg)}
        best = max(net, key=lambda t: (net[t], t == table)) if net else None
        if best is not None and net[best] > 0 and best in pos:
            n = len(pos[best])
            avg = sum(pos[best]) / n
            clean = best not in neg
            if clean and n >= 2 and avg >= 0.55:
                # Two or more operators' decisions on files this alike, none against: sure.
                learned, cap = 0.91 + 0.01 * (n - 2), 0.95
            else:
                learned, cap = 0.72 + 0.08 * n * avg, 0.90
            new_conf = min(max(confidence if best == table else 0.0, learned), cap)
            if best == table:
                new_conf = max(new_conf, confidence)
            why = f"operators approved {n} similar file(s) into {best} (similarity {avg:.2f})" + (
                "" if best == table else f"; rerouted from {table}"
            )
            return best, round(new_conf, 3), why
        if table in neg:
            n = len(neg[table])
            return table, min(confidence, 0.6), f"operators rejected {n} similar file(s) proposed for {table}"
        return self._group_adjust(mine, lessons, table, confidence)

    def _group_adjust(
        self, mine: dict[str, Any], lessons: list[tuple[str, int, dict[str, Any]]], table: str, confidence: float
    ) -> tuple[str, float, str | None]:
        """No single decided file is this alike: what the decisions on each table say together."""
        claims = group_similarity(mine, lessons)
        if not claims:
            return table, confidence, None
        ranked = sorted(claims.items(), key=lambda kv: -kv[1][0])
        best, (sim, n) = ranked[0]
        runner = ranked[1][1][0] if len(ranked) > 1 else 0.0
        moved_out = [(t, -v, f) for t, v, f in lessons if v < 0]
        against = group_similarity(mine, moved_out).get(table, (0.0, 0))[0]
        if sim < GROUP_SIMILAR or sim < GROUP_MARGIN * runner:
            if against >= GROUP_SIMILAR:  # files like it were moved out of this table
                return table, min(confidence, 0.6), f"operators moved similar files out of {table}"
            return table, confidence, None
        if best == table:
            return table, confidence, f"operators filed {n} similar file(s) here too (similarity {sim:.2f})"
        sure = n >= GROUP_SURE_LESSONS and sim >= GROUP_SURE_SIMILAR
        if confidence >= RULES_SURE and n < GROUP_SURE_LESSONS:
            return (
                table,
                min(confidence, LESSON_DOUBT_CAP),
                f"operators filed {n} file(s) like it in {best} (group similarity {sim:.2f}): a person decides",
            )
        # A correction outweighs the rules' guess; it is applied unseen only after several.
        conf = 0.91 if sure else min(0.88, 0.7 + 0.05 * n + 0.3 * sim)
        why = (
            f"operators filed {n} file(s) like it in {best} (group similarity {sim:.2f}, next {runner:.2f}); "
            f"rerouted from {table}"
        )
        return best, round(conf, 3), why


class Learner:
    def __init__(self, store: Store, events: EventBus) -> None:
        self.store = store
        self.events = events
        self._lessons: list[tuple[str, int, dict[str, Any]]] = []
        self._loaded_at: float | None = None
        self.version = 0  # counts changes of the lessons: worker processes hold a copy
        self._lock = threading.Lock()
        self._tasks: set[asyncio.Task[Any]] = set()
        store.register(ProposalFeatures, Lesson)
        events.listeners.add(self._on_event)

    # -- called by the pipeline inside the write that created the proposal ----------------

    def remember(
        self, proposal_id: int, extraction: Extraction, table: str | None = None, feats: dict[str, Any] | None = None
    ) -> None:
        """Keep the features of the file behind ``proposal_id`` (inside a Store.write).
        ``table`` (the proposal's) and ``feats`` (``features(extraction)``) spare the one
        writer thread a lookup and the tokenizing when the caller has them already."""
        if table is None:
            proposal = Proposal.get_or_none(Proposal.id == proposal_id)
            table = proposal.table if proposal is not None else ""
        if feats is None:
            feats = features(extraction)
        # An upsert, with the write's others in one statement: the new row's columns win on conflict.
        self.store.insert_later(
            ProposalFeatures,
            {"proposal_id": proposal_id, "proposed_table": table, "features": feats},
            conflict_target=("proposal_id",),
            preserve=("features", "proposed_table"),
        )

    # -- decisions --------------------------------------------------------------------------

    def _on_event(self, event: dict[str, Any]) -> None:
        kind = event.get("type")
        if kind not in ("proposal.approved", "proposal.rejected"):
            return
        payload = event.get("payload")
        if not isinstance(payload, dict):
            payload = {}
        if (event.get("actor") or SYSTEM_ACTOR) == SYSTEM_ACTOR or payload.get("auto"):
            return  # the policy agreeing with inference teaches nothing
        m = re.fullmatch(r"proposal/(\d+)", str(event.get("subject", "")))
        if not m:
            return
        task = asyncio.ensure_future(
            self._learn(int(m.group(1)), kind == "proposal.approved", payload.get("table"), event.get("actor"))
        )
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _learn(self, proposal_id: int, approved: bool, table: str | None, actor: str | None) -> None:
        try:
            learned = await self.store.write(self._record, proposal_id, approved, table, actor)
        except Exception:
            log.exception("could not learn from the decision on proposal %s", proposal_id)
            return
        with self._lock:
            self._lessons.extend(learned)
            del self._lessons[:-MAX_LESSONS]
            self.version += 1

    def _record(
        self, proposal_id: int, approved: bool, table: str | None, actor: str | None
    ) -> list[tuple[str, int, dict[str, Any]]]:
        saved = ProposalFeatures.get_or_none(ProposalFeatures.proposal_id == proposal_id)
        if saved is None:
            return []  # not a proposal made from a file
        known = list(Lesson.select().where(Lesson.proposal_id == proposal_id))
        if known:  # another daemon on the same database recorded this decision already
            return [(k.table, k.verdict, k.features) for k in known]
        proposal = Proposal.get_or_none(Proposal.id == proposal_id)
        final = table or (proposal.table if proposal is not None else saved.proposed_table)
        lessons: list[tuple[str, int]] = []
        if approved:
            lessons.append((final, 1))
            if saved.proposed_table and saved.proposed_table != final:
                lessons.append((saved.proposed_table, -1))  # approved with a corrected table
        else:
            lessons.append((final, -1))
        created = []
        for tbl, verdict in lessons:
            try:
                with self.store.db.atomic():  # a savepoint: another daemon may win the race
                    Lesson.create(
                        proposal_id=proposal_id, table=tbl, verdict=verdict, features=saved.features, actor=actor
                    )
                created.append({"table": tbl, "verdict": verdict})
            except peewee.IntegrityError:
                pass
        if created:  # operators see that a decision taught inference something
            self.events.emit("inference.learned", f"proposal/{proposal_id}", {"lessons": created}, actor=actor)
        return [(tbl, verdict, saved.features) for tbl, verdict in lessons]

    # -- consulted by inference ---------------------------------------------------------------

    def _load_rows(self) -> list[tuple[str, int, dict[str, Any]]]:
        rows = (
            Lesson.select(Lesson.table, Lesson.verdict, Lesson.features).order_by(Lesson.id.desc()).limit(MAX_LESSONS)
        )
        return [(r.table, r.verdict, r.features) for r in rows][::-1]

    def _ensure_loaded(self) -> None:
        now = time.monotonic()
        if self._loaded_at is not None and now - self._loaded_at < REFRESH_S:
            return
        loop = self.events.loop
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is loop:
            return  # never block the loop; a worker thread's call loads them
        try:
            rows = asyncio.run_coroutine_threadsafe(self.store.read(self._load_rows), loop).result(timeout=10)
        except Exception:
            log.warning("could not load inference lessons; routing without them this time", exc_info=True)
            return
        with self._lock:
            if rows != self._lessons:
                self._lessons = rows
                self.version += 1
            self._loaded_at = now

    @property
    def due(self) -> bool:
        """Whether the lessons are to be (re)read from the database, on a thread (not the loop)."""
        return self._loaded_at is None or time.monotonic() - self._loaded_at >= REFRESH_S

    def lessons(self) -> list[tuple[str, int, dict[str, Any]]]:
        self._ensure_loaded()
        with self._lock:
            return list(self._lessons)

    def snapshot(self) -> tuple[int, Lessons]:
        """The lessons as they are (not reloaded: see :attr:`due`), and their version."""
        with self._lock:
            return self.version, Lessons(list(self._lessons))

    def adjust(
        self, ex: Extraction, table: str, confidence: float, catalog: dict[str, TableSpec]
    ) -> tuple[str, float, str | None]:
        """The routing after the lessons: maybe another table, maybe another confidence, and why."""
        return Lessons(self.lessons()).adjust(ex, table, confidence, catalog)


def _bag(feats: dict[str, Any]) -> set[str]:
    return set(feats.get("words", [])) | {f"col:{c}" for c in feats.get("columns", [])}


def group_similarity(
    mine: dict[str, Any], lessons: list[tuple[str, int, dict[str, Any]]]
) -> dict[str, tuple[float, int]]:
    """Per table with positive lessons of the file's family: (similarity to the lessons as a
    group, how many). A word counts by the share of the table's lessons that use it, weighted
    by how rare it is across all lessons (idf), so words every decided file has count little."""
    family = _family(mine.get("kind"))
    groups: dict[str, list[set[str]]] = {}
    for tbl, verdict, feats in lessons:
        if verdict > 0 and _family(feats.get("kind")) == family:
            groups.setdefault(tbl, []).append(_bag(feats))
    if not groups:
        return {}
    total = sum(len(g) for g in groups.values())
    df = Counter(w for g in groups.values() for bag in g for w in bag)
    idf = {w: math.log(1 + total / c) for w, c in df.items()}
    words = _bag(mine)
    if not words:
        return {}
    out: dict[str, tuple[float, int]] = {}
    for tbl, bags in groups.items():
        share = Counter(w for bag in bags for w in bag)
        vec = {w: share[w] / len(bags) * idf[w] for w in share}
        norm = math.sqrt(sum(v * v for v in vec.values()))
        # Words the file has that no lesson has weigh like the rarest lesson word.
        top = max(idf.values())
        mine_norm = math.sqrt(sum((idf.get(w, top)) ** 2 for w in words))
        dot = sum(vec[w] * idf[w] for w in words if w in vec)
        out[tbl] = (dot / (norm * mine_norm) if norm and mine_norm else 0.0, len(bags))
    return out
