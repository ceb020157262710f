"""Mistake (seen only in run history): an unpartitioned asset whose materializations record
tens of millions of rows, rebuilt in full every run."""

from datetime import timedelta

import dagster as dg

SLA = dg.FreshnessPolicy.time_window(fail_window=timedelta(hours=1))


@dg.asset(freshness_policy=SLA)
def clickstream() -> dg.MaterializeResult:
    return dg.MaterializeResult(metadata={"dagster/row_count": 0})


defs = dg.Definitions(assets=[clickstream])
