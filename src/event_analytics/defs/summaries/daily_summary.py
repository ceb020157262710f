"""`daily_summary`: the day's headline figures, exact."""

from decimal import Decimal

import dagster as dg

from event_analytics.metadata import column_schema, money, preview
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
    revenue = sum((Decimal(r["revenue"]) for r in rows), Decimal(0))
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": len(rows),
            "events": sum(r["events"] for r in rows),
            # Distinct users are not additive across days: report the day's own figure, and
            # the peak day's for a range run.
            "active_users": max((r["active_users"] for r in rows), default=0),
            "purchases": sum(r["purchases"] for r in rows),
            **money(revenue),
            "preview": preview(rows[-10:]),
        }
    )
