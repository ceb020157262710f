"""A code location that follows every doctor rule: doctor finds nothing here.

Each construct sits close to a rule's boundary, so a rule that fires too eagerly fails the
test on this file: an unpartitioned aggregate over daily partitions (through `deps=`), the
latest partition loaded through the IO manager (`LastPartitionMapping`), a DuckDB writer in
a pool, a tagged critical asset with an SLA, a side-effect op job and a running automation
sensor.
"""

from datetime import timedelta

import dagster as dg
from dagster_duckdb import DuckDBResource

daily = dg.DailyPartitionsDefinition(start_date="2025-01-01")
SLA = dg.FreshnessPolicy.time_window(fail_window=timedelta(hours=1))


class ShopApi(dg.ConfigurableResource):
    """A service reached with a token that comes from the environment."""

    base_url: str = "https://shop.example.com"
    api_token: str


@dg.asset(
    partitions_def=daily,
    backfill_policy=dg.BackfillPolicy.single_run(),
    pool="duckdb",
    tags={"critical": "true"},
    freshness_policy=SLA,
)
def orders(duckdb: DuckDBResource, shop: ShopApi) -> None:
    """One partition per day, loaded into DuckDB."""


@dg.asset(
    partitions_def=daily,
    backfill_policy=dg.BackfillPolicy.single_run(),
    automation_condition=dg.AutomationCondition.eager(),
)
def order_lines(orders: None) -> None:
    """Partitioned like its input: each run loads only its own days."""


@dg.asset(deps=[order_lines], freshness_policy=SLA, kinds={"duckdb"}, pool="duckdb")
def revenue_by_month() -> None:
    """Unpartitioned over daily partitions, aggregated in SQL: nothing is loaded into memory."""


@dg.asset(
    ins={"orders": dg.AssetIn(partition_mapping=dg.LastPartitionMapping())},
    freshness_policy=SLA,
)
def latest_orders_preview(orders: None) -> None:
    """Reads the latest partition only."""


@dg.op
def vacuum_scratch_space() -> None:
    """A side effect, not data: ops are right for this."""


@dg.job
def housekeeping() -> None:
    vacuum_scratch_space()


automation = dg.AutomationConditionSensorDefinition(
    "automation",
    target=dg.AssetSelection.all(),
    default_status=dg.DefaultSensorStatus.RUNNING,
)

defs = dg.Definitions(
    assets=[orders, order_lines, revenue_by_month, latest_orders_preview],
    jobs=[housekeeping],
    sensors=[automation],
    resources={
        "duckdb": DuckDBResource(database=dg.EnvVar("SHOP_DUCKDB_PATH")),
        "shop": ShopApi(api_token=dg.EnvVar("SHOP_API_TOKEN")),
    },
)
