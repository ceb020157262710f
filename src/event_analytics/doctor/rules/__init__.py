"""The rules that inspect loaded definitions, one module per concern.

Each rule is a function of a `Location` (the loaded definitions, the instance when there is
one, the settings) that yields `Finding`s. `LOADED_RULES` is every one of them, in the order
of the catalog.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from event_analytics.doctor.findings import Finding
from event_analytics.doctor.rules import (
    automation,
    concurrency,
    freshness,
    jobs,
    legacy,
    partitions,
    resources,
)
from event_analytics.doctor.rules.context import Location

LOADED_RULES: list[Callable[[Location], Iterable[Finding]]] = [
    jobs.ops_instead_of_assets,
    resources.legacy_resource,
    resources.secret_literal,
    partitions.unpartitioned_reads_partitions,
    partitions.large_unpartitioned,
    freshness.critical_without_freshness,
    legacy.legacy_api,
    partitions.partitioned_without_backfill_policy,
    concurrency.duckdb_writer_without_pool,
    automation.automation_sensor_stopped,
]

__all__ = ["LOADED_RULES", "Location"]
