"""Mistake: an unpartitioned asset takes a daily-partitioned input through the IO manager, so
each run loads every partition since the start date into memory (the guide's daily_summary)."""

from datetime import timedelta

import dagster as dg

daily = dg.DailyPartitionsDefinition(start_date="2025-01-01")
SLA = dg.FreshnessPolicy.time_window(fail_window=timedelta(hours=1))


@dg.asset(partitions_def=daily, backfill_policy=dg.BackfillPolicy.single_run())
def page_views() -> int:
    return 1


@dg.asset(freshness_policy=SLA)
def total_page_views(page_views: dict[str, int]) -> int:
    return sum(page_views.values())


defs = dg.Definitions(assets=[page_views, total_page_views])
