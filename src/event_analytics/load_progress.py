"""What a load of landed files tells its run's log while it works.

A backfill of many days reads for minutes, so the log says what the load is about to read (the
days, the files and their bytes), then after each batch how far it got: the share of the listed
bytes in the files reached so far, the file and day reached, and the lines read so far (blank
lines included). Gzipped files count by their stored size. The lines are written for people
watching a run in the UI; a file read in several batches is reached by each of them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from itertools import accumulate

from event_analytics.landing import LandedFile
from event_analytics.warehouse import DayWindow


class LoadProgress:
    """The log lines of one load: its plan when created, then one line per batch."""

    def __init__(
        self, window: DayWindow, files: Sequence[LandedFile], say: Callable[[str], None]
    ) -> None:
        self._files = files
        self._say = say
        self._bytes_through = list(accumulate(landed.size_bytes for landed in files))
        self._total = self._bytes_through[-1] if files else 0
        self._lines = 0
        days = len(window.days())
        say(
            f"loading {window.label()} ({days} day{'' if days == 1 else 's'}): "
            f"{len(files)} file{'' if len(files) == 1 else 's'}, {_size(self._total)}"
        )

    def batch(self, lines: int, reached: int) -> None:
        """A batch of `lines` lines was stored; it ended in the `reached`-th file (1-based)."""
        self._lines += lines
        through = self._bytes_through[reached - 1]
        percent = 100 * through // self._total if self._total else 100
        landed = self._files[reached - 1]
        self._say(
            f"{percent}% read: file {reached} of {len(self._files)} ({landed.day.isoformat()}), "
            f"{self._lines:,} lines so far"
        )


def _size(count: int) -> str:
    """Bytes for people: `812 bytes`, `3.4 MB`, `1.2 GB`."""
    if count < 1000:
        return f"{count} bytes"
    for unit in ("kB", "MB", "GB", "TB"):
        count_in_unit = count / 1000 ** ("kMGT".index(unit[0]) + 1)
        if count_in_unit < 1000 or unit == "TB":
            return f"{count_in_unit:.1f} {unit}"
    raise AssertionError("unreachable")
