"""Checks on `raw_events` that alert but never block: usable lines always flow downstream."""

import datetime as dt
from collections.abc import Iterator

import dagster as dg

from event_analytics.partitions import daily_partitions, window_bounds, window_days
from event_analytics.policies import DUCKDB_POOL
from event_analytics.quality.thresholds import (
    RAW_REJECTED_RATIO_MAX,
    RAW_VOLUME_MAX_RATIO,
    RAW_VOLUME_MIN_RATIO,
    ratio,
)
from event_analytics.quality.volume import TRAILING_DAYS, judge_volume
from event_analytics.quality.window import failing_days, per_day
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

_ROWS_PER_DAY = """
SELECT event_date AS day, count(*) AS n
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
        "of the usual events is an incident, not a success. Passes until 3 days of history."
    ),
)


@dg.multi_asset_check(specs=[REJECTED_RATIO, VOLUME_BAND], pool=DUCKDB_POOL)
def raw_events_checks(
    context: dg.AssetCheckExecutionContext, warehouse: WarehouseResource
) -> Iterator[dg.AssetCheckResult]:
    """Rejected-line ratio and volume band for every day of the partition window."""
    window = context.partition_time_window
    days = window_days(window)
    bounds = window_bounds(window)
    history_start = bounds["window_start"] - dt.timedelta(days=TRAILING_DAYS)
    with retry_transient_errors(context), warehouse.connect() as connection:
        lines = per_day(connection, _LINES_PER_DAY, bounds)
        counts = per_day(connection, _ROWS_PER_DAY, {**bounds, "history_start": history_start})
    yield _rejected_ratio_result(days, lines)
    yield _volume_result(days, {day: int(row["n"]) for day, row in counts.items()})


def _rejected_ratio_result(
    days: list[dt.date], lines: dict[dt.date, dict[str, int]]
) -> dg.AssetCheckResult:
    limit = ratio(RAW_REJECTED_RATIO_MAX)
    ratios: dict[dt.date, float] = {}
    for day in days:
        loaded = int(lines.get(day, {}).get("loaded", 0))
        rejected = int(lines.get(day, {}).get("rejected", 0))
        ratios[day] = rejected / (loaded + rejected) if loaded + rejected else 0.0
    failing = failing_days({day: r <= limit for day, r in ratios.items()})
    worst = max(ratios.values(), default=0.0)
    return dg.AssetCheckResult(
        check_name=REJECTED_RATIO.name,
        passed=not failing,
        severity=dg.AssetCheckSeverity.ERROR,
        description=(
            f"rejected ratio above {limit:.2%} on {', '.join(failing)}"
            if failing
            else f"rejected ratio at most {worst:.2%} (limit {limit:.2%})"
        ),
        metadata={
            "rejected_ratio": dg.MetadataValue.float(worst),
            "threshold": dg.MetadataValue.float(limit),
            "failing_days": dg.MetadataValue.json(failing),
        },
    )


def _volume_result(days: list[dt.date], counts: dict[dt.date, int]) -> dg.AssetCheckResult:
    low, high = ratio(RAW_VOLUME_MIN_RATIO), ratio(RAW_VOLUME_MAX_RATIO)
    verdicts = {}
    for day in days:
        trailing = [
            counts[d]
            for d in (day - dt.timedelta(days=i) for i in range(1, TRAILING_DAYS + 1))
            if counts.get(d)
        ]
        verdicts[day] = judge_volume(counts.get(day, 0), trailing, low, high)
    failing = failing_days({day: v.passed for day, v in verdicts.items()})
    last = verdicts[days[-1]]
    return dg.AssetCheckResult(
        check_name=VOLUME_BAND.name,
        passed=not failing,
        severity=dg.AssetCheckSeverity.ERROR,
        description="; ".join(
            f"{day.isoformat()}: {v.reason}" for day, v in verdicts.items() if not v.passed
        )
        or last.reason,
        metadata={
            "rows": dg.MetadataValue.int(last.rows),
            "trailing_median": dg.MetadataValue.float(last.baseline or 0.0),
            "history_days": dg.MetadataValue.int(last.history_days),
            "band": dg.MetadataValue.text(f"[{low:g}, {high:g}] x median"),
            "failing_days": dg.MetadataValue.json(failing),
        },
    )
