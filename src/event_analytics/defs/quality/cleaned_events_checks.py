"""Blocking checks on `cleaned_events`: nothing downstream consumes a bad partition."""

from collections.abc import Iterator

import dagster as dg

from event_analytics.partitions import daily_partitions, window_bounds
from event_analytics.policies import DUCKDB_POOL
from event_analytics.warehouse import WarehouseResource
from event_analytics.warehouse.retry import retry_transient_errors

# Each rule: what it means, and a query returning up to 5 offending rows, each carrying the
# total number of offenders (`count(*) OVER ()` is computed before the LIMIT).
_RULES = {
    "event_id_unique_per_day": (
        "Each event_id appears at most once per day. A failure means deduplication broke or "
        "the table was written outside the platform.",
        """
        SELECT event_date, event_id, copies, count(*) OVER () AS total
        FROM (
            SELECT event_date, event_id, count(*) AS copies
            FROM analytics.cleaned_events
            WHERE occurred_at >= $window_start AND occurred_at < $window_end
            GROUP BY event_date, event_id
            HAVING count(*) > 1
        ) AS duplicated
        ORDER BY event_date, event_id
        LIMIT 5
        """,
    ),
    "user_id_not_null": (
        "Every cleaned event has a user_id: rows without one are dropped by definition.",
        """
        SELECT event_date, event_id, count(*) OVER () AS total
        FROM analytics.cleaned_events
        WHERE occurred_at >= $window_start AND occurred_at < $window_end AND user_id IS NULL
        ORDER BY event_date, event_id
        LIMIT 5
        """,
    ),
    "revenue_not_negative": (
        "Revenue is never negative. Refunds are not modelled as negative purchases here.",
        """
        SELECT event_date, event_id, revenue, count(*) OVER () AS total
        FROM analytics.cleaned_events
        WHERE occurred_at >= $window_start AND occurred_at < $window_end AND revenue < 0
        ORDER BY event_date, event_id
        LIMIT 5
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


@dg.multi_asset_check(specs=SPECS, pool=DUCKDB_POOL)
def cleaned_events_checks(
    context: dg.AssetCheckExecutionContext, warehouse: WarehouseResource
) -> Iterator[dg.AssetCheckResult]:
    """Unique event ids, known users and non-negative revenue, over the partition window."""
    bounds = window_bounds(context.partition_time_window)
    with retry_transient_errors(context), warehouse.connect() as connection:
        for name, (_, sql) in _RULES.items():
            sample = connection.fetch_dicts(sql, bounds)
            count = int(sample[0]["total"]) if sample else 0
            yield dg.AssetCheckResult(
                check_name=name,
                passed=count == 0,
                severity=dg.AssetCheckSeverity.ERROR,
                description=f"{count} offending row(s)" if count else "no offending rows",
                metadata={
                    "offending_rows": dg.MetadataValue.int(count),
                    "examples": dg.MetadataValue.json(
                        [{k: str(v) for k, v in row.items() if k != "total"} for row in sample]
                    ),
                },
            )
