"""Mistake: legacy APIs: `@repository`, `LegacyFreshnessPolicy` and a freshness-check builder
superseded by freshness policies."""

from datetime import timedelta
from typing import Any

import dagster as dg

SLA = dg.FreshnessPolicy.time_window(fail_window=timedelta(hours=1))


@dg.asset(legacy_freshness_policy=dg.LegacyFreshnessPolicy(maximum_lag_minutes=60))
def signups() -> None:
    """Carries the pre-1.11 freshness policy."""


@dg.asset(deps=[signups], freshness_policy=SLA)
def signup_funnel() -> None:
    """Watched by a freshness check built the old way."""


funnel_checks = dg.build_last_update_freshness_checks(
    assets=[signup_funnel], lower_bound_delta=timedelta(hours=1)
)


@dg.repository
def growth() -> list[Any]:
    return [signups, signup_funnel, *funnel_checks]
