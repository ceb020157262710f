"""Blocking checks on `cleaned_events`: nothing downstream consumes a bad partition."""

import datetime as dt
from typing import Any

import dagster as dg

from event_analytics.defs.quality.per_day import DayResult, Evaluations, per_day_evaluations
from event_analytics.partitions import daily_partitions, day_window, window_days
from event_analytics.policies import WAREHOUSE_POOL
from event_analytics.quality.window import rows_by_day
from event_analytics.warehouse import WarehouseResource
from event_analytics.warehouse.retry import retry_transient_errors

# Each rule: what it means, and a query returning, for every day of the window, up to 5 of
# that day's offending rows, each carrying the day's number of offenders (`total`, counted
# before the examples are cut to 5).
_RULES = {
    "event_id_unique_per_day": (
        "Each event_id appears at most once per day. A failure means deduplication broke or "
        "the table was written outside the platform.",
        """
        SELECT day, event_id, copies, total FROM (
            SELECT event_date AS day, event_id, copies,
                   count(*) OVER (PARTITION BY event_date) AS total,
                   row_number() OVER (PARTITION BY event_date ORDER BY event_id) AS example_number
            FROM (
                SELECT event_date, event_id, count(*) AS copies
                FROM analytics.cleaned_events
                WHERE occurred_at >= $window_start AND occurred_at < $window_end
                GROUP BY event_date, event_id
                HAVING count(*) > 1
            ) AS duplicated
        ) AS ranked
        WHERE example_number <= 5
        ORDER BY day, event_id
        """,
    ),
    "user_id_not_null": (
        "Every cleaned event has a user_id: rows without one are dropped by definition.",
        """
        SELECT day, event_id, total FROM (
            SELECT event_date AS day, event_id,
                   count(*) OVER (PARTITION BY event_date) AS total,
                   row_number() OVER (PARTITION BY event_date ORDER BY event_id) AS example_number
            FROM analytics.cleaned_events
            WHERE occurred_at >= $window_start AND occurred_at < $window_end
              AND user_id IS NULL
        ) AS ranked
        WHERE example_number <= 5
        ORDER BY day, event_id
        """,
    ),
    "revenue_not_negative": (
        "Revenue is never negative. Refunds are not modelled as negative purchases here.",
        """
        SELECT day, event_id, revenue, total FROM (
            SELECT event_date AS day, event_id, revenue,
                   count(*) OVER (PARTITION BY event_date) AS total,
                   row_number() OVER (PARTITION BY event_date ORDER BY event_id) AS example_number
            FROM analytics.cleaned_events
            WHERE occurred_at >= $window_start AND occurred_at < $window_end AND revenue < 0
        ) AS ranked
        WHERE example_number <= 5
        ORDER BY day, event_id
        """,
    ),
}

SPECS = [
    dg.AssetCheckSpec(
        name,
        asset="cleaned_events",
        partitions_def=daily_partitions,
        blocking=True,
        description=description,
    )
    for name, (description, _) in _RULES.items()
]


@dg.multi_asset_check(specs=SPECS, pool=WAREHOUSE_POOL)
def cleaned_events_checks(
    context: dg.AssetCheckExecutionContext, warehouse: WarehouseResource
) -> Evaluations:
    """Unique event ids, known users and non-negative revenue, for each day of the window."""
    window = context.partition_time_window
    days = window_days(window)
    with retry_transient_errors(context), warehouse.connect() as connection:
        offenders = {
            name: rows_by_day(connection, sql, day_window(window).params())
            for name, (_, sql) in _RULES.items()
        }
    for spec in SPECS:
        results = [_day_result(day, offenders[spec.name].get(day, [])) for day in days]
        yield from per_day_evaluations(context, spec, results)


def _day_result(day: dt.date, sample: list[dict[str, Any]]) -> DayResult:
    """The day's verdict from up to 5 of its offending rows (each carrying the day's total)."""
    count = int(sample[0]["total"]) if sample else 0
    return DayResult(
        day=day,
        passed=count == 0,
        description=f"{count} offending row(s)" if count else "no offending rows",
        metadata={
            "offending_rows": dg.MetadataValue.int(count),
            "examples": dg.MetadataValue.json(
                [{k: str(v) for k, v in row.items() if k != "total"} for row in sample]
            ),
        },
    )
