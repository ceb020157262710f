"""`raw_events`: every usable line of the landing zone, one partition per UTC day."""

import dagster as dg

from event_analytics.ingest import load_window
from event_analytics.landing import LANDING_DIGESTS, LandingZoneResource
from event_analytics.metadata import column_schema, preview
from event_analytics.partitions import daily_partitions, day_window
from event_analytics.policies import (
    CRITICAL_FRESHNESS,
    SINGLE_RUN_BACKFILL,
    WAREHOUSE_KINDS,
    WAREHOUSE_POOL,
)
from event_analytics.warehouse import WarehouseResource
from event_analytics.warehouse.retry import retry_transient_errors

RAW_EVENTS_COLUMNS = column_schema(
    [
        ("event_id", "VARCHAR", "The producer's id for the event; duplicates possible here."),
        ("user_id", "VARCHAR", "Who did it; NULL when the producer did not know."),
        ("event_type", "VARCHAR", "What happened, e.g. page_view, add_to_cart, purchase."),
        ("occurred_at", "TIMESTAMP", "When it happened, in UTC."),
        ("event_date", "DATE", "The UTC day of occurred_at: the partition."),
        ("revenue", "DECIMAL(18,4)", "Exact revenue of the event; 0 when none."),
        ("properties", "JSON", "The producer's properties object."),
        ("extra", "JSON", "Top-level fields outside the contract, kept as they came."),
        ("source_file", "VARCHAR", "Landed file, relative to the landing root."),
        ("source_line", "BIGINT", "1-based line number in that file."),
    ]
)


@dg.asset(
    partitions_def=daily_partitions,
    backfill_policy=SINGLE_RUN_BACKFILL,
    freshness_policy=CRITICAL_FRESHNESS,
    pool=WAREHOUSE_POOL,
    group_name="events",
    kinds=WAREHOUSE_KINDS,
    metadata={"dagster/table_name": "raw.events", "dagster/column_schema": RAW_EVENTS_COLUMNS},
)
def raw_events(
    context: dg.AssetExecutionContext,
    warehouse: WarehouseResource,
    landing: LandingZoneResource,
) -> dg.MaterializeResult:
    """Raw product events exactly as producers sent them, one row per usable landed line.

    Table `raw.events`. Partition D holds every usable line of the landing folder
    `events/date=D/`. Lines that break the landing-zone contract are not dropped: they go to
    `raw.rejected_events` with file, line number, the raw text and a reason, in the same
    transaction. Lines read = rows loaded + rows rejected, always. Duplicates and events
    without a user are still here; `cleaned_events` removes them.
    """
    window = day_window(context.partition_time_window)
    days = {"first_day": window.first, "end_day": window.end}
    with (
        retry_transient_errors(context),
        warehouse.connect() as session,
        session.transaction(),
    ):
        report = load_window(
            session,
            landing,
            window,
            progress=context.log.info,
            memory_limit=warehouse.memory_limit,
        )
        for name in report.removed_files:
            context.log.warning(f"{name} was loaded before and is gone: its rows were removed")
        sample = session.fetch_dicts(
            "SELECT event_id, user_id, event_type, occurred_at, revenue FROM raw.events "
            "WHERE event_date >= $first_day AND event_date < $end_day "
            "ORDER BY occurred_at, event_id LIMIT 10",
            days,
        )
        rejected = session.fetch_dicts(
            "SELECT source_file, line_number, reason, detail FROM raw.rejected_events "
            "WHERE partition_date >= $first_day AND partition_date < $end_day "
            "ORDER BY source_file, line_number LIMIT 10",
            days,
        )
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": report.rows_loaded,
            "days": report.days,
            "files": report.files,
            "lines_read": report.lines_read,
            "rows_loaded": report.rows_loaded,
            "rows_rejected": report.rows_rejected,
            "blank_lines": report.blank_lines,
            "corrupt_files": dg.MetadataValue.json(report.corrupt_files),
            "removed_files": dg.MetadataValue.json(report.removed_files),
            "rejected_ratio": dg.MetadataValue.float(
                report.rows_rejected / report.lines_read if report.lines_read else 0.0
            ),
            "rejected_by_reason": dg.MetadataValue.json(dict(report.rejected_by_reason)),
            "preview": preview(sample),
            "rejected_preview": preview(rejected),
            LANDING_DIGESTS: dg.MetadataValue.json(report.digests),
        }
    )
