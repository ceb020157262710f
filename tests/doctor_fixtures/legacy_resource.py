"""Mistake: a resource declared with the legacy `@resource` decorator."""

from datetime import timedelta
from typing import Any

import dagster as dg

SLA = dg.FreshnessPolicy.time_window(fail_window=timedelta(hours=1))


@dg.resource(config_schema={"base_url": str})
def prices_api(context: dg.InitResourceContext) -> dict[str, Any]:
    return {"base_url": context.resource_config["base_url"]}


@dg.asset(required_resource_keys={"prices_api"}, freshness_policy=SLA)
def prices(context: dg.AssetExecutionContext) -> None:
    """Prices fetched through the legacy resource."""


defs = dg.Definitions(
    assets=[prices],
    resources={"prices_api": prices_api.configured({"base_url": "https://prices.example.com"})},
)
