"""The environment a dbt subprocess gets: the platform's DuckDB warehouse, as configured.

`dbt_project/profiles.yml` reads these variables. Dagster sets them from the `warehouse`
resource, i.e. from the settings every other asset uses (`WAREHOUSE_URL`,
`DUCKDB_MEMORY_LIMIT`, `DUCKDB_LOCK_TIMEOUT_SECONDS`), so dbt writes the same file, with the
same memory limit, and waits for another program's lock about as long.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager

from event_analytics.warehouse import WarehouseResource

DUCKDB_PATH_ENV = "EVENT_ANALYTICS_DUCKDB_PATH"
MEMORY_LIMIT_ENV = "EVENT_ANALYTICS_DUCKDB_MEMORY_LIMIT"
CONNECT_ATTEMPTS_ENV = "EVENT_ANALYTICS_DUCKDB_CONNECT_ATTEMPTS"


def connect_attempts(lock_timeout_seconds: float) -> int:
    """How many times dbt-duckdb opens the file to wait about `lock_timeout_seconds`.

    dbt-duckdb sleeps 1, 2, 4, ... seconds between attempts: n attempts wait 2**n - 1 s.
    """
    return max(1, math.ceil(math.log2(max(lock_timeout_seconds, 0) + 1)))


def dbt_environment(warehouse: WarehouseResource) -> dict[str, str]:
    """The variables profiles.yml needs to write where, and how, `warehouse` does."""
    # Absolute: dbt runs inside `dbt_project/`, the platform wherever it was started.
    path = warehouse.database_path().resolve()
    # DuckDB creates the file, not its folder; a fresh checkout has no `data/` yet.
    path.parent.mkdir(parents=True, exist_ok=True)
    return {
        DUCKDB_PATH_ENV: str(path),
        MEMORY_LIMIT_ENV: warehouse.memory_limit,
        CONNECT_ATTEMPTS_ENV: str(connect_attempts(warehouse.lock_timeout_seconds)),
    }


@contextmanager
def environment(values: Mapping[str, str]) -> Iterator[None]:
    """Set `values` in `os.environ` for the duration of the block, then restore it.

    `DbtCliResource.cli` hands the subprocess a copy of `os.environ` and offers no other way
    to add to it; the variables only need to be there while it starts the process.
    """
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
