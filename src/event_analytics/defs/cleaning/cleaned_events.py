"""`cleaned_events`: one trustworthy row per real event, with a known user."""

import datetime as dt
from collections.abc import Iterable
from typing import Any

import dagster as dg

from event_analytics.metadata import (
    add_per_day,
    column_lineage,
    column_schema,
    day_previews,
    previews_per_day,
    run_metadata,
)
from event_analytics.partitions import daily_partitions, day_window
from event_analytics.policies import (
    FOLLOW_UPSTREAM,
    SINGLE_RUN_BACKFILL,
    WAREHOUSE_KINDS,
    WAREHOUSE_POOL,
)
from event_analytics.warehouse import WarehouseResource
from event_analytics.warehouse.retry import retry_transient_errors
from event_analytics.warehouse.sql import query
from event_analytics.warehouse.tables import CLEANED_EVENTS

CLEANED_EVENTS_COLUMNS = column_schema(
    [
        ("event_id", "VARCHAR", "Unique within the day."),
        ("user_id", "VARCHAR", "Never NULL here."),
        ("event_type", "VARCHAR", "page_view, add_to_cart, purchase, ..."),
        ("occurred_at", "TIMESTAMP", "UTC; the earliest copy of a duplicated event."),
        ("event_date", "DATE", "The UTC day: the partition."),
        ("revenue", "DECIMAL(18,4)", "Exact revenue; 0 when none."),
        ("properties", "JSON", "The producer's properties object."),
        ("extra", "JSON", "Top-level fields outside the contract."),
        ("source_file", "VARCHAR", "Where the kept copy landed."),
        ("source_line", "BIGINT", "Its line in that file."),
    ]
)

# Every column is the kept copy's column of raw.events, unchanged.
CLEANED_EVENTS_LINEAGE = column_lineage(
    "raw_events", {column.name: [column.name] for column in CLEANED_EVENTS_COLUMNS.columns}
)

# Each day's rows in, rows without a user and rows kept, in one query for the whole window.
_DAY_FIGURES = """
SELECT loaded.day, loaded.rows_in, loaded.rows_without_user,
       coalesce(kept.rows_kept, 0) AS rows_kept
FROM (
    SELECT event_date AS day, count(*) AS rows_in,
           CAST(sum(CASE WHEN user_id IS NULL THEN 1 ELSE 0 END) AS BIGINT) AS rows_without_user
    FROM raw.events
    WHERE event_date >= $first_day AND event_date < $end_day
    GROUP BY event_date
) AS loaded
LEFT JOIN (
    SELECT event_date AS day, count(*) AS rows_kept
    FROM analytics.cleaned_events
    WHERE event_date >= $first_day AND event_date < $end_day
    GROUP BY event_date
) AS kept ON kept.day = loaded.day
"""


@dg.asset(
    partitions_def=daily_partitions,
    backfill_policy=SINGLE_RUN_BACKFILL,
    automation_condition=FOLLOW_UPSTREAM,
    pool=WAREHOUSE_POOL,
    deps=["raw_events"],
    group_name="events",
    kinds=WAREHOUSE_KINDS,
    metadata={
        "dagster/table_name": "analytics.cleaned_events",
        "dagster/column_schema": CLEANED_EVENTS_COLUMNS,
    },
)
def cleaned_events(
    context: dg.AssetExecutionContext, warehouse: WarehouseResource
) -> dg.MaterializeResult:
    """Product events you can count: known users only, each event once.

    Table `analytics.cleaned_events`. Built from `raw.events` for the same UTC day, in the
    guide's order: rows without a `user_id` are dropped first, then duplicates of an
    `event_id` within the day are collapsed to the earliest copy (ties go to the earliest
    file and line, so the result never depends on scan order).

    Each day's materialization records that day's rows in, kept and dropped (without a user,
    duplicates) and a preview of its rows.
    """
    window = day_window(context.partition_time_window)
    days = {"first_day": window.first, "end_day": window.end}
    with (
        retry_transient_errors(context),
        warehouse.connect() as session,
        session.transaction(),
    ):
        session.create_tables(CLEANED_EVENTS)
        session.replace_window(CLEANED_EVENTS, query("cleaned_events"), window)
        per_day = _day_figures(window.days(), session.fetch_dicts(_DAY_FIGURES, days))
        if previews_per_day(window):
            previews = day_previews(
                session,
                "event_id, user_id, event_type, occurred_at, revenue",
                "analytics.cleaned_events",
                "event_date",
                ("occurred_at", "event_id"),
                window,
            )
            for day, figures in per_day.items():
                figures["preview"] = previews[day]
    add_per_day(context, per_day)
    return dg.MaterializeResult(
        metadata={**run_metadata(window), "dagster/column_lineage": CLEANED_EVENTS_LINEAGE}
    )


def _day_figures(
    days: list[dt.date], rows: Iterable[dict[str, Any]]
) -> dict[dt.date, dict[str, Any]]:
    """Each day's metadata from `_DAY_FIGURES`' rows (a day without rows: zeros)."""
    found = {row["day"]: row for row in rows}
    per_day = {}
    for day in days:
        row = found.get(day, {})
        rows_in, kept = int(row.get("rows_in", 0)), int(row.get("rows_kept", 0))
        without_user = int(row.get("rows_without_user", 0))
        per_day[day] = {
            "dagster/row_count": dg.MetadataValue.int(kept),
            "rows_in": dg.MetadataValue.int(rows_in),
            "rows_kept": dg.MetadataValue.int(kept),
            "rows_dropped": dg.MetadataValue.int(rows_in - kept),
            "dropped_without_user": dg.MetadataValue.int(without_user),
            "dropped_duplicates": dg.MetadataValue.int(rows_in - without_user - kept),
        }
    return per_day
