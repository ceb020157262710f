"""The marts: dbt models on top of `cleaned_events`, materialized by Dagster through dagster-dbt.

Two multi-assets over one dbt project (see docs/marts.md):
- `daily_marts`, the incremental models, partitioned by day like the events. A run builds
  its partition window, passed to dbt as vars, and replaces exactly that window;
- `history_marts`, the models over all history (users, retention), rebuilt in full.

Both write the DuckDB warehouse, so both run in the platform's `duckdb` pool. dbt tests are
the assets' checks; a failing test fails the run.
"""

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import dagster as dg
from dagster_dbt import DbtCliResource, dbt_assets

from event_analytics.dbt.environment import dbt_environment, spark_conf_for_dbt
from event_analytics.dbt.project import manifest_path, marts_project
from event_analytics.dbt.translator import DAILY_MODELS, MartsTranslator
from event_analytics.dbt.window import build_args
from event_analytics.partitions import daily_partitions
from event_analytics.policies import SINGLE_RUN_BACKFILL, WAREHOUSE_POOL
from event_analytics.process_environment import environment
from event_analytics.warehouse import WarehouseResource

MANIFEST = manifest_path()
TRANSLATOR = MartsTranslator()


def _run_dbt(
    context: dg.AssetExecutionContext,
    dbt: DbtCliResource,
    warehouse: WarehouseResource,
    args: list[str],
) -> Iterator[Any]:
    # The subprocess inherits the warehouse path only while it is being started; on Spark,
    # SPARK_CONF's file lives until dbt is done (its JVM starts at the first statement).
    with spark_conf_for_dbt(warehouse) as spark_conf_file:
        with environment(dbt_environment(warehouse, spark_conf_file)):
            invocation = dbt.cli(args, context=context)
        yield from invocation.stream()
    # Each invocation writes its artifacts (a few MB) to its own folder under target/. Once
    # streamed they are in Dagster's event log; a failed run raises above and keeps them.
    # Never the project's own target/, which holds the manifest.
    if Path(invocation.target_path) != marts_project.manifest_path.parent:
        shutil.rmtree(invocation.target_path, ignore_errors=True)


@dbt_assets(
    manifest=MANIFEST,
    project=marts_project,
    select=DAILY_MODELS,
    name="daily_marts",
    partitions_def=daily_partitions,
    backfill_policy=SINGLE_RUN_BACKFILL,
    dagster_dbt_translator=TRANSLATOR,
    pool=WAREHOUSE_POOL,
)
def daily_marts(
    context: dg.AssetExecutionContext, dbt: DbtCliResource, warehouse: WarehouseResource
) -> Iterator[Any]:
    """Builds the daily marts for the run's partition window (one day or a whole range)."""
    yield from _run_dbt(context, dbt, warehouse, build_args(context.partition_time_window))


@dbt_assets(
    manifest=MANIFEST,
    project=marts_project,
    exclude=DAILY_MODELS,
    name="history_marts",
    dagster_dbt_translator=TRANSLATOR,
    pool=WAREHOUSE_POOL,
)
def history_marts(
    context: dg.AssetExecutionContext, dbt: DbtCliResource, warehouse: WarehouseResource
) -> Iterator[Any]:
    """Rebuilds the marts that summarize all history."""
    yield from _run_dbt(context, dbt, warehouse, build_args(None))
