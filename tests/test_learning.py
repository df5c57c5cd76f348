"""Learning from operators, with the real store, events and governance on each backend.

A file inference is unsure about is approved by an operator into another table; the next
file like it goes to that table with more confidence. A rejection makes the next similar
file wait for a person. Lessons survive a restart (they are rows, not memory).
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any, AsyncIterator

import pytest

from daemon.catalog import load_catalog
from daemon.config import REPO_SCHEMAS
from daemon.events import EventBus
from daemon.extract import extract
from daemon.governance import Draft, Governance
from daemon.inference import infer
from daemon.inference.learning import Learner, Lesson, features, similarity
from daemon.storage import Store, open_database

ROTA = """Desk booking rules, {office} office

Desks on the third floor are booked through the room app from Monday morning.
Each team keeps two fixed desks near the windows; the rest are first come, first served.
Please clear your desk by six so the cleaners can work, and return borrowed monitors.
Lockers are assigned by reception; lost keys cost ten euros.
Quiet zone: no calls at the long table near the kitchen.
"""


class Parts:
    def __init__(self, url: str, loop: asyncio.AbstractEventLoop) -> None:
        self.url = url
        self.store = Store(open_database(url), load_catalog(REPO_SCHEMAS))
        self.events = EventBus(self.store, loop)
        self.governance = Governance(self.store, self.events)
        self.learner = Learner(self.store, self.events)

    async def start(self) -> None:
        await asyncio.get_running_loop().run_in_executor(None, self.store.create_tables)

    async def infer(self, path: Path) -> Any:
        """As the pipeline does: on a worker thread, with the learner."""
        ex = extract(str(path))
        loop = asyncio.get_running_loop()
        return ex, await loop.run_in_executor(None, infer, ex, self.store.catalog, self.learner)

    async def propose(self, path: Path) -> tuple[int, Any]:
        ex, inference = await self.infer(path)

        def write() -> int:
            proposal = self.governance.propose(Draft(table=inference.table, fields=inference.fields,
                                                     confidence=inference.confidence,
                                                     reasoning=inference.reasoning, source=str(path)))
            self.learner.remember(proposal["id"], ex)
            return proposal["id"]

        return await self.store.write(write), inference

    async def settle(self) -> None:
        for _ in range(100):  # the listener schedules its write; wait until it is done
            await asyncio.sleep(0.02)
            if not self.learner._tasks:
                return

    async def close(self) -> None:
        await asyncio.get_running_loop().run_in_executor(None, self.store.close)


@pytest.fixture
async def parts(database_url: str) -> AsyncIterator[Parts]:
    p = Parts(database_url, asyncio.get_running_loop())
    await p.start()
    yield p
    await p.close()


def write(tmp_path: Path, name: str, office: str) -> Path:
    path = tmp_path / name
    path.write_text(ROTA.format(office=office))
    return path


async def test_a_corrected_table_routes_the_next_similar_file(parts: Parts, tmp_path: Path) -> None:
    first = write(tmp_path, "desks-lisbon.txt", "Lisbon")
    pid, before = await parts.propose(first)
    assert before.table != "hr_playbooks" and before.confidence <= 0.90  # pending: a person decides
    await parts.governance.approve(pid, actor="user:ana", user="ana", table="hr_playbooks",
                                   fields={"title": "Desk booking rules"})
    await parts.settle()
    _, after = await parts.infer(write(tmp_path, "desks-porto.txt", "Porto"))
    assert after.table == "hr_playbooks"
    assert after.confidence > 0.7 and after.confidence <= 0.90  # one decision: better, still reviewed
    assert "operators approved 1 similar" in after.reasoning

    # A second consistent decision makes the routing sure enough to apply by itself.
    pid2, _ = await parts.propose(write(tmp_path, "desks-braga.txt", "Braga"))
    await parts.governance.approve(pid2, actor="user:ana", user="ana")
    await parts.settle()
    _, third = await parts.infer(write(tmp_path, "desks-faro.txt", "Faro"))
    assert third.table == "hr_playbooks" and third.confidence > 0.90


async def test_a_rejection_keeps_similar_files_for_a_person(parts: Parts, tmp_path: Path) -> None:
    pid, before = await parts.propose(write(tmp_path, "desks-lisbon.txt", "Lisbon"))
    await parts.governance.reject(pid, actor="user:ben", user="ben", reason="not company memory")
    await parts.settle()
    _, after = await parts.infer(write(tmp_path, "desks-porto.txt", "Porto"))
    assert after.table == before.table
    assert after.confidence <= 0.6
    assert "rejected 1 similar" in after.reasoning


async def test_lessons_persist_and_unrelated_files_are_untouched(parts: Parts, tmp_path: Path) -> None:
    pid, _ = await parts.propose(write(tmp_path, "desks-lisbon.txt", "Lisbon"))
    await parts.governance.approve(pid, actor="user:ana", user="ana", table="hr_playbooks",
                                   fields={"title": "Desk booking rules"})
    await parts.settle()
    rows = await parts.store.read(lambda: list(Lesson.select().dicts()))
    assert {(r["table"], r["verdict"]) for r in rows} == {("hr_playbooks", 1), (parts_table(rows), -1)}

    # A new learner on the same database (a restart) knows the lesson.
    fresh = Learner(parts.store, parts.events)
    ex = extract(str(write(tmp_path, "desks-porto.txt", "Porto")))
    loop = asyncio.get_running_loop()
    routed = await loop.run_in_executor(None, infer, ex, parts.store.catalog, fresh)
    assert routed.table == "hr_playbooks"

    other = tmp_path / "notes.md"
    other.write_text("# Kubernetes upgrade notes\n\nWe upgraded the staging cluster to 1.31 and rotated node pools.\n")
    plain = infer(extract(str(other)), parts.store.catalog)
    learned = await loop.run_in_executor(None, infer, extract(str(other)), parts.store.catalog, fresh)
    assert (learned.table, learned.confidence) == (plain.table, plain.confidence)


def parts_table(rows: list[dict[str, Any]]) -> str:
    return next(r["table"] for r in rows if r["verdict"] == -1)


def test_features_are_compact_and_similarity_is_symmetric(tmp_path: Path) -> None:
    a = extract(str(write(tmp_path, "a.txt", "Lisbon")))
    b = extract(str(write(tmp_path, "b.txt", "Porto")))
    fa, fb = features(a), features(b)
    assert len(fa["words"]) <= 40 and "text" not in fa
    assert similarity(fa, fb) == similarity(fb, fa) > 0.6
    code = tmp_path / "x.py"
    code.write_text("import os\n")
    assert similarity(fa, features(extract(str(code)))) == 0.0
