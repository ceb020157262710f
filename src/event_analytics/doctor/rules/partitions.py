"""Time series and partitions: `unpartitioned-reads-partitions`, `large-unpartitioned`,
`partitioned-without-backfill-policy`.

`unpartitioned-reads-partitions` is the guide's memory bug: an unpartitioned asset that takes
a time-partitioned asset as an *input* (a parameter the IO manager loads) receives every
partition since the start date, in memory, on every run. Declaring the dependency with
`deps=` (a `Nothing` input: the asset reads the warehouse itself, in SQL) is the fix, not a
finding, and so is a mapping that loads a bounded set (`LastPartitionMapping`).

`large-unpartitioned` needs run history: an unpartitioned asset whose latest materialization
recorded `dagster/row_count` above `large_rows` (10 million by default) is rebuilt in full
each run. It runs only when doctor has an instance (DAGSTER_HOME).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import dagster as dg

from event_analytics.doctor.findings import HISTORY, Finding
from event_analytics.doctor.rules.context import Location, asset_target

READS_FIX = (
    "declare the dependency without loading it and aggregate in the warehouse: "
    '@dg.asset(deps=["{upstream}"]) def {name}(warehouse: WarehouseResource): ... '
    "(SQL over the whole table), or partition {name} like its input: "
    "@dg.asset(partitions_def=..., backfill_policy=dg.BackfillPolicy.single_run())"
)
LARGE_FIX = (
    "partition it by time and write only the run's window: @dg.asset(partitions_def="
    "dg.DailyPartitionsDefinition(start_date=...), backfill_policy="
    "dg.BackfillPolicy.single_run()), reading context.partition_time_window"
)
BACKFILL_FIX = (
    "@dg.asset(..., backfill_policy=dg.BackfillPolicy.single_run()), and read "
    "context.partition_time_window (never context.partition_key) so one run covers a range"
)


def _loaded_inputs(assets_def: dg.AssetsDefinition) -> Iterator[tuple[str, dg.AssetKey]]:
    """(input name, upstream key) of each input the IO manager loads (not `deps=`)."""
    for name, key in assets_def.keys_by_input_name.items():
        if not assets_def.node_def.input_def_named(name).dagster_type.is_nothing:
            yield name, key


def _reads_every_partition(location: Location, node: Any, upstream: dg.AssetKey) -> bool:
    graph = location.repository.asset_graph
    if not graph.has(upstream):
        return False
    if not isinstance(graph.get(upstream).partitions_def, dg.TimeWindowPartitionsDefinition):
        return False
    mapping = graph.get_partition_mapping(node.key, upstream)
    return isinstance(mapping, dg.AllPartitionMapping)


def unpartitioned_reads_partitions(location: Location) -> Iterator[Finding]:
    graph = location.repository.asset_graph
    for node in location.nodes:
        assets_def = location.assets_def(node.key)
        if node.partitions_def is not None or not assets_def.is_executable:
            continue
        for _, upstream in _loaded_inputs(assets_def):
            if not _reads_every_partition(location, node, upstream):
                continue
            partitions = graph.get(upstream).partitions_def
            count = partitions.get_num_partitions() if partitions is not None else 0
            name, up = node.key.to_user_string(), upstream.to_user_string()
            yield location.finding(
                "unpartitioned-reads-partitions",
                asset_target(node.key),
                location.asset_source(node.key),
                f"'{name}' is unpartitioned but takes '{up}' as an input: the IO manager "
                f"loads every partition of '{up}' ({count} today) "
                "into memory on each run, and a missing one fails it",
                READS_FIX.format(upstream=up, name=name),
            )


def _latest_row_count(instance: dg.DagsterInstance, key: dg.AssetKey) -> int | None:
    event = instance.get_latest_materialization_event(key)
    materialization = event.asset_materialization if event else None
    value = materialization.metadata.get("dagster/row_count") if materialization else None
    rows = getattr(value, "value", value)
    return rows if isinstance(rows, int) else None


def large_unpartitioned(location: Location) -> Iterator[Finding]:
    if location.instance is None:
        return
    threshold = location.config.large_rows
    for node in location.nodes:
        if node.partitions_def is not None:
            continue
        rows = _latest_row_count(location.instance, node.key)
        if rows is None or rows <= threshold:
            continue
        yield location.finding(
            "large-unpartitioned",
            asset_target(node.key),
            location.asset_source(node.key),
            f"'{node.key.to_user_string()}' is unpartitioned and its latest materialization "
            f"recorded {rows:,} rows (large: over {threshold:,}): every run rebuilds all of it",
            LARGE_FIX,
            analysis=HISTORY,
        )


def partitioned_without_backfill_policy(location: Location) -> Iterator[Finding]:
    for node in location.nodes:
        if node.partitions_def is None or location.assets_def(node.key).backfill_policy:
            continue
        yield location.finding(
            "partitioned-without-backfill-policy",
            asset_target(node.key),
            location.asset_source(node.key),
            f"'{node.key.to_user_string()}' is partitioned but has no backfill policy: a "
            "backfill launches one run per partition (365 runs for a year of days)",
            BACKFILL_FIX,
        )
