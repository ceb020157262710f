"""The platform's shared policies: which pool writers use, the SLA, and when assets follow.

Kept in one place so the rules the platform promises are easy to find and to change.
"""

from __future__ import annotations

from datetime import timedelta

import dagster as dg

# Every asset that writes the DuckDB file runs in this pool. The instance config
# (dagster_home/dagster.yaml) limits each pool to one slot, so DuckDB's single-writer lock
# is never contended by the platform itself.
DUCKDB_POOL = "duckdb"

# The guide's 60-minute SLA, in today's API: a critical asset not materialized within the last
# hour is DEGRADED; after 45 minutes it WARNs first so someone can act before the breach.
CRITICAL_FRESHNESS = dg.FreshnessPolicy.time_window(
    fail_window=timedelta(minutes=60), warn_window=timedelta(minutes=45)
)

# Downstream assets follow their inputs for *any* partition, not just the latest one: a late
# file for last Tuesday must refresh last Tuesday's figures. `eager()` alone is limited to the
# latest time window, hence the `without`.
FOLLOW_UPSTREAM = dg.AutomationCondition.eager().without(
    dg.AutomationCondition.in_latest_time_window()
)

# Ranges run as one run (one transaction per asset), never as hundreds of single-day runs.
SINGLE_RUN_BACKFILL = dg.BackfillPolicy.single_run()
