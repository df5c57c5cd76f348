"""The extractors given corrupt files derived from the test corpus (truncated, bytes flipped,
one file's header spliced onto another's body): each is read or refused with an
ExtractionError, nothing else escapes, and a daemon given such files keeps running with every
file accounted for. Hypothesis runs derandomised on a bounded budget (about 10 s)."""

from __future__ import annotations

import os
import random
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from daemon.extract import Extraction, ExtractionError, ExtractLimits, extract
from ingest_helpers import settled, wait_until

CORPUS = Path(__file__).parent / "corpus"
KINDS = (".pdf", ".png", ".jpg", ".gif", ".wav", ".csv", ".json", ".jsonl", ".md", ".html", ".svg", ".py", ".txt")


def _seeds() -> list[Path]:
    """Up to three small corpus files of each kind, in a stable order."""
    found: dict[str, list[Path]] = {}
    for path in sorted(CORPUS.rglob("*")):
        if path.is_file() and path.suffix.lower() in KINDS and path.stat().st_size <= 64 * 1024:
            found.setdefault(path.suffix.lower(), []).append(path)
    return [p for kind in KINDS for p in found.get(kind, [])[:3]]


SEEDS = _seeds()
DATA = {p: p.read_bytes() for p in SEEDS}
LIMITS = ExtractLimits(timeout_s=5.0, max_pdf_pages=5, max_text_chars=20_000)


def mutate(rng: random.Random, seed: Path, other: Path) -> bytes:
    """One corrupt variant of ``seed``: truncated, flipped, spliced with ``other``'s header, or all three."""
    data = bytearray(DATA[seed])
    how = rng.choice(("truncate", "flip", "splice", "all"))
    if how in ("splice", "all"):
        head = DATA[other][: rng.randint(4, 512)]
        data = bytearray(head) + data[rng.randint(0, min(len(data), 512)) :]
    if how in ("flip", "all") and data:
        for _ in range(rng.randint(1, 32)):
            i = rng.randrange(len(data))
            data[i] ^= 1 << rng.randrange(8)
    if how in ("truncate", "all") and data:
        data = data[: rng.randrange(len(data))]
    return bytes(data)


@settings(
    max_examples=150, deadline=None, derandomize=True, database=None, suppress_health_check=[HealthCheck.too_slow]
)
@given(seed=st.sampled_from(SEEDS), other=st.sampled_from(SEEDS), rng=st.randoms(use_true_random=False))
def test_corrupt_files_are_read_or_refused_with_an_extraction_error(seed, other, rng):
    data = mutate(rng, seed, other)
    with tempfile.TemporaryDirectory(prefix="cl-fuzz-") as folder:
        path = os.path.join(folder, seed.name)  # the same name: the extension steers the extractor
        with open(path, "wb") as f:
            f.write(data)
        try:
            result = extract(path, LIMITS)
        except ExtractionError as e:
            assert str(e)  # says why
        else:
            assert isinstance(result, Extraction) and result.size_bytes == len(data)


def test_a_daemon_given_corrupt_files_accounts_for_every_one(make_daemon):
    d = make_daemon(config={"ingest": {"settle_s": 0.2, "limits": {"timeout_s": 5.0, "max_pdf_pages": 5}}})
    inbox = d.state_dir / "inbox"
    rng = random.Random(9)
    count = 40
    for i in range(count):
        seed, other = rng.choice(SEEDS), rng.choice(SEEDS)
        (inbox / f"{i:02d}-{seed.name}").write_bytes(mutate(rng, seed, other) + f"\n{i}".encode())
    with d.client() as c:
        status = wait_until(lambda: settled(c, count), timeout=90)
        assert status["total"] == count
        assert c.system.health().status == "ok"
    assert "Traceback" not in d.log()  # no internal error on the way
