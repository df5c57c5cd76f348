"""Learning from operators, with the real store, events and governance on each backend.

A file inference is unsure about is approved by an operator into another table; the next
file like it goes to that table with more confidence. A rejection makes the next similar
file wait for a person. Lessons survive a restart (they are rows, not memory).
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any
from collections.abc import AsyncIterator

import pytest

from daemon.catalog import load_catalog
from daemon.config import REPO_SCHEMAS
from daemon.events import EventBus
from daemon.extract import extract
from daemon.governance import Draft, Governance
from daemon.inference import infer
from daemon.inference.learning import Learner, Lesson, Lessons, features, similarity
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

    async def propose(self, path: Path, confidence: float | None = None) -> tuple[int, Any]:
        """``confidence`` overrides the inferred one (below 0.90: kept for a person)."""
        ex, inference = await self.infer(path)

        def write() -> int:
            proposal = self.governance.propose(
                Draft(
                    table=inference.table,
                    fields=inference.fields,
                    confidence=confidence or inference.confidence,
                    reasoning=inference.reasoning,
                    source=str(path),
                )
            )
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
    await parts.governance.approve(
        pid, actor="user:ana", user="ana", table="hr_playbooks", fields={"title": "Desk booking rules"}
    )
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
    await parts.governance.approve(
        pid, actor="user:ana", user="ana", table="hr_playbooks", fields={"title": "Desk booking rules"}
    )
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


# -- through a running daemon: look-alike files by different hands -------------------------------

# Six notes on one topic (parking at an office), written as a wiki page, an FAQ, an e-mail, an
# induction handbook section, a chat post and a rule list - not copies of one template. The rules
# file them as general documents; operators keep them with the HR playbooks.
PARKING = {
    "parking-rules-leeds.md": """# Car park rules - Leeds site

The car park behind building B has 40 bays. Bays 1-6 are reserved for visitors and must be
booked through reception the day before. Staff permits are issued by Facilities and must hang
from the rear-view mirror. Electric vehicle chargers are limited to four hours per car; move
your car when the charge finishes so colleagues can plug in. Motorbikes and bicycles go in the
covered shelter by the loading dock. Overnight parking needs written permission from Facilities.
""",
    "bike-shelter-faq.txt": """Bicycle shelter and parking permits: questions people ask

Q: Where can I leave my bike?
A: In the covered shelter next to the loading dock. Lock it to the rails; the door closes at 20:00.

Q: How do I get a parking permit for my car?
A: Ask Facilities for a staff permit. Show it on the dashboard at all times.

Q: Can I charge my electric car?
A: Yes, at the four chargers in the car park, for up to four hours. Then move the car.

Q: Can visitors park?
A: Visitor bays are booked by reception a day ahead.
""",
    "facilities-email-hague.txt": """From: Facilities Team
Subject: Reminder about parking at the Hague office

Hi all,

A few reminders now the new car park barrier is live. Your staff permit opens the barrier; if it
does not, call reception. Please do not park in the visitor bays, which reception books for
guests. The two EV chargers are for charging only: move your car once it is full. Bikes belong
in the shelter by the loading dock, not in the stairwell. Anyone needing to leave a car
overnight should ask us first.

Thanks, Facilities
""",
    "parking-austin-wiki.md": """## Parking at the Austin office

* **Permits**: Facilities hands out staff permits on your first day. Keep yours visible.
* **Visitors**: reception reserves visitor bays for guests; book them a day before.
* **EV charging**: three chargers, max four hours, then free the bay.
* **Bikes and scooters**: use the shelter near the loading dock.
* **Overnight**: only with Facilities' written OK.
""",
    "site-induction-section-4.txt": """SITE INDUCTION - SECTION 4: VEHICLES, PARKING AND CYCLES

New starters receive a parking permit from the facilities desk. Display the permit whenever
your vehicle is on site. Visitor spaces near the entrance are held by reception for booked
guests only. Charging points for electric cars may be used for a maximum of four hours.
Cycles must be stored in the cycle shelter beside the goods-in loading dock. Vehicles may not
remain on site overnight unless facilities has agreed in writing.
""",
    "munich-parking-psa.txt": """Quick parking PSA for everyone in the Munich office
- no permit = no barrier, grab one from facilities
- visitor spots are for guests, reception books them the day before
- EV chargers: 4h max, then move please
- bikes go in the shelter next to the loading dock
- leaving the car overnight? ask facilities first
""",
}


def test_corrections_through_the_daemon_route_the_rest_of_the_group(daemon_on: Any, tmp_path: Path) -> None:
    from ingest_helpers import wait_until

    folder = tmp_path / "handed"
    folder.mkdir()
    paths = []
    for name, text in PARKING.items():
        (folder / name).write_text(text)
        paths.append(folder / name)
    # Taught: the rule list, the e-mail, the chat post; then the FAQ, the wiki page and the
    # handbook section, two of which the rules alone would file as documents with confidence.
    taught, later = [paths[0], paths[2], paths[5]], [paths[1], paths[3], paths[4]]
    with daemon_on.client() as c:
        before = [c.ingest.file(path=str(p)) for p in taught]
        assert all(r.table != "hr_playbooks" for r in before)  # the rules alone file them elsewhere
        for record in before:
            assert record.state == "proposed"  # waiting for a person, who moves it
            c.proposals.approve(
                id=record.proposal_id, table="hr_playbooks", fields={"title": record.path.rsplit("/", 1)[-1]}
            )
        wait_until(lambda: len(c.events.list(type="inference.learned", limit=50).events) >= 3)
        after = [c.ingest.file(path=str(p)) for p in later]
    assert [r.table for r in after] == ["hr_playbooks"] * 3


async def test_corrections_teach_the_keys_of_structured_files(parts: Parts, tmp_path: Path) -> None:
    """Configs no table's fields explain: once operators file three of a kind, the fourth follows."""
    variants = [
        "floor: 3\nneighbourhood: finance\ndesks: 24\nbookable: true\nmonitor_count: 2\nquiet_zone: false\n",
        "floor: 5\nneighbourhood: engineering\ndesks: 40\nbookable: true\nmonitor_count: 1\nstanding_desks: 6\n",
        "neighbourhood: sales\nfloor: 2\ndesks: 18\nbookable: false\nlockers: 20\nquiet_zone: true\n",
        "floor: 4\nneighbourhood: support\ndesks: 30\nbookable: true\nmonitor_count: 2\nlockers: 12\n",
    ]
    paths = []
    for i, text in enumerate(variants):
        paths.append(tmp_path / f"office-layout-{i}.yaml")
        paths[-1].write_text(text)
    _, plain = await parts.infer(paths[3])
    assert plain.table == "codebases"
    for path in paths[:3]:
        pid, _ = await parts.propose(path, confidence=0.5)  # as if the policy held every file for a person
        await parts.governance.approve(
            pid, actor="user:ana", user="ana", table="hr_playbooks", fields={"title": path.stem}
        )
    await parts.settle()
    _, learned = await parts.infer(paths[3])
    assert learned.table == "hr_playbooks" and "rerouted from codebases" in learned.reasoning


def test_lessons_from_half_the_corpus_never_hurt_the_other_half() -> None:
    """The issue's protocol on tests/corpus: operators file the first half of each domain table's
    files where they belong; the other half (and a quarter of the generic files, as bystanders)
    must route better than before, and no lesson may make a wrong routing sure."""
    import csv
    from collections import defaultdict

    from daemon.extract import ExtractionError

    corpus = Path(__file__).parent / "corpus"
    catalog = load_catalog(REPO_SCHEMAS)
    generic = {"documents", "codebases", "datasets", "media"}
    by_table: dict[str, list[tuple[str, Any]]] = defaultdict(list)
    with open(corpus / "labels.csv", newline="") as f:
        for row in csv.DictReader(f):
            try:
                by_table[row["table"]].append((row["path"], extract(str(corpus / row["path"]))))
            except ExtractionError:
                continue

    class Taught(Learner):
        def __init__(self, lessons: list[tuple[str, int, dict[str, Any]]]) -> None:  # no store: lessons given
            self._given = lessons

        def lessons(self) -> list[tuple[str, int, dict[str, Any]]]:
            return self._given

    lessons: list[tuple[str, int, dict[str, Any]]] = []
    later: list[tuple[str, Any]] = []
    for table, items in sorted(by_table.items()):
        items.sort(key=lambda item: item[0])
        if table in generic:
            later += [(table, ex) for _, ex in items[::4]]
            continue
        half = len(items) // 2
        for _, ex in items[:half]:
            lessons.append((table, 1, features(ex)))
            proposed = infer(ex, catalog).table
            if proposed != table:  # approved with a corrected table
                lessons.append((proposed, -1, features(ex)))
        later += [(table, ex) for _, ex in items[half:]]
    taught = Taught(lessons)
    before = sum(infer(ex, catalog).table == want for want, ex in later)
    results = [(want, infer(ex, catalog, taught)) for want, ex in later]
    after = sum(r.table == want for want, r in results)
    assert after > before  # learning shows: some file the rules alone misroute now lands right
    assert not [(want, r.table, r.confidence) for want, r in results if r.table != want and r.confidence > 0.90]


INVOICES = "invoice_id,vendor,date,amount,currency,status\n" + "".join(
    f"INV-{1000 + i},{v},2026-11-{i + 2:02d},{120.5 * (i + 1):.2f},EUR,{'paid' if i % 2 else 'open'}\n"
    for i, v in enumerate(["Acme Corp", "Globex", "Initech"])
)


def test_one_lesson_does_not_overrule_a_file_whose_columns_all_name_a_table(tmp_path: Path) -> None:
    # Found by a new user: after filing one invoices CSV in finance_treasury, a vendor list whose
    # every column names a vendor_management field was moved to finance_treasury with only a title.
    catalog = load_catalog(REPO_SCHEMAS)
    (tmp_path / "invoices-nov.csv").write_text(INVOICES)
    (tmp_path / "vendor-list.csv").write_text(
        "vendor_name,contract_end,annual_spend,risk_rating,owner\n"
        "Acme Corp,2027-03-31,14000,low,Dana\nGlobex,2026-12-31,9800,medium,Raj\n"
    )
    invoices, vendors = extract(str(tmp_path / "invoices-nov.csv")), extract(str(tmp_path / "vendor-list.csv"))
    alone = infer(vendors, catalog)
    assert (alone.table, alone.confidence >= 0.90) == ("vendor_management", True)
    taught = infer(vendors, catalog, Lessons([("finance_treasury", 1, features(invoices))]))
    assert taught.table == "vendor_management" and taught.confidence < 0.90, taught.reasoning
    assert "a person decides" in taught.reasoning and len(taught.rows or []) == 2
    assert taught.fields["vendor_name"] == "Acme Corp"


def test_a_file_a_lesson_moves_keeps_its_records_mapped_onto_the_new_table(tmp_path: Path) -> None:
    catalog = load_catalog(REPO_SCHEMAS)
    (tmp_path / "invoices-nov.csv").write_text(INVOICES)
    (tmp_path / "invoices-dec.csv").write_text(
        "invoice_no,supplier,issued,total,currency,state\nA-77,Acme Corp,2026-12-01,300.00,EUR,open\n"
        "A-78,Hooli,2026-12-03,45.10,EUR,paid\n"
    )
    lessons = Lessons([("vendor_management", 1, features(extract(str(tmp_path / "invoices-nov.csv"))))])
    moved = infer(extract(str(tmp_path / "invoices-dec.csv")), catalog, lessons)
    assert moved.table == "vendor_management" and "rerouted from" in moved.reasoning
    assert [r["vendor_name"] for r in moved.rows or []] == ["Acme Corp", "Hooli"]  # each record, mapped
