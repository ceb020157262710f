"""Materialization metadata: each day's own figures, numbers the UI can plot, small previews,
and column lineage.

A run covers one day or a range of days (a single-run backfill), and Dagster records one
materialization per day either way. People read a day's page, so every asset computes its
figures per day (one grouped query over the window, never one query per day) and attaches
each day's figures to that day's materialization (`add_per_day`). Only what describes the run
itself (its window, the column lineage) is common to every day of it. A day's figures are the
same whether the day ran alone or inside a range.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

import dagster as dg

from event_analytics.warehouse import DayWindow, Warehouse

_PREVIEW_ROWS = 10
#: A run of more days than this (a long backfill) gives no per-day previews: one preview per
#: day is one more branch of the preview query per day, and a year of them would make each
#: materialization event heavy for nothing anyone reads. Materialize a day alone to see one.
PER_DAY_PREVIEW_MAX_DAYS = 31

RUN_WINDOW = "run_window"
PREVIEW_SKIPPED = "preview_skipped"


def _cell(value: Any) -> str | int | float | bool | None:
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, Decimal):
        return format(value, "f")  # exact text, never a binary float
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    if isinstance(value, float):
        return value
    return str(value)


def preview(rows: Sequence[Mapping[str, Any]], limit: int = _PREVIEW_ROWS) -> dg.MetadataValue:
    """A small table of rows for the asset's page in the UI."""
    head = list(rows[:limit])
    columns = list(head[0].keys()) if head else []
    schema = dg.TableSchema(columns=[dg.TableColumn(name=c, type="string") for c in columns])
    records = [dg.TableRecord({c: _cell(row[c]) for c in columns}) for row in head]
    return dg.MetadataValue.table(records=records, schema=schema)


def money(value: Decimal) -> dict[str, dg.MetadataValue]:
    """Revenue twice: exact text for reading, and a float only so the UI can plot it."""
    return {
        "revenue": dg.MetadataValue.float(float(value)),
        "revenue_exact": dg.MetadataValue.text(f"{value:.4f}"),
    }


def ratio(part: int, whole: int) -> dg.MetadataValue:
    """`part / whole` as a plottable number; 0 when there is no whole."""
    return dg.MetadataValue.float(part / whole if whole else 0.0)


def column_schema(columns: Sequence[tuple[str, str, str]]) -> dg.TableSchema:
    """A table schema from `(name, type, description)` triples."""
    return dg.TableSchema(
        columns=[dg.TableColumn(name=n, type=t, description=d) for n, t, d in columns]
    )


def column_lineage(upstream: str, sources: Mapping[str, Sequence[str]]) -> dg.TableColumnLineage:
    """Which columns of the asset `upstream` each column is computed from."""
    key = dg.AssetKey(upstream)
    return dg.TableColumnLineage(
        deps_by_column={
            column: [dg.TableColumnDep(asset_key=key, column_name=name) for name in names]
            for column, names in sources.items()
        }
    )


def run_metadata(window: DayWindow) -> dict[str, dg.MetadataValue]:
    """What every day of a run shares: which days the run covered, and why a day has no
    preview when the run was too long for them."""
    days = len(window.days())
    common: dict[str, dg.MetadataValue] = {
        RUN_WINDOW: dg.MetadataValue.text(f"{window.label()} ({days} day{_s(days)})")
    }
    if not previews_per_day(window):
        common[PREVIEW_SKIPPED] = dg.MetadataValue.text(
            f"no preview: this day was materialized in a run of {days} days, and runs of "
            f"more than {PER_DAY_PREVIEW_MAX_DAYS} days (long backfills) record none; "
            "materialize the day alone to see one"
        )
    return common


def _s(count: int) -> str:
    return "" if count == 1 else "s"


def previews_per_day(window: DayWindow) -> bool:
    """Whether a run of this window records a preview on each day."""
    return len(window.days()) <= PER_DAY_PREVIEW_MAX_DAYS


def add_per_day(
    context: dg.AssetExecutionContext, per_day: Mapping[dt.date, Mapping[str, Any]]
) -> None:
    """Attach each day's metadata to that day's materialization (range runs included)."""
    for day, metadata in per_day.items():
        context.add_asset_metadata(dict(metadata), partition_key=day.isoformat())


def day_previews(
    session: Warehouse,
    select: str,
    source: str,
    day_column: str,
    order_by: Sequence[str],
    window: DayWindow,
) -> dict[dt.date, dg.MetadataValue]:
    """Up to 10 rows of each day of the window, in one query: `SELECT <select> FROM <source>
    WHERE <day_column> = day ORDER BY <order_by>`, one branch per day.

    Each branch is a top-N on one day (the engine stops after 10 rows and skips the other
    days' data), a fraction of the cost of ranking every row of the window. `select`, `source`,
    `day_column` and `order_by` (columns of `select`) are the caller's constant SQL; the days
    are bound.
    """
    days = window.days()
    order = ", ".join(order_by)
    branches = [
        f"(SELECT {day_column} AS preview_day, {select} FROM {source} "  # noqa: S608
        f"WHERE {day_column} = $day_{number} ORDER BY {order} LIMIT {_PREVIEW_ROWS})"
        for number in range(len(days))
    ]
    params = {f"day_{number}": day for number, day in enumerate(days)}
    by_day: dict[dt.date, list[dict[str, Any]]] = defaultdict(list)
    for row in session.fetch_dicts("\nUNION ALL\n".join(branches), params):
        by_day[row.pop("preview_day")].append(row)

    def position(row: Mapping[str, Any]) -> tuple[tuple[bool, Any], ...]:
        # A union keeps no order between its rows: each day's are put back in order here,
        # NULLs last as both engines sort them.
        return tuple((row[c] is None, row[c]) for c in order_by)

    return {day: preview(sorted(by_day.get(day, []), key=position)) for day in days}
