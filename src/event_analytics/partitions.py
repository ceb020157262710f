"""The daily partitioning shared by every time-based asset.

A partition is one UTC calendar day, i.e. the half-open window `[day 00:00, next day 00:00)`.
`end_offset=1` makes today a partition too, so today's figures refresh while events land;
the day is final once it is over and its late files have arrived.
"""

from __future__ import annotations

import datetime as dt

import dagster as dg

from event_analytics.settings import EVENTS_START_DATE
from event_analytics.warehouse.window import DayWindow

# Read once, when the code location loads: a bad EVENTS_START_DATE stops it from loading.
daily_partitions = dg.DailyPartitionsDefinition(
    start_date=EVENTS_START_DATE.value().isoformat(), timezone="UTC", end_offset=1
)


def window_days(window: dg.TimeWindow) -> list[dt.date]:
    """Every UTC day of a half-open partition window, in order."""
    first = window.start.date()
    count = (window.end.date() - first).days
    return [first + dt.timedelta(days=i) for i in range(count)]


def window_bounds(window: dg.TimeWindow) -> dict[str, dt.datetime]:
    """SQL parameters for `[window_start, window_end)` as naive UTC timestamps."""
    return {
        "window_start": window.start.astimezone(dt.UTC).replace(tzinfo=None),
        "window_end": window.end.astimezone(dt.UTC).replace(tzinfo=None),
    }


def day_window(window: dg.TimeWindow) -> DayWindow:
    """A run's partition window (one day, or a range in a single-run backfill) as the days the
    warehouse replaces. Never `context.partition_key`: range runs have none."""
    start, end = window.start.astimezone(dt.UTC), window.end.astimezone(dt.UTC)
    return DayWindow(start.date(), end.date())
