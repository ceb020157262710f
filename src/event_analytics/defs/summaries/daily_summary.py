"""`daily_summary`: the day's headline figures, exact."""

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

import dagster as dg

from event_analytics.metadata import (
    add_per_day,
    column_lineage,
    column_schema,
    money,
    preview,
    previews_per_day,
    run_metadata,
)
from event_analytics.partitions import daily_partitions, day_window
from event_analytics.policies import (
    CRITICAL_FRESHNESS,
    FOLLOW_UPSTREAM,
    SINGLE_RUN_BACKFILL,
    WAREHOUSE_KINDS,
    WAREHOUSE_POOL,
)
from event_analytics.warehouse import WarehouseResource
from event_analytics.warehouse.retry import retry_transient_errors
from event_analytics.warehouse.sql import query
from event_analytics.warehouse.tables import CLEANED_EVENTS, DAILY_SUMMARY

DAILY_SUMMARY_COLUMNS = column_schema(
    [
        ("date", "DATE", "The UTC day."),
        ("events", "BIGINT", "Cleaned events that day."),
        ("active_users", "BIGINT", "Distinct users with at least one event."),
        ("purchases", "BIGINT", "Events of type purchase."),
        ("revenue", "DECIMAL(38,4)", "Exact sum of revenue over all cleaned events."),
    ]
)


# Each figure is computed from one column of cleaned_events (queries/daily_summary.sql).
DAILY_SUMMARY_LINEAGE = column_lineage(
    "cleaned_events",
    {
        "date": ["event_date"],
        "events": ["event_id"],
        "active_users": ["user_id"],
        "purchases": ["event_type"],
        "revenue": ["revenue"],
    },
)


@dg.asset(
    partitions_def=daily_partitions,
    backfill_policy=SINGLE_RUN_BACKFILL,
    freshness_policy=CRITICAL_FRESHNESS,
    automation_condition=FOLLOW_UPSTREAM,
    pool=WAREHOUSE_POOL,
    deps=["cleaned_events"],
    group_name="events",
    kinds=WAREHOUSE_KINDS,
    metadata={
        "dagster/table_name": "analytics.daily_summary",
        "dagster/column_schema": DAILY_SUMMARY_COLUMNS,
    },
)
def daily_summary(
    context: dg.AssetExecutionContext, warehouse: WarehouseResource
) -> dg.MaterializeResult:
    """The figures a product team reads every morning: one row per UTC day.

    Table `analytics.daily_summary`: events, active users (distinct), purchases and revenue
    (exact decimal, summed over every cleaned event whatever its type) per day. A day with no
    events has a row of zeros, so a missing row always means "not computed yet", never "quiet".

    Each day's materialization records that day's row: its figures as numbers the UI plots
    (revenue also as exact text) and a preview of the row.
    """
    window = day_window(context.partition_time_window)
    with (
        retry_transient_errors(context),
        warehouse.connect() as session,
        session.transaction(),
    ):
        session.create_tables(CLEANED_EVENTS, DAILY_SUMMARY)
        session.replace_window(DAILY_SUMMARY, query("daily_summary"), window)
        rows = session.fetch_dicts(
            "SELECT date, events, active_users, purchases, revenue FROM analytics.daily_summary "
            "WHERE date >= $first_day AND date < $end_day ORDER BY date",
            {"first_day": window.first, "end_day": window.end},
        )
    add_per_day(context, _day_figures(rows, with_preview=previews_per_day(window)))
    return dg.MaterializeResult(
        metadata={**run_metadata(window), "dagster/column_lineage": DAILY_SUMMARY_LINEAGE}
    )


def _day_figures(
    rows: Iterable[dict[str, Any]], with_preview: bool
) -> dict[dt.date, dict[str, Any]]:
    """Each day's metadata from its row of the table (every day of the window has one)."""
    per_day = {}
    for row in rows:
        figures = {
            "dagster/row_count": dg.MetadataValue.int(1),
            "events": dg.MetadataValue.int(int(row["events"])),
            "active_users": dg.MetadataValue.int(int(row["active_users"])),
            "purchases": dg.MetadataValue.int(int(row["purchases"])),
            **money(Decimal(row["revenue"])),
        }
        if with_preview:
            figures["preview"] = preview([row])
        per_day[row["date"]] = figures
    return per_day
