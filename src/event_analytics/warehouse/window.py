"""A window of whole UTC days, half-open: what every write replaces and every check reads."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class DayWindow:
    """The days `[first, end)`: `first` included, `end` excluded (at least one day)."""

    first: dt.date
    end: dt.date

    def __post_init__(self) -> None:
        if self.end <= self.first:
            raise ValueError(f"an empty window: {self.first} to {self.end}")

    @classmethod
    def of_days(cls, first: dt.date, count: int = 1) -> DayWindow:
        return cls(first, first + dt.timedelta(days=count))

    def days(self) -> list[dt.date]:
        """Every day of the window, in order."""
        return [self.first + dt.timedelta(days=i) for i in range((self.end - self.first).days)]

    @property
    def start_time(self) -> dt.datetime:
        """00:00 UTC of the first day, as a naive UTC timestamp (how tables store time)."""
        return dt.datetime.combine(self.first, dt.time())

    @property
    def end_time(self) -> dt.datetime:
        """00:00 UTC of the day after the last, naive UTC: excluded."""
        return dt.datetime.combine(self.end, dt.time())

    def params(self) -> dict[str, Any]:
        """The SQL parameters `$window_start` and `$window_end` (timestamps, end excluded)."""
        return {"window_start": self.start_time, "window_end": self.end_time}

    def label(self) -> str:
        """`2025-01-02`, or `2025-01-01...2025-01-07` for several days (both included)."""
        last = self.end - dt.timedelta(days=1)
        return self.first.isoformat() if last == self.first else f"{self.first}...{last}"
