"""The partition-aware SLA Dagster's freshness policy cannot express.

Freshness policies look at the asset as a whole: materializing last month's partition makes
`daily_summary` look fresh even when yesterday's figures are missing. This check asks the
question people actually have: "are yesterday's numbers there by 02:00 UTC?". A schedule
evaluates it every 15 minutes, so the UI shows it and the alert sensor sees it.
"""

import datetime as dt

import dagster as dg

from event_analytics.partitions import daily_partitions
from event_analytics.quality.deadline import due_partition
from event_analytics.quality.thresholds import DAILY_SUMMARY_DEADLINE_UTC, deadline_time

DAILY_SUMMARY = dg.AssetKey("daily_summary")


@dg.asset_check(
    asset=DAILY_SUMMARY,
    name="partition_deadline",
    blocking=False,
    description=(
        "Yesterday's daily_summary partition exists by the deadline "
        f"({DAILY_SUMMARY_DEADLINE_UTC.env_var}, default 02:00 UTC). Evaluated every 15 "
        "minutes by partition_deadline_schedule; fails while the due day is missing and "
        "clears once it lands."
    ),
)
def partition_deadline(context: dg.AssetCheckExecutionContext) -> dg.AssetCheckResult:
    """Is the latest due day of daily_summary materialized?"""
    now = dt.datetime.now(dt.UTC)
    deadline = deadline_time()
    due = due_partition(now, deadline)
    first = daily_partitions.start.date()
    if due < first:
        return dg.AssetCheckResult(passed=True, description="no partition is due yet")
    materialized = context.instance.get_materialized_partitions(DAILY_SUMMARY)
    missing = due.isoformat() not in materialized
    return dg.AssetCheckResult(
        passed=not missing,
        severity=dg.AssetCheckSeverity.ERROR,
        description=(
            f"daily_summary for {due.isoformat()} was due at {deadline:%H:%M} UTC on "
            f"{due + dt.timedelta(days=1)} and is missing"
            if missing
            else f"daily_summary for {due.isoformat()} is in"
        ),
        metadata={
            "due_partition": dg.MetadataValue.text(due.isoformat()),
            "deadline_utc": dg.MetadataValue.text(f"{deadline:%H:%M}"),
            "evaluated_at": dg.MetadataValue.text(now.isoformat(timespec="seconds")),
        },
    )


partition_deadline_job = dg.define_asset_job(
    "partition_deadline_job",
    selection=dg.AssetSelection.checks(partition_deadline),
    description="Evaluates the daily_summary deadline check.",
)

partition_deadline_schedule = dg.ScheduleDefinition(
    name="partition_deadline_schedule",
    job=partition_deadline_job,
    cron_schedule="*/15 * * * *",
    execution_timezone="UTC",
    default_status=dg.DefaultScheduleStatus.RUNNING,
)
