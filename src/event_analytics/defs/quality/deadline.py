"""Deadlines: the partition-aware SLA Dagster's freshness policy cannot express, and the
judgement of each day once it is complete.

Freshness policies look at the asset as a whole: materializing last month's partition makes
`daily_summary` look fresh even when yesterday's figures are missing. `partition_deadline`
asks the question people actually have: "are yesterday's numbers there by 02:00 UTC?". A
schedule evaluates it every 15 minutes, so the UI shows it and the alert sensor sees it.

A day's volume is only judged for real once the day is complete (its deadline has passed);
before that the volume check warns at most. Nothing reloads a finished day by itself, so
`volume_deadline_schedule` evaluates the raw_events checks for the day that just became
complete, a few minutes after the deadline, in a check-only run.
"""

import datetime as dt

import dagster as dg

from event_analytics.defs.quality.raw_events_checks import raw_events_checks
from event_analytics.partitions import daily_partitions
from event_analytics.quality import deadline as clock
from event_analytics.quality.deadline import due_partition
from event_analytics.quality.thresholds import DAILY_SUMMARY_DEADLINE_UTC, deadline_time

DAILY_SUMMARY = dg.AssetKey("daily_summary")
PARTITION_TAG = "dagster/partition"
# How long after the deadline the complete day is judged: late enough that a load started at
# the deadline has usually finished, early enough to page before people read the figures.
JUDGE_AFTER_DEADLINE = dt.timedelta(minutes=5)


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
    now = clock.utc_now()
    deadline = deadline_time()
    due = due_partition(now, deadline)
    first = daily_partitions.start.date()
    if due < first:
        return dg.AssetCheckResult(passed=True, description="no partition is due yet")
    missing = not context.instance.fetch_materializations(
        dg.AssetRecordsFilter(asset_key=DAILY_SUMMARY, asset_partitions=[due.isoformat()]),
        limit=1,
    ).records
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


volume_deadline_job = dg.define_asset_job(
    "volume_deadline_job",
    # Both raw_events checks: the rejected ratio of the complete day is its final word too.
    selection=dg.AssetSelection.checks(raw_events_checks),
    description="Judges raw_events' checks for one day, without reloading it.",
)


def cron_after(deadline: dt.time, delay: dt.timedelta) -> str:
    """A daily cron expression (UTC) firing `delay` after `deadline`."""
    at = (dt.datetime.combine(dt.date(2000, 1, 1), deadline) + delay).time()
    return f"{at.minute} {at.hour} * * *"


@dg.schedule(
    job=volume_deadline_job,
    cron_schedule=cron_after(deadline_time(), JUDGE_AFTER_DEADLINE),
    execution_timezone="UTC",
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description=(
        "A few minutes after each day's deadline, evaluates the raw_events checks for the day "
        "that just became complete, so its volume is judged on full counts (ERROR) even when "
        "nothing reloads it."
    ),
)
def volume_deadline_schedule(
    context: dg.ScheduleEvaluationContext,
) -> dg.RunRequest | dg.SkipReason:
    """Request a check-only run for the day whose deadline just passed."""
    due = due_partition(context.scheduled_execution_time, deadline_time())
    if due < daily_partitions.start.date():
        return dg.SkipReason(f"no day is complete yet ({due.isoformat()} is before the start)")
    # A check-only job has no assets to take a partitions definition from (Dagster leaves it
    # unpartitioned), so the day goes in as the run's partition tag, which the check reads.
    return dg.RunRequest(
        run_key=f"complete:{due.isoformat()}", tags={PARTITION_TAG: due.isoformat()}
    )
