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
- on Spark, for the session dbt-spark starts in its own process (`method: session`):
  `EVENT_ANALYTICS_SPARK_SETTINGS`, the platform's own session settings as JSON (master,
  warehouse folder, the settings that make Spark compute what DuckDB does); SPARK_CONF's, which
  may hold secrets, in a file only this user reads, named in `PYSPARK_SUBMIT_ARGS`
  (`spark_conf_for_dbt`); `EVENT_ANALYTICS_SPARK_WAREHOUSE_DIR`, the folder the
  tables live in; `EVENT_ANALYTICS_SPARK_TABLES`, the tables with data in it, which dbt's
  session declares before it runs (its catalog is in memory, as the platform's).
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from contextlib import contextmanager

from event_analytics.dbt.target import (
    REFUSED_ENV,
    SPARK_CONNECT_REFUSAL,
    TARGET_ENV,
    dbt_target,
)
from event_analytics.settings import PGPASSWORD
from event_analytics.warehouse import WarehouseResource
from event_analytics.warehouse.spark.layout import tables_with_data
from event_analytics.warehouse.spark.session import classic_settings, conf_file, submit_args

DUCKDB_PATH_ENV = "EVENT_ANALYTICS_DUCKDB_PATH"
MEMORY_LIMIT_ENV = "EVENT_ANALYTICS_DUCKDB_MEMORY_LIMIT"
CONNECT_ATTEMPTS_ENV = "EVENT_ANALYTICS_DUCKDB_CONNECT_ATTEMPTS"
PG_ENV_PREFIX = "EVENT_ANALYTICS_PG_"
SPARK_WAREHOUSE_DIR_ENV = "EVENT_ANALYTICS_SPARK_WAREHOUSE_DIR"
SPARK_SETTINGS_ENV = "EVENT_ANALYTICS_SPARK_SETTINGS"
SPARK_TABLES_ENV = "EVENT_ANALYTICS_SPARK_TABLES"


def connect_attempts(lock_timeout_seconds: float) -> int:
    """How many times dbt-duckdb opens the file to wait about `lock_timeout_seconds`.

    dbt-duckdb sleeps 1, 2, 4, ... seconds between attempts: n attempts wait 2**n - 1 s.
    """
    return max(1, math.ceil(math.log2(max(lock_timeout_seconds, 0) + 1)))


def dbt_environment(
    warehouse: WarehouseResource, spark_conf_file: str | None = None
) -> dict[str, str]:
    """The variables profiles.yml needs to write where, and how, `warehouse` does.

    On Spark, `spark_conf_file` is SPARK_CONF's file (`spark_conf_for_dbt`), for dbt's JVM.
    """
    target = warehouse.target
    values = {TARGET_ENV: dbt_target(target)}
    if target.backend == "spark":
        return values | _spark_environment(warehouse, spark_conf_file)
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
def spark_conf_for_dbt(warehouse: WarehouseResource) -> Iterator[str | None]:
    """SPARK_CONF's settings in a file only this user reads, while the block runs dbt (its
    Spark session starts at its first statement): what `dbt_environment` hands to dbt's JVM.
    Never on a command line, nor in EVENT_ANALYTICS_SPARK_SETTINGS (warehouse.spark.session).
    None on any other warehouse, or when SPARK_CONF is empty."""
    if warehouse.target.backend != "spark":
        yield None
        return
    options = warehouse.spark_options()
    with conf_file(() if options.connect_url else options.conf) as path:
        yield path


def _spark_environment(warehouse: WarehouseResource, spark_conf_file: str | None) -> dict[str, str]:
    options = warehouse.spark_options()
    if options.connect_url is not None:
        return {REFUSED_ENV: SPARK_CONNECT_REFUSAL}
    warehouse_dir = options.warehouse_dir.rstrip("/")
    # dbt renders the folder into its DDL (dbt-spark cannot bind): WAREHOUSE_URL and
    # SPARK_WAREHOUSE_DIR refuse quotes and backslashes in it (setting_parsers).
    settings = classic_settings(options) | {
        # dbt-spark rebuilds a table model by dropping it and creating it again at its
        # folder, which holds the previous build's files: an external table (the catalog is
        # in memory, dbt_project.yml's location_root), so they are replaced, not refused.
        "spark.sql.legacy.allowNonEmptyLocationInCTAS": "true",
        # dbt-spark asks for the session before every statement, and Spark warns each time
        # that it exists already: a line per statement in dbt's log, with nothing to act on.
        "spark.log.level": "ERROR",
    }
    values = {
        SPARK_SETTINGS_ENV: json.dumps(settings),
        SPARK_WAREHOUSE_DIR_ENV: warehouse_dir,
        SPARK_TABLES_ENV: ",".join(tables_with_data(warehouse_dir)),
    }
    if spark_conf_file is not None:
        values["PYSPARK_SUBMIT_ARGS"] = submit_args(spark_conf_file)
    return values
