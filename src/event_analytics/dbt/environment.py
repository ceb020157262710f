"""The environment a dbt subprocess gets: the platform's warehouse, as configured.

`dbt_project/profiles.yml` reads these variables. Dagster sets them from the `warehouse`
resource, i.e. from the settings every other asset uses, so dbt writes where the platform
does, with no second setting to keep in step:

- `EVENT_ANALYTICS_DBT_TARGET`: the profile's target, the warehouse's backend (`duckdb` or
  `postgres`, `dbt.target.dbt_target`);
- on DuckDB, `EVENT_ANALYTICS_DUCKDB_*`: the file `WAREHOUSE_URL` names (absolute), its memory
  limit, and how many times to try its lock (about `DUCKDB_LOCK_TIMEOUT_SECONDS`);
- on PostgreSQL, `EVENT_ANALYTICS_PG_*`: the URL's host, port, user, database, sslmode and
  connect_timeout, and the password (the URL's, or `PGPASSWORD`): they only ever reach dbt's
  own process;
- on Spark, `EVENT_ANALYTICS_SPARK_WAREHOUSE_DIR`: the folder the tables live in, for the
  session dbt-spark starts in its own process (`method: session`).
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager

from event_analytics.dbt.target import TARGET_ENV, dbt_target
from event_analytics.settings import PGPASSWORD
from event_analytics.warehouse import WarehouseResource

DUCKDB_PATH_ENV = "EVENT_ANALYTICS_DUCKDB_PATH"
MEMORY_LIMIT_ENV = "EVENT_ANALYTICS_DUCKDB_MEMORY_LIMIT"
CONNECT_ATTEMPTS_ENV = "EVENT_ANALYTICS_DUCKDB_CONNECT_ATTEMPTS"
PG_ENV_PREFIX = "EVENT_ANALYTICS_PG_"
SPARK_WAREHOUSE_DIR_ENV = "EVENT_ANALYTICS_SPARK_WAREHOUSE_DIR"


def connect_attempts(lock_timeout_seconds: float) -> int:
    """How many times dbt-duckdb opens the file to wait about `lock_timeout_seconds`.

    dbt-duckdb sleeps 1, 2, 4, ... seconds between attempts: n attempts wait 2**n - 1 s.
    """
    return max(1, math.ceil(math.log2(max(lock_timeout_seconds, 0) + 1)))


def dbt_environment(warehouse: WarehouseResource) -> dict[str, str]:
    """The variables profiles.yml needs to write where, and how, `warehouse` does."""
    target = warehouse.target
    values = {TARGET_ENV: dbt_target(target)}
    if target.backend == "spark":
        return values | {
            SPARK_WAREHOUSE_DIR_ENV: target.warehouse_dir or warehouse.spark_warehouse_dir
        }
    if target.backend == "postgres":
        options = dict(target.options)
        password = target.password or PGPASSWORD.value()
        return values | {
            f"{PG_ENV_PREFIX}HOST": target.host,
            f"{PG_ENV_PREFIX}PORT": str(target.port),
            f"{PG_ENV_PREFIX}USER": target.user,
            f"{PG_ENV_PREFIX}DATABASE": target.database,
            f"{PG_ENV_PREFIX}PASSWORD": password,
            # Empty: not passed to libpq, so PGSSLMODE (or libpq's default) applies.
            f"{PG_ENV_PREFIX}SSLMODE": options.get("sslmode", ""),
            f"{PG_ENV_PREFIX}CONNECT_TIMEOUT": options.get("connect_timeout", "10"),
        }
    # Absolute: dbt runs inside `dbt_project/`, the platform wherever it was started.
    path = warehouse.database_path().resolve()
    # DuckDB creates the file, not its folder; a fresh checkout has no `data/` yet.
    path.parent.mkdir(parents=True, exist_ok=True)
    return values | {
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
