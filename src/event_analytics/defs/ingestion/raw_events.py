"""`raw_events`: every usable line of the landing zone, one partition per UTC day."""

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

import dagster as dg

from event_analytics.ingest import LoadReport, load_window
from event_analytics.landing import LANDING_DIGESTS, LandingZoneResource
from event_analytics.metadata import (
    add_per_day,
    column_schema,
    day_previews,
    previews_per_day,
    ratio,
    run_metadata,
)
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


# Each day's load, from the tables the load just wrote, in one query for the whole window:
# one row per day and rejection reason (a day without rejections has one row, reason NULL).
_DAY_FIGURES = """
WITH files AS (
    SELECT partition_date AS day, count(*) AS files,
           CAST(sum(lines_read) AS BIGINT) AS lines_read,
           CAST(sum(blank_lines) AS BIGINT) AS blank_lines
    FROM raw.landed_files
    WHERE partition_date >= $first_day AND partition_date < $end_day
    GROUP BY partition_date
), loaded AS (
    SELECT event_date AS day, count(*) AS rows_loaded
    FROM raw.events
    WHERE event_date >= $first_day AND event_date < $end_day
    GROUP BY event_date
), rejected AS (
    SELECT partition_date AS day, reason, count(*) AS lines
    FROM raw.rejected_events
    WHERE partition_date >= $first_day AND partition_date < $end_day
      AND line_number IS NOT NULL
    GROUP BY partition_date, reason
)
SELECT files.day, files.files, files.lines_read, files.blank_lines,
       coalesce(loaded.rows_loaded, 0) AS rows_loaded, rejected.reason, rejected.lines
FROM files
LEFT JOIN loaded ON loaded.day = files.day
LEFT JOIN rejected ON rejected.day = files.day
"""


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

    Each day's materialization records that day's load: lines read, rows loaded and
    rejected (by reason), the rejected share, files, corrupt and removed files, the folder's
    digest (which the landing sensor compares), and previews of its rows and rejections.
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
        per_day = _day_figures(window.days(), session.fetch_dicts(_DAY_FIGURES, days), report)
        if previews_per_day(window):
            rows = day_previews(
                session,
                "event_id, user_id, event_type, occurred_at, revenue",
                "raw.events",
                "event_date",
                ("occurred_at", "event_id"),
                window,
            )
            rejected = day_previews(
                session,
                "source_file, line_number, reason, detail",
                "raw.rejected_events",
                "partition_date",
                ("source_file", "line_number"),
                window,
            )
            for day, figures in per_day.items():
                figures["preview"], figures["rejected_preview"] = rows[day], rejected[day]
    add_per_day(context, per_day)
    return dg.MaterializeResult(metadata=run_metadata(window))


def _day_figures(
    days: list[dt.date], rows: Iterable[dict[str, Any]], report: LoadReport
) -> dict[dt.date, dict[str, Any]]:
    """Each day's metadata, from `_DAY_FIGURES`' rows and the load's report."""
    files: dict[dt.date, dict[str, int]] = {}
    reasons: dict[dt.date, dict[str, int]] = defaultdict(dict)
    for row in rows:
        files[row["day"]] = {
            name: int(row[name]) for name in ("files", "lines_read", "blank_lines", "rows_loaded")
        }
        if row["reason"] is not None:
            reasons[row["day"]][row["reason"]] = int(row["lines"])
    corrupt, removed = _by_day(report.corrupt_files), _by_day(report.removed_files)
    per_day = {}
    for day in days:
        counts = files.get(
            day, dict.fromkeys(("files", "lines_read", "blank_lines", "rows_loaded"), 0)
        )
        rejected = sum(reasons[day].values())
        key = day.isoformat()
        per_day[day] = {
            "dagster/row_count": dg.MetadataValue.int(counts["rows_loaded"]),
            "files": dg.MetadataValue.int(counts["files"]),
            "lines_read": dg.MetadataValue.int(counts["lines_read"]),
            "rows_loaded": dg.MetadataValue.int(counts["rows_loaded"]),
            "rows_rejected": dg.MetadataValue.int(rejected),
            "blank_lines": dg.MetadataValue.int(counts["blank_lines"]),
            "rejected_ratio": ratio(rejected, counts["lines_read"]),
            "rejected_by_reason": dg.MetadataValue.json(dict(sorted(reasons[day].items()))),
            "corrupt_files": dg.MetadataValue.json(corrupt.get(key, [])),
            "removed_files": dg.MetadataValue.json(removed.get(key, [])),
            # The landing sensor reads the day's digest from the day's latest materialization.
            LANDING_DIGESTS: dg.MetadataValue.json({key: report.digests[key]}),
        }
    return per_day


def _by_day(paths: Iterable[str]) -> dict[str, list[str]]:
    """Landed files by the day folder they are in: `events/date=D/<name>` is D's."""
    by_day: dict[str, list[str]] = defaultdict(list)
    for path in paths:
        by_day[path.split("/")[1].removeprefix("date=")].append(path)
    return by_day
