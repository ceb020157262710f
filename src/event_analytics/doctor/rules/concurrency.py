"""`duckdb-writer-without-pool`: an asset that writes DuckDB outside a concurrency pool.

DuckDB takes one writing process per file: two runs writing at once and the second fails on
the lock. An asset writes DuckDB when its kinds include "duckdb", or a resource it requires
(its IO manager included) is dagster-duckdb's (`DuckDBResource`, the DuckDB IO managers) or is
configured for a DuckDB file (a text field, an `EnvVar` read from the environment, that is a
`duckdb:` URL or a `.duckdb` path: this project's `WarehouseResource` on DuckDB). Any pool
passes: its limit is the instance's business (`concurrency: pools: default_limit: 1`).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import dagster as dg

from event_analytics.doctor import dagster_internals as internals
from event_analytics.doctor.findings import Finding
from event_analytics.doctor.rules.context import Location, asset_target

_DUCKDB_VALUE = re.compile(r"^(duckdb|md|motherduck):|\.(duckdb|ddb)$", re.IGNORECASE)

FIX = (
    '@dg.asset(..., pool="duckdb") on every asset that writes the DuckDB file, and one slot '
    "for the pool in the instance's dagster.yaml: concurrency: {pools: {default_limit: 1}}"
)


def _text_values(resource: Any) -> Iterator[str]:
    for name in type(resource).model_fields:
        value = getattr(resource, name, None)
        if isinstance(value, dg.EnvVar):
            value = value.get_value()  # None when unset: nothing to judge
        if isinstance(value, str):
            yield value


def _is_duckdb(resource: Any) -> bool:
    if any(cls.__module__.startswith("dagster_duckdb") for cls in type(resource).__mro__):
        return True
    if isinstance(resource, internals.ConfigurableResourceFactory):
        return any(_DUCKDB_VALUE.search(value.strip()) for value in _text_values(resource))
    return False


def _why_duckdb(location: Location, node: Any, assets_def: dg.AssetsDefinition) -> str | None:
    if "duckdb" in {kind.lower() for kind in node.kinds}:
        return "its kinds include duckdb"
    for key in sorted(assets_def.required_resource_keys):
        resource = location.resources.get(key)
        if resource is not None and _is_duckdb(resource):
            return f"resource '{key}' is DuckDB"
    return None


def duckdb_writer_without_pool(location: Location) -> Iterator[Finding]:
    for node in location.nodes:
        assets_def = location.assets_def(node.key)
        if not assets_def.is_executable or assets_def.op.pool:
            continue
        why = _why_duckdb(location, node, assets_def)
        if why is None:
            continue
        yield location.finding(
            "duckdb-writer-without-pool",
            asset_target(node.key),
            location.asset_source(node.key),
            f"'{node.key.to_user_string()}' writes DuckDB ({why}) outside a concurrency pool: "
            "two runs at once and one fails on DuckDB's single-writer lock",
            FIX,
        )
