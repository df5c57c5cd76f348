"""The stdlib's CSV sniffer, counting only the delimiters it may choose from.

``csv.Sniffer._guess_delimiter`` tallies each of the 127 ASCII characters on every line, then
keeps the ones among ``delimiters``: on a three-line file, 100 µs of the 125 a sniff takes.
Here it tallies those alone. A character it leaves out could never be chosen (the stdlib
filters by ``delimiters`` before it chooses), so the dialect is the same; the rest of the
method is the stdlib's (unchanged from Python 3.11 to 3.13), and a test compares the two.
"""

from __future__ import annotations

import csv

_ASCII = [chr(c) for c in range(127)]  # what the stdlib tallies


class Sniffer(csv.Sniffer):
    def _guess_delimiter(self, data: str, delimiters: str | None) -> tuple[str, bool | int]:
        lines = list(filter(None, data.split("\n")))
        candidates = [c for c in _ASCII if delimiters is None or c in delimiters]
        chunk_length = min(10, len(lines))
        iteration = 0
        char_frequency: dict[str, dict[int, int]] = {}
        modes: dict[str, tuple[int, int]] = {}
        delims: dict[str, tuple[int, int]] = {}
        start, end = 0, chunk_length
        while start < len(lines):
            iteration += 1
            for line in lines[start:end]:
                for char in candidates:
                    meta_frequency = char_frequency.get(char, {})
                    freq = line.count(char)  # counted even when 0
                    meta_frequency[freq] = meta_frequency.get(freq, 0) + 1
                    char_frequency[char] = meta_frequency
            for char in char_frequency:
                items = list(char_frequency[char].items())
                if len(items) == 1 and items[0][0] == 0:
                    continue
                if len(items) > 1:
                    # The mode of the frequencies, less the rows that do not have it.
                    modes[char] = max(items, key=lambda x: x[1])
                    items.remove(modes[char])
                    modes[char] = (modes[char][0], modes[char][1] - sum(item[1] for item in items))
                else:
                    modes[char] = items[0]
            total = float(min(chunk_length * iteration, len(lines)))
            consistency = 1.0
            while len(delims) == 0 and consistency >= 0.9:
                for k, v in modes.items():
                    if v[0] > 0 and v[1] > 0 and v[1] / total >= consistency:  # k is among the delimiters
                        delims[k] = v
                consistency -= 0.01
            if len(delims) == 1:
                delim = list(delims.keys())[0]
                return delim, lines[0].count(delim) == lines[0].count(f"{delim} ")
            start = end
            end += chunk_length
        if not delims:
            return "", 0
        if len(delims) > 1:
            for d in self.preferred:
                if d in delims:
                    return d, lines[0].count(d) == lines[0].count(f"{d} ")
        delim = sorted((v, k) for k, v in delims.items())[-1][1]
        return delim, lines[0].count(delim) == lines[0].count(f"{delim} ")
