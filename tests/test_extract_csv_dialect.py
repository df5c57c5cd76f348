"""The sniffer that tallies only the candidate delimiters (daemon/extract/csv_dialect.py) finds
the dialect the stdlib's does."""

from __future__ import annotations

import csv
import random
from pathlib import Path

from daemon.extract.csv_dialect import Sniffer

TESTS = Path(__file__).parent
CELLS = ["a", "b c", "1", "2.5", '"x,y"', "'q'", "", " d", "e;f", "g|h", "i\tj", "2025-01-02", "k:l", "-"]


def _dialect(sniffer: csv.Sniffer, sample: str, delimiters: str | None) -> tuple[object, ...] | str:
    try:
        d = sniffer.sniff(sample, delimiters=delimiters)
    except csv.Error as e:
        return str(e)
    return d.delimiter, d.quotechar, d.doublequote, d.skipinitialspace, d.lineterminator, d.quoting


def _samples() -> list[str]:
    files = [*TESTS.joinpath("corpus").rglob("*.csv"), *TESTS.joinpath("corpus").rglob("*.tsv")]
    files += TESTS.joinpath("extract_data").glob("*.csv")
    out = [path.read_text(errors="replace")[:8000] for path in sorted(files)]
    rnd = random.Random(3)
    for _ in range(1500):
        sep = rnd.choice([",", ";", "\t", "|", ", ", ":", " "])
        width = rnd.randint(1, 5)
        rows = [
            sep.join(rnd.choice(CELLS) for _ in range(rnd.choice([width, width, width + 1])))
            for _ in range(rnd.randint(1, 14))
        ]
        out.append("\n".join(rows))
    return out


def test_same_dialect_as_the_stdlib() -> None:
    samples = _samples()
    assert len(samples) > 1500
    for sample in samples:
        for delimiters in (",;\t|", "\t", None):
            assert _dialect(Sniffer(), sample, delimiters) == _dialect(csv.Sniffer(), sample, delimiters), sample
