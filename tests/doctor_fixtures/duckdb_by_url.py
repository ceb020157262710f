"""Mistake (depending on the environment): an asset writes through a warehouse resource whose
URL, read from SHOP_WAREHOUSE_URL, names a DuckDB file, and it is in no pool."""

from datetime import timedelta

import dagster as dg

SLA = dg.FreshnessPolicy.time_window(fail_window=timedelta(hours=1))


class Warehouse(dg.ConfigurableResource):
    """A warehouse named by a URL: a DuckDB file or a server."""

    url: str


@dg.asset(freshness_policy=SLA)
def shop_totals(warehouse: Warehouse) -> None:
    """Written into the warehouse."""


defs = dg.Definitions(
    assets=[shop_totals],
    resources={"warehouse": Warehouse(url=dg.EnvVar("SHOP_WAREHOUSE_URL"))},
)
