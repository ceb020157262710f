"""The warehouse as a Dagster resource: which backend `WAREHOUSE_URL` names, and sessions on it."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeAlias

import dagster as dg
from pydantic import Field

from event_analytics.locations import check_warehouse
from event_analytics.settings import (
    DUCKDB_LOCK_TIMEOUT_SECONDS,
    DUCKDB_MEMORY_LIMIT,
    SPARK_CONF,
    SPARK_DRIVER_MEMORY,
    SPARK_WAREHOUSE_DIR,
    WAREHOUSE_URL,
    WarehouseConfigError,
    check_spark_warehouse_dir,
)
from event_analytics.warehouse.backend import Warehouse
from event_analytics.warehouse.url import WarehouseTarget, parse_warehouse_url

if TYPE_CHECKING:  # each backend is imported when it is the one configured (see `_open`)
    from event_analytics.warehouse.duckdb_backend import DuckDBWarehouse
    from event_analytics.warehouse.postgres_backend import PostgresWarehouse
    from event_analytics.warehouse.spark.session import SparkOptions
    from event_analytics.warehouse.spark_backend import SparkWarehouse

    Session: TypeAlias = DuckDBWarehouse | PostgresWarehouse | SparkWarehouse


class WarehouseResource(dg.ConfigurableResource):
    """The analytical warehouse. Assets send it SQL; data never leaves it in bulk.

    `url` comes from `WAREHOUSE_URL` (default: a DuckDB file under `data/`) and names the
    backend: a DuckDB file, a PostgreSQL database, or Spark (a local session over a folder, a
    cluster, or Spark Connect; the `spark_*` fields come from the `SPARK_*` settings).
    `connect()` opens a session (`Warehouse`) on it: the seam every asset and check goes
    through. DuckDB allows one writing process per file, so on DuckDB every asset that writes
    runs in the `duckdb` concurrency pool, limited to one in the instance config (Spark's
    writers share the `spark` pool, of one slot too); PostgreSQL needs no pool.

    The definitions hand `url` over as `EnvVar("WAREHOUSE_URL")`, so the UI shows the variable's
    name, never a password the URL may carry (or take it from `PGPASSWORD`).
    """

    url: str = Field(default=WAREHOUSE_URL.default, description=WAREHOUSE_URL.description)
    lock_timeout_seconds: int = Field(
        default=int(DUCKDB_LOCK_TIMEOUT_SECONDS.default),
        description=DUCKDB_LOCK_TIMEOUT_SECONDS.description,
    )
    memory_limit: str = Field(
        default=DUCKDB_MEMORY_LIMIT.default, description=DUCKDB_MEMORY_LIMIT.description
    )
    spark_warehouse_dir: str = Field(
        default=SPARK_WAREHOUSE_DIR.default, description=SPARK_WAREHOUSE_DIR.description
    )
    spark_driver_memory: str = Field(
        default=SPARK_DRIVER_MEMORY.default, description=SPARK_DRIVER_MEMORY.description
    )
    spark_conf: str = Field(default=SPARK_CONF.default, description=SPARK_CONF.description)

    def setup_for_execution(self, context: dg.InitResourceContext) -> None:
        """Fail before any work starts when the warehouse cannot possibly be used."""
        self.check_configuration()

    def check_configuration(self) -> None:
        """Raise `WarehouseConfigError` naming the setting and the fix, or return.

        Each field goes through its setting's parser (the same one check-config uses), then
        the warehouse itself is checked: the DuckDB file's folder must exist and be writable,
        a PostgreSQL server must take the login (`locations.check_warehouse`).
        """
        DUCKDB_MEMORY_LIMIT.parse(self.memory_limit)
        DUCKDB_LOCK_TIMEOUT_SECONDS.parse(str(self.lock_timeout_seconds))
        SPARK_DRIVER_MEMORY.parse(self.spark_driver_memory)
        SPARK_CONF.parse(self.spark_conf)
        check_spark_warehouse_dir(self.target, SPARK_WAREHOUSE_DIR.parse(self.spark_warehouse_dir))
        check_warehouse(self.target)

    @property
    def target(self) -> WarehouseTarget:
        """The parsed URL; raises `WarehouseConfigError` with the fix when it is malformed."""
        return parse_warehouse_url(self.url)

    @property
    def backend(self) -> str:
        """The backend's name (`duckdb`, `postgres`, `spark`)."""
        return self.target.backend

    @contextmanager
    def connect(self, read_only: bool = False) -> Iterator[Warehouse]:
        """A session, closed on exit. On DuckDB it waits out locks held by other processes;
        `read_only` opens the file read-only, or makes every PostgreSQL transaction read-only."""
        warehouse = self._open(self.target, read_only)
        try:
            yield warehouse
        except BaseException as error:
            # Closing a connection that died under the block fails too: that failure is a
            # note on the error that ended the block, never raised in its place.
            try:
                warehouse.close()
            except Exception as failure:
                error.add_note(f"Closing the warehouse connection failed too: {failure}")
            raise
        warehouse.close()

    def spark_options(self) -> SparkOptions:
        """How to start a Spark session on this warehouse (a `spark:`/`sc:` URL and the
        `SPARK_*` settings): the platform's, and dbt's for the marts."""
        from event_analytics.warehouse.spark_backend import spark_options

        return spark_options(
            self.target,
            warehouse_dir=SPARK_WAREHOUSE_DIR.parse(self.spark_warehouse_dir),
            driver_memory=SPARK_DRIVER_MEMORY.parse(self.spark_driver_memory),
            conf=SPARK_CONF.parse(self.spark_conf),
        )

    def _open(self, target: WarehouseTarget, read_only: bool) -> Session:
        """A session of the target's backend. Each backend's module is imported only when it
        is the one configured: a DuckDB deployment never loads a PostgreSQL driver."""
        if target.backend == "spark":
            from event_analytics.warehouse.spark_backend import SparkWarehouse

            return SparkWarehouse.open(self.spark_options(), read_only=read_only)
        if target.backend == "postgres":
            from event_analytics.warehouse.postgres_backend import (
                PostgresWarehouse,
                connect_postgres,
            )

            return PostgresWarehouse(connect_postgres(target, read_only=read_only), target)
        from event_analytics.warehouse.duckdb_backend import (
            DuckDBWarehouse,
            RetryPolicy,
            connect_duckdb,
        )

        log = dg.get_dagster_logger()

        def on_wait(error: BaseException, delay: float) -> None:
            log.warning(f"Warehouse file is locked by another process; retrying in {delay:.2f}s")

        return DuckDBWarehouse(
            connect_duckdb(
                target.file,
                RetryPolicy(timeout_seconds=self.lock_timeout_seconds),
                on_wait=on_wait,
                read_only=read_only,
                memory_limit=self.memory_limit,
            )
        )

    def database_path(self) -> Path:
        """The DuckDB file this resource writes; `WarehouseConfigError` on a server."""
        target = self.target
        if target.path is None:
            raise WarehouseConfigError(
                f"{WAREHOUSE_URL.env_var} names {target.describe()}, a server, not a DuckDB file."
            )
        return target.path

    def query(self, sql: str, params: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
        """A small result as dictionaries, for previews and checks (never whole partitions)."""
        with self.connect() as warehouse:
            return warehouse.fetch_dicts(sql, params)
