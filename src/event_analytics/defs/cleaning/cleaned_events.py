"""`cleaned_events`: one trustworthy row per real event, with a known user."""

import dagster as dg

from event_analytics.metadata import column_schema, preview
from event_analytics.partitions import daily_partitions, window_bounds
from event_analytics.policies import DUCKDB_POOL, FOLLOW_UPSTREAM, SINGLE_RUN_BACKFILL
from event_analytics.warehouse import WarehouseResource
from event_analytics.warehouse.retry import retry_transient_errors

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
         WHERE occurred_at >= $window_start AND occurred_at < $window_end) AS rows_in,
       (SELECT count(*) FROM raw.events
         WHERE occurred_at >= $window_start AND occurred_at < $window_end
           AND user_id IS NULL) AS rows_without_user
FROM analytics.cleaned_events
WHERE occurred_at >= $window_start AND occurred_at < $window_end
"""


@dg.asset(
    partitions_def=daily_partitions,
    backfill_policy=SINGLE_RUN_BACKFILL,
    automation_condition=FOLLOW_UPSTREAM,
    pool=DUCKDB_POOL,
    deps=["raw_events"],
    group_name="events",
    kinds={"duckdb", "sql"},
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
    bounds = window_bounds(context.partition_time_window)
    with (
        retry_transient_errors(context),
        warehouse.connect() as connection,
        connection.transaction(),
    ):
        connection.run_script("duckdb/schema")
        connection.run_script("portable/cleaned_events", bounds)
        figures = connection.fetch_dicts(_WINDOW_FIGURES, bounds)[0]
        sample = connection.fetch_dicts(
            "SELECT event_id, user_id, event_type, occurred_at, revenue "
            "FROM analytics.cleaned_events "
            "WHERE occurred_at >= $window_start AND occurred_at < $window_end "
            "ORDER BY occurred_at, event_id LIMIT 10",
            bounds,
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
