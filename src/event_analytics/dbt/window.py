"""How a Dagster partition window becomes dbt arguments. Pure functions, unit-tested.

The window is passed as dbt vars `window_start` and `window_end`: the half-open interval
[start, end) in UTC, as ISO timestamps without an offset (the warehouse stores naive UTC). The
dbt macro `validated_timestamp_var` checks them again before they reach any SQL.
"""

from __future__ import annotations

import datetime as dt
import json

import dagster as dg


def partition_vars(window: dg.TimeWindow) -> dict[str, str]:
    """`{"window_start": ..., "window_end": ...}` for the window `[start, end)`, in UTC.

    Built from `context.partition_time_window`, never from `context.partition_key`, so a
    single run over a range of days gets the whole range.
    """
    start, end = (_naive_utc(bound) for bound in (window.start, window.end))
    if not start < end:
        raise ValueError(f"Empty partition window: [{start}, {end})")
    return {"window_start": start.isoformat(), "window_end": end.isoformat()}


def build_args(window: dg.TimeWindow | None) -> list[str]:
    """The `dbt build` arguments for a run: with the window as vars when partitioned."""
    if window is None:
        return ["build"]
    return ["build", "--vars", json.dumps(partition_vars(window), sort_keys=True)]


def _naive_utc(moment: dt.datetime) -> dt.datetime:
    if moment.tzinfo is None:
        raise ValueError(f"Partition bounds must carry a time zone, got {moment!r}")
    return moment.astimezone(dt.UTC).replace(tzinfo=None)
