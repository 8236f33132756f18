"""Performance Monitor's CSV log format, PDH-CSV 4.0, written and read without Qt.

Layout (what perfmon's "Save Data As" and ``relog -f csv`` write, and what PAL, Excel and
``relog`` read back)::

    "(PDH-CSV 4.0) (Coordinated Universal Time)(0)","\\\\HOST\\Set(instance)\\Counter",...
    "01/01/2010 00:01:30.000","12.5",...

- The first cell names the format, the time zone and its bias in minutes; we write UTC.
- Each other header cell is a counter path ``\\\\COMPUTER\\Object(instance)\\Counter``
  (no parentheses for a single-instance object such as ``Hyper-V Hypervisor``).
- Each row: the sample time as ``MM/DD/YYYY HH:MM:SS.mmm``, then one quoted value per
  counter; a counter with no sample at that time is written as ``" "``, as perfmon does.
- Every cell is quoted; lines end with CRLF.

Simulated time has no calendar, so it is mapped from a fixed epoch: simulated second 0 (the
lab's "Day 1, 00:00:00") is :data:`SIM_EPOCH`, 1 January 2010 00:00:00 UTC. Day N of the lab
is then day-of-year N of 2010. Values are written with the shortest text that reads back as
the same float64, so an exported log matches the engine's history exactly.
"""

from __future__ import annotations

import csv
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TextIO

#: Simulated second 0 on the calendar (documented in docs/performance.md).
SIM_EPOCH = datetime(2010, 1, 1, tzinfo=UTC)
HEADER = "(PDH-CSV 4.0) (Coordinated Universal Time)(0)"
TIME_FORMAT = "%m/%d/%Y %H:%M:%S"
_HEADER_RE = re.compile(r"^\(PDH-CSV 4\.0\) \((?P<zone>[^)]*)\)\((?P<bias>-?\d+)\)$")
_TIME_RE = re.compile(r"^\d\d/\d\d/\d{4} \d\d:\d\d:\d\d\.\d{3}$")
MISSING = " "


@dataclass(frozen=True)
class CounterPath:
    """One counter instance on one computer (host)."""

    computer: str
    counter_set: str
    counter: str
    instance: str = ""

    def __str__(self) -> str:
        inst = f"({self.instance})" if self.instance else ""
        return f"\\\\{self.computer}\\{self.counter_set}{inst}\\{self.counter}"

    @staticmethod
    def parse(text: str, known_sets: Iterable[str] | None = None) -> CounterPath:
        """Read ``\\\\COMPUTER\\Object(instance)\\Counter``.

        Object names may hold parentheses ("Hyper-V Virtual IDE Controller (Emulated)") and
        instances backslashes (a VHD's path), so the counter is what follows the last
        backslash, the instance is the last balanced "(...)" of the rest, unless the rest
        is a counter set name in ``known_sets`` (default: the engine's sets).
        """
        if not text.startswith("\\\\"):
            raise ValueError(f"not a counter path: {text!r}")
        computer, sep, rest = text[2:].partition("\\")
        middle, sep2, counter = rest.rpartition("\\")
        if not (computer and sep and sep2 and middle and counter):
            raise ValueError(f"not a counter path: {text!r}")
        if known_sets is None:
            from hvlab.engine.api import COUNTERS

            known_sets = COUNTERS
        if middle in set(known_sets) or not middle.endswith(")"):
            return CounterPath(computer, middle, counter, "")
        depth = 0
        for i in range(len(middle) - 1, -1, -1):
            if middle[i] == ")":
                depth += 1
            elif middle[i] == "(":
                depth -= 1
                if depth == 0:
                    if i == 0:
                        break
                    return CounterPath(computer, middle[:i], counter, middle[i + 1:-1])
        raise ValueError(f"unbalanced parentheses in counter path: {text!r}")


def sim_datetime(seconds: float) -> datetime:
    """The calendar time of a simulated second (UTC)."""
    return SIM_EPOCH + timedelta(microseconds=round(seconds * 1_000_000))


def format_time(seconds: float) -> str:
    """``01/01/2010 00:01:30.000`` for simulated second 90."""
    when = sim_datetime(seconds)
    return f"{when.strftime(TIME_FORMAT)}.{when.microsecond // 1000:03d}"


def parse_time(text: str) -> float:
    """Simulated seconds of a PDH-CSV time stamp (inverse of :func:`format_time`)."""
    if not _TIME_RE.match(text):
        raise ValueError(f"not a PDH-CSV time stamp: {text!r}")
    when = datetime.strptime(text, TIME_FORMAT + ".%f").replace(tzinfo=UTC)
    return (when - SIM_EPOCH).total_seconds()


def format_value(value: float) -> str:
    """Shortest positional text that reads back as the same float64 (no exponent, which
    some PDH readers reject); NaN (no sample) is perfmon's blank ``" "``."""
    if math.isnan(value):
        return MISSING
    text = repr(float(value))
    if "e" in text or "E" in text:
        import numpy as np

        text = np.format_float_positional(float(value), unique=True, trim="-")
    return text


@dataclass(frozen=True)
class PdhLog:
    """A parsed PDH-CSV file: counter paths, sample times (simulated s) and values by column
    (NaN where the file has a blank)."""

    paths: tuple[CounterPath, ...]
    times: tuple[float, ...]
    columns: tuple[tuple[float, ...], ...]
    zone: str
    bias_minutes: int


def write(out: TextIO, paths: Sequence[CounterPath],
          times: Sequence[float], columns: Sequence[Sequence[float]]) -> None:
    """Write a log: ``columns[k][i]`` is counter ``k`` at ``times[i]`` (NaN: no sample)."""
    if len(paths) != len(columns):
        raise ValueError("one column of values per counter path")
    for col in columns:
        if len(col) != len(times):
            raise ValueError("every column needs one value per sample time")
    writer = csv.writer(out, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
    writer.writerow([HEADER, *(str(p) for p in paths)])
    for i, t in enumerate(times):
        writer.writerow([format_time(t), *(format_value(col[i]) for col in columns)])


def write_file(path: str | Path, paths: Sequence[CounterPath], times: Sequence[float],
               columns: Sequence[Sequence[float]]) -> None:
    # newline="" so the csv module's CRLF reaches the file unchanged on every platform.
    with open(path, "w", encoding="utf-8", newline="") as f:
        write(f, paths, times, columns)


def read(lines: Iterable[str]) -> PdhLog:
    """Parse a PDH-CSV 4.0 log; raises ValueError where the file breaks the format."""
    rows = list(csv.reader(lines))
    if not rows:
        raise ValueError("empty file")
    head = _HEADER_RE.match(rows[0][0])
    if head is None:
        raise ValueError(f"first cell is not a PDH-CSV 4.0 header: {rows[0][0]!r}")
    paths = tuple(CounterPath.parse(cell) for cell in rows[0][1:])
    times: list[float] = []
    columns: list[list[float]] = [[] for _ in paths]
    for n, row in enumerate(rows[1:], start=2):
        if len(row) != len(paths) + 1:
            raise ValueError(f"row {n} has {len(row)} cells, expected {len(paths) + 1}")
        times.append(parse_time(row[0]))
        for k, cell in enumerate(row[1:]):
            columns[k].append(math.nan if cell.strip() == "" else float(cell))
    return PdhLog(paths, tuple(times), tuple(tuple(c) for c in columns), head["zone"],
                  int(head["bias"]))


def read_file(path: str | Path) -> PdhLog:
    with open(path, encoding="utf-8", newline="") as f:
        return read(f)
