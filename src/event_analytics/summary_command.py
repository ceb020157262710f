"""`event-analytics summary`: the daily figures of some days, as a table, JSON lines or CSV.

It reads `analytics.daily_summary` (the `daily_summary` asset's table) on a read-only session
of the warehouse the settings name, the same session `event-analytics sql` opens, through the
warehouse seam only: nothing here knows the engine, so it works on every backend the platform
has. It prints one row per day asked for, in order:

- a day the platform computed: its `events`, `active_users`, `purchases` and `revenue`
  (exact decimal text, never a float), zeros included (a day without events has a row of
  zeros);
- a day it has not computed (yet): no figures, and says so (`status` "not computed yet" in the
  table, `"computed": false` in JSON lines and CSV), so a missing day is never mistaken for a
  quiet one.

The formats are `sql`'s (`sql_command.output`): a table for people, JSON lines (one object per
day: a stream `jq` and every language read line by line, as `sql` writes), CSV with a header.
Exit statuses are `sql`'s too: 0 printed (uncomputed days included), 1 the warehouse could not
be read or a setting is wrong (the message names it), 2 usage.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any, TextIO

import pyarrow as pa

from event_analytics.settings import SettingError
from event_analytics.sql_command.options import Format
from event_analytics.sql_command.output import write_csv, write_jsonl, write_table

# `sql`'s own explanation of a warehouse that cannot be opened (a lock, a login, a path),
# naming the setting to look at: the two commands open the warehouse the same way.
from event_analytics.sql_command.run import CommandError, read_warehouse
from event_analytics.sql_command.session import warehouse_resource
from event_analytics.warehouse import Warehouse, WarehouseResource
from event_analytics.warehouse.tables import DAILY_SUMMARY

NOT_COMPUTED = "not computed yet"
COMPUTED = "computed"
FIGURES = ("events", "active_users", "purchases", "revenue")

_SUMMARY = """
SELECT date, events, active_users, purchases, revenue
FROM analytics.daily_summary
WHERE date >= $first_day AND date <= $last_day
ORDER BY date
"""

_FIGURE_TYPES = {
    "events": pa.int64(),
    "active_users": pa.int64(),
    "purchases": pa.int64(),
    "revenue": pa.decimal128(38, 4),  # the table's DECIMAL(38,4): exact
}


def days_between(first: dt.date, last: dt.date) -> list[dt.date]:
    """Every day from `first` to `last`, both included."""
    return [first + dt.timedelta(days=n) for n in range((last - first).days + 1)]


def run_summary(
    first: dt.date,
    last: dt.date,
    output: Format,
    out: TextIO,
    environ: Mapping[str, str] | None = None,
) -> None:
    """Print the figures of every day from `first` to `last` (both included) to `out`;
    `CommandError` with the exit status when the warehouse cannot be read."""
    if last < first:
        raise CommandError(f"--end {last} is before --start {first}", status=2)
    try:
        resource = warehouse_resource(environ)
    except SettingError as error:
        raise CommandError(str(error)) from None
    found = _fetch(resource, first, last)
    table = _figures(days_between(first, last), found, for_people=output is Format.TABLE)
    if output is Format.JSONL:
        write_jsonl(table, out)
    elif output is Format.CSV:
        write_csv(table, out)
    else:
        write_table(table, out, more_rows=False)


def _fetch(
    resource: WarehouseResource, first: dt.date, last: dt.date
) -> dict[dt.date, dict[str, Any]]:
    """The table's rows of the days, by day (none when the table does not exist yet)."""
    return read_warehouse(
        resource,
        lambda session: _rows(session, first, last),
        f"cannot read {DAILY_SUMMARY.qualified}",
    )


def _rows(session: Warehouse, first: dt.date, last: dt.date) -> dict[dt.date, dict[str, Any]]:
    # A warehouse nothing was materialized into has no table yet: no day is computed.
    if not session.table_exists(DAILY_SUMMARY):
        return {}
    rows = session.fetch_arrow(_SUMMARY, {"first_day": first, "last_day": last}).to_pylist()
    return {row["date"]: row for row in rows}


def _figures(
    days: list[dt.date], found: Mapping[dt.date, Mapping[str, Any]], for_people: bool
) -> pa.Table:
    """One row per day: its figures, or none, and whether it was computed."""
    columns: dict[str, list[Any]] = {"date": days}
    for figure in FIGURES:
        columns[figure] = [found[day][figure] if day in found else None for day in days]
    fields = [pa.field("date", pa.date32())]
    fields += [pa.field(name, kind) for name, kind in _FIGURE_TYPES.items()]
    if for_people:
        columns["status"] = [COMPUTED if day in found else NOT_COMPUTED for day in days]
        fields.append(pa.field("status", pa.string()))
    else:
        columns["computed"] = [day in found for day in days]
        fields.append(pa.field("computed", pa.bool_()))
    return pa.table(columns, schema=pa.schema(fields))
