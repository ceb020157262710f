"""The Dagster instance the platform runs on: its pools exist, at one slot, before any run.

Dagster creates a pool lazily, on the first step that claims it. On the SQLite storage that
`dagster dev` uses, runs that start at the same moment on a fresh instance can each take that
first pool's only slot: measured here, 6 of 40 trials of three simultaneous first claims gave
the slot to two steps, and 0 of 40 once the pool existed. So `make materialize` and
`make serve` prepare the instance first (`event-analytics prepare-instance`), and a
deployment does the same once, before it starts. The warehouse resource's lock wait
(`DUCKDB_LOCK_TIMEOUT_SECONDS`) remains the backstop behind the pool.

Pools are DuckDB's and Spark's need (`policies.warehouse_pool`): on PostgreSQL the writers
claim none (runs of different days proceed in parallel, runs of the same day take turns on the
server's locks), so there is nothing to prepare, and any instance will do.
"""

from __future__ import annotations

import dagster as dg

from event_analytics.policies import DUCKDB_POOL, SPARK_POOL, warehouse_pool
from event_analytics.settings import WAREHOUSE_URL

#: Every pool an asset or check of this project may claim, with the slot count it must have.
#: DuckDB allows one writing process per file, hence one slot; Spark's Parquet tables have no
#: locks, and a local session takes every core: one writer at a time too.
POOL_LIMITS: dict[str, int] = {DUCKDB_POOL: 1, SPARK_POOL: 1}


def pool_limits(backend: str) -> dict[str, int]:
    """The pools the platform's writers claim on `backend`'s warehouse, with their slots."""
    pool = warehouse_pool(backend)
    return {pool: POOL_LIMITS[pool]} if pool is not None else {}


class InstanceConfigError(Exception):
    """The Dagster instance cannot keep the platform's writers apart; the message says why."""


def prepare_instance(instance: dg.DagsterInstance, backend: str | None = None) -> dict[str, int]:
    """Create every pool the platform uses at the instance's default limit; return the limits.

    `backend` is the warehouse's (by default `WAREHOUSE_URL`'s): on PostgreSQL there is no pool,
    and nothing to do. A pool that already exists keeps its limit (an operator may have set it
    on purpose), but a limit other than the one the warehouse allows is refused with the fix.
    """
    required_limits = pool_limits(backend or WAREHOUSE_URL.value().backend)
    if not required_limits:
        return {}
    storage = instance.event_log_storage
    if not storage.supports_global_concurrency_limits:
        raise InstanceConfigError(
            f"The Dagster instance at {instance.root_directory} uses an event log storage "
            "without concurrency pools: use the default SQLite storage or dagster-postgres."
        )
    default_limit = instance.global_op_concurrency_default_limit
    existing = {pool.name for pool in storage.get_pool_limits()}
    limits = {}
    for pool, required in required_limits.items():
        if pool not in existing:
            if default_limit != required:
                found = "no limit" if default_limit is None else f"{default_limit} slots"
                raise InstanceConfigError(
                    f"New pools get {found} on the Dagster instance at "
                    f"{instance.root_directory}, but pool {pool!r} must have {required}: set "
                    f"`concurrency: pools: default_limit: {required}` in its dagster.yaml "
                    "(see dagster_home/dagster.yaml)."
                )
            storage.initialize_concurrency_limit_to_default(pool)
        limit = storage.get_concurrency_info(pool).slot_count
        if limit != required:
            raise InstanceConfigError(
                f"Pool {pool!r} has {limit} slot(s), but the warehouse allows {required} "
                f"writer(s) at a time: run `dagster instance concurrency set {pool} {required}` "
                f"(or set `concurrency: pools: default_limit: {required}` in dagster.yaml)."
            )
        limits[pool] = limit
    return limits
