"""Sets of partition keys as an alert remembers them: every key, in little space.

An incident must remember every partition it waits for, however many (a failed backfill over
years of days), and it lives in the sensor cursor, which is stored on every tick. So runs of
consecutive daily keys are kept as `[first, last]` (both included), any other key as itself,
and "unpartitioned" as null. Nothing is ever truncated.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

Packed = list[Any]  # items: "key", ["first-day", "last-day"], or None


def _day(key: str) -> dt.date | None:
    try:
        day = dt.date.fromisoformat(key)
    except ValueError:
        return None
    return day if day.isoformat() == key else None  # only the canonical YYYY-MM-DD form


def pack(keys: Iterable[str | None]) -> Packed:
    """The keys, consecutive days folded into `[first, last]` ranges, in a stable order."""
    unique = set(keys)
    days = sorted(d for k in unique if k is not None and (d := _day(k)) is not None)
    others = sorted(k for k in unique if k is not None and _day(k) is None)
    packed: Packed = [None] if None in unique else []
    start = end = None
    for day in days:
        if end is not None and day == end + dt.timedelta(days=1):
            end = day
            continue
        if start is not None and end is not None:
            packed.append(_span(start, end))
        start = end = day
    if start is not None and end is not None:
        packed.append(_span(start, end))
    return packed + others


def _span(first: dt.date, last: dt.date) -> str | list[str]:
    return first.isoformat() if first == last else [first.isoformat(), last.isoformat()]


def unpack(packed: Iterable[Any]) -> set[str | None]:
    """The keys of a packed set (the inverse of `pack`)."""
    keys: set[str | None] = set()
    for item in packed:
        if isinstance(item, list) and len(item) == 2:
            keys.update(days_between(str(item[0]), str(item[1])) or [f"{item[0]}...{item[1]}"])
        else:
            keys.add(None if item is None else str(item))
    return keys


def days_between(first: str, last: str) -> list[str]:
    """Every daily key from `first` to `last`, both included; [] if they are not days."""
    start, end = _day(first), _day(last)
    if start is None or end is None or end < start:
        return []
    return [(start + dt.timedelta(days=i)).isoformat() for i in range((end - start).days + 1)]


def label(keys: Iterable[str | None]) -> str | None:
    """How a message names the keys: `2025-01-02`, `2025-01-01...2025-01-07`, or None."""
    named = sorted(k for k in keys if k is not None)
    if not named:
        return None
    return named[0] if len(named) == 1 else f"{named[0]}...{named[-1]}"
