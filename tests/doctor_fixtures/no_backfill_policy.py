"""Mistake: a partitioned asset without a backfill policy: a year of history is 365 runs."""

from datetime import timedelta

import dagster as dg

daily = dg.DailyPartitionsDefinition(start_date="2025-01-01")
SLA = dg.FreshnessPolicy.time_window(fail_window=timedelta(hours=1))


@dg.asset(partitions_def=daily, freshness_policy=SLA)
def clicks() -> None:
    """One partition per day."""


defs = dg.Definitions(assets=[clicks])
