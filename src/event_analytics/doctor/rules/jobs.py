"""`ops-instead-of-assets`: data produced by ops in an op-based job.

A job built from ops (`@dg.job`, `GraphDefinition.to_job`) rather than from assets is judged
by what its ops return: an op with an output that is not `Nothing` produces data Dagster
cannot see as an asset (no lineage, partitions, freshness or checks). An op job whose ops
return nothing is a side effect (vacuum, notify), which is what ops are for, and passes.
"""

from __future__ import annotations

from collections.abc import Iterator

import dagster as dg

from event_analytics.doctor import dagster_internals as internals
from event_analytics.doctor.findings import Finding
from event_analytics.doctor.rules.context import Location
from event_analytics.doctor.sources import source_of

FIX = (
    "make each op that returns data an asset, and select assets in the job: "
    "@dg.asset def orders() -> ...: ...; @dg.asset(deps=[orders]) def order_totals(): ...; "
    'orders_job = dg.define_asset_job("orders_job", selection=[orders, order_totals]). '
    "Keep ops for side effects only (-> None)"
)


def _is_op_job(job: dg.JobDefinition) -> bool:
    graph = job.asset_layer.asset_graph
    return not any(True for _ in graph.get_all_asset_keys()) and not graph.asset_check_keys


def _returns_data(op: dg.OpDefinition) -> bool:
    return any(not output.dagster_type.is_nothing for output in op.output_defs)


def ops_instead_of_assets(location: Location) -> Iterator[Finding]:
    for job in location.repository.get_all_jobs():
        if not _is_op_job(job):
            continue
        data_ops = [op for op in job.graph.iterate_op_defs() if _returns_data(op)]
        if not data_ops:
            continue
        fn = internals.compute_function(data_ops[0])
        names = ", ".join(sorted({op.name for op in data_ops}))
        yield location.finding(
            "ops-instead-of-assets",
            f"job:{job.name}",
            source_of(fn) if fn is not None else None,
            f"op-based job '{job.name}': op(s) {names} return data that Dagster cannot see as "
            "assets (no lineage, partitions, freshness or checks)",
            FIX,
        )
