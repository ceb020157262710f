"""Mistake: assets with automation conditions whose only automation sensors start STOPPED:
one declared stopped, and Dagster's default sensor for the rest."""

from datetime import timedelta

import dagster as dg

SLA = dg.FreshnessPolicy.time_window(fail_window=timedelta(hours=1))


@dg.asset(automation_condition=dg.AutomationCondition.on_cron("0 * * * *"), freshness_policy=SLA)
def exchange_rates() -> None:
    """Refreshed every hour, once a sensor runs."""


@dg.asset(automation_condition=dg.AutomationCondition.on_cron("0 * * * *"), freshness_policy=SLA)
def weather() -> None:
    """Refreshed every hour, once a sensor runs."""


nightly = dg.AutomationConditionSensorDefinition(
    "nightly_automation",
    target=dg.AssetSelection.assets(exchange_rates),
    default_status=dg.DefaultSensorStatus.STOPPED,
)

defs = dg.Definitions(assets=[exchange_rates, weather], sensors=[nightly])
