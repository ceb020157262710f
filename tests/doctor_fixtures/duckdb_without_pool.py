"""Mistake: assets that write DuckDB outside a concurrency pool: two runs at once, and the
second fails on DuckDB's single-writer lock."""

from datetime import timedelta

import dagster as dg
from dagster_duckdb import DuckDBResource

SLA = dg.FreshnessPolicy.time_window(fail_window=timedelta(hours=1))


@dg.asset
def visits(duckdb: DuckDBResource) -> None:
    """Writes DuckDB through dagster-duckdb's resource."""


@dg.asset(deps=[visits], kinds={"duckdb"}, freshness_policy=SLA)
def visit_stats() -> None:
    """Writes DuckDB, as its kinds say."""


defs = dg.Definitions(
    assets=[visits, visit_stats],
    resources={"duckdb": DuckDBResource(database=dg.EnvVar("VISITS_DUCKDB_PATH"))},
)
