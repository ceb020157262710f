"""`daily_summary` must reconcile exactly with `cleaned_events`: blocking."""

import datetime as dt
from decimal import Decimal
from typing import Any

import dagster as dg

from event_analytics.defs.quality.per_day import DayResult, Evaluations, per_day_evaluations
from event_analytics.partitions import daily_partitions, day_window, window_days
from event_analytics.policies import WAREHOUSE_POOL
from event_analytics.quality.window import per_day
from event_analytics.warehouse import WarehouseResource
from event_analytics.warehouse.retry import retry_transient_errors

_SUMMARY = """
SELECT date AS day, events, active_users, purchases, revenue
FROM analytics.daily_summary
WHERE date >= CAST($window_start AS DATE) AND date < CAST($window_end AS DATE)
"""

_RECOMPUTED = """
SELECT event_date AS day,
       count(*) AS events,
       count(DISTINCT user_id) AS active_users,
       sum(CASE WHEN event_type = 'purchase' THEN 1 ELSE 0 END) AS purchases,
       sum(revenue) AS revenue
FROM analytics.cleaned_events
WHERE occurred_at >= $window_start AND occurred_at < $window_end
GROUP BY event_date
"""

_FIGURES = ("events", "active_users", "purchases", "revenue")
_ZERO = {"events": 0, "active_users": 0, "purchases": 0, "revenue": Decimal(0)}


def differences(
    day: dt.date,
    summary: dict[dt.date, dict[str, Any]],
    recomputed: dict[dt.date, dict[str, Any]],
) -> list[str]:
    """Human-readable differences between the day's summary row and a recomputation."""
    if day not in summary:
        return [f"{day.isoformat()}: no summary row"]
    expected = recomputed.get(day, _ZERO)
    return [
        f"{day.isoformat()}: {figure} is {summary[day][figure]}, "
        f"cleaned_events says {expected[figure]}"
        for figure in _FIGURES
        if Decimal(summary[day][figure]) != Decimal(expected[figure])
    ]


RECONCILES = dg.AssetCheckSpec(
    "reconciles_with_cleaned_events",
    asset="daily_summary",
    partitions_def=daily_partitions,
    blocking=True,
    additional_deps=["cleaned_events"],
    description=(
        "For every day, events, distinct users, purchases and revenue (exactly, to the last of "
        "4 decimal places) equal a fresh aggregation of cleaned_events."
    ),
)


@dg.multi_asset_check(specs=[RECONCILES], pool=WAREHOUSE_POOL)
def daily_summary_checks(
    context: dg.AssetCheckExecutionContext, warehouse: WarehouseResource
) -> Evaluations:
    """Recompute each day's figures from cleaned_events and compare them exactly."""
    window = context.partition_time_window
    bounds = day_window(window).params()
    with retry_transient_errors(context), warehouse.connect() as connection:
        summary = per_day(connection, _SUMMARY, bounds)
        recomputed = per_day(connection, _RECOMPUTED, bounds)
    results = []
    for day in window_days(window):
        problems = differences(day, summary, recomputed)
        results.append(
            DayResult(
                day=day,
                passed=not problems,
                description="; ".join(problems) if problems else "reconciles exactly",
                metadata={"differences": dg.MetadataValue.json(problems)},
            )
        )
    yield from per_day_evaluations(context, RECONCILES, results)
