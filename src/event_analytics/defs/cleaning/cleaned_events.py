"""`cleaned_events`: one trustworthy row per real event, with a known user."""

import dagster as dg

from event_analytics.metadata import column_schema, preview
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

_WINDOW_FIGURES = """
SELECT count(*) AS rows_kept,
       (SELECT count(*) FROM raw.events
         WHERE event_date >= $first_day AND event_date < $end_day) AS rows_in,
       (SELECT count(*) FROM raw.events
         WHERE event_date >= $first_day AND event_date < $end_day
           AND user_id IS NULL) AS rows_without_user
FROM analytics.cleaned_events
WHERE event_date >= $first_day AND event_date < $end_day
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
        figures = session.fetch_dicts(_WINDOW_FIGURES, days)[0]
        sample = session.fetch_dicts(
            "SELECT event_id, user_id, event_type, occurred_at, revenue "
            "FROM analytics.cleaned_events "
            "WHERE event_date >= $first_day AND event_date < $end_day "
            "ORDER BY occurred_at, event_id LIMIT 10",
            days,
        )
    kept, rows_in, no_user = figures["rows_kept"], figures["rows_in"], figures["rows_without_user"]
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": kept,
            "rows_in": rows_in,
            "dropped_without_user": no_user,
            "dropped_duplicates": rows_in - no_user - kept,
            "preview": preview(sample),
        }
    )
