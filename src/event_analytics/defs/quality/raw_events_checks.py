"""Checks on `raw_events` that alert but never block: usable lines always flow downstream."""

import datetime as dt
from collections.abc import Iterator

import dagster as dg

from event_analytics.defs.quality.per_day import DayResult, Evaluations, per_day_evaluations
from event_analytics.partitions import daily_partitions, day_window, window_days
from event_analytics.policies import WAREHOUSE_POOL
from event_analytics.quality import deadline
from event_analytics.quality.thresholds import (
    RAW_REJECTED_RATIO_MAX,
    RAW_VOLUME_MAX_RATIO,
    RAW_VOLUME_MIN_RATIO,
    deadline_time,
    ratio,
)
from event_analytics.quality.volume import TRAILING_DAYS, DayCounts, judge_day_volume, time_of_day
from event_analytics.quality.window import per_day
from event_analytics.warehouse import WarehouseResource
from event_analytics.warehouse.retry import retry_transient_errors

_LINES_PER_DAY = """
SELECT day, sum(loaded) AS loaded, sum(rejected) AS rejected FROM (
    SELECT event_date AS day, count(*) AS loaded, 0 AS rejected
    FROM raw.events
    WHERE occurred_at >= $window_start AND occurred_at < $window_end
    GROUP BY event_date
    UNION ALL
    SELECT partition_date AS day, 0 AS loaded, count(*) AS rejected
    FROM raw.rejected_events
    WHERE partition_date >= CAST($window_start AS DATE)
      AND partition_date < CAST($window_end AS DATE)
      AND line_number IS NOT NULL
    GROUP BY partition_date
) AS counts
GROUP BY day
"""

# Whole days, and each day's rows before the current time of day (for today's partial count).
_ROWS_PER_DAY = """
SELECT event_date AS day,
       count(*) AS whole,
       sum(CASE WHEN occurred_at < CAST(event_date AS TIMESTAMP) + $time_of_day THEN 1 ELSE 0 END)
           AS before
FROM raw.events
WHERE occurred_at >= $history_start AND occurred_at < $window_end
GROUP BY event_date
"""

REJECTED_RATIO = dg.AssetCheckSpec(
    "rejected_ratio_below_threshold",
    asset="raw_events",
    partitions_def=daily_partitions,
    blocking=False,
    description=(
        "The share of a day's non-blank lines rejected by the landing-zone contract stays "
        f"below {RAW_REJECTED_RATIO_MAX.env_var} (default 1%). Fires on a producer bug or a "
        "contract change; the rejected lines wait in raw.rejected_events with their reasons."
    ),
)
VOLUME_BAND = dg.AssetCheckSpec(
    "volume_within_trailing_median_band",
    asset="raw_events",
    partitions_def=daily_partitions,
    blocking=False,
    description=(
        "A day's loaded rows stay between RAW_VOLUME_MIN_RATIO (0.5) and RAW_VOLUME_MAX_RATIO "
        "(3.0) times the median of the 7 days before it that have data. A day with a tenth "
        "of the usual events is an incident, not a success. Passes until 3 days of history. "
        "A day is complete at its deadline (DAILY_SUMMARY_DEADLINE_UTC on the next day); "
        "until then it is compared with the same hours of the earlier days and fails with "
        "WARN at most. volume_deadline_schedule judges each day once it is complete."
    ),
)


@dg.multi_asset_check(specs=[REJECTED_RATIO, VOLUME_BAND], pool=WAREHOUSE_POOL)
def raw_events_checks(
    context: dg.AssetCheckExecutionContext, warehouse: WarehouseResource
) -> Evaluations:
    """Rejected-line ratio and volume band, for each day of the partition window."""
    window = context.partition_time_window
    days = window_days(window)
    bounds = day_window(window).params()
    now = deadline.utc_now()
    cutoff = time_of_day(now)
    params = {
        **bounds,
        "history_start": bounds["window_start"] - dt.timedelta(days=TRAILING_DAYS),
        "time_of_day": cutoff,
    }
    with retry_transient_errors(context), warehouse.connect() as connection:
        lines = per_day(connection, _LINES_PER_DAY, bounds)
        rows = per_day(connection, _ROWS_PER_DAY, params)
    yield from per_day_evaluations(context, REJECTED_RATIO, _rejected_ratios(days, lines))
    counts = DayCounts(
        whole={day: int(row["whole"]) for day, row in rows.items()},
        before={day: int(row["before"]) for day, row in rows.items()},
        time_of_day=cutoff,
    )
    yield from per_day_evaluations(context, VOLUME_BAND, _volumes(days, counts, now))


def _rejected_ratios(
    days: list[dt.date], lines: dict[dt.date, dict[str, int]]
) -> Iterator[DayResult]:
    limit = ratio(RAW_REJECTED_RATIO_MAX)
    for day in days:
        loaded = int(lines.get(day, {}).get("loaded", 0))
        rejected = int(lines.get(day, {}).get("rejected", 0))
        share = rejected / (loaded + rejected) if loaded + rejected else 0.0
        yield DayResult(
            day=day,
            passed=share <= limit,
            description=(
                f"{rejected} of {loaded + rejected} lines rejected ({share:.2%}, limit {limit:.2%})"
            ),
            metadata={
                "rejected_ratio": dg.MetadataValue.float(share),
                "rejected_lines": dg.MetadataValue.int(rejected),
                "lines": dg.MetadataValue.int(loaded + rejected),
                "threshold": dg.MetadataValue.float(limit),
            },
        )


def _volumes(days: list[dt.date], counts: DayCounts, now: dt.datetime) -> Iterator[DayResult]:
    low, high = ratio(RAW_VOLUME_MIN_RATIO), ratio(RAW_VOLUME_MAX_RATIO)
    due_at = deadline_time()
    for day in days:
        judged = judge_day_volume(day, counts, now, due_at, low, high)
        verdict = judged.verdict
        yield DayResult(
            day=day,
            passed=verdict.passed,
            description=verdict.reason,
            metadata={
                "rows": dg.MetadataValue.int(verdict.rows),
                "trailing_median": dg.MetadataValue.float(verdict.baseline or 0.0),
                "history_days": dg.MetadataValue.int(verdict.history_days),
                "band": dg.MetadataValue.text(f"[{low:g}, {high:g}] x median"),
                "complete": dg.MetadataValue.bool(judged.complete),
                "compared_until": dg.MetadataValue.text(judged.compared_until),
                "judged_at": dg.MetadataValue.text(now.isoformat(timespec="seconds")),
            },
            # A day still landing is worth a look, never a page.
            severity=dg.AssetCheckSeverity.ERROR if judged.complete else dg.AssetCheckSeverity.WARN,
        )
