"""The warehouse as a Dagster resource: which backend `WAREHOUSE_URL` names, and sessions on it."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import dagster as dg
from pydantic import Field

from event_analytics.locations import check_warehouse_file
from event_analytics.settings import (
    DUCKDB_LOCK_TIMEOUT_SECONDS,
    DUCKDB_MEMORY_LIMIT,
    WAREHOUSE_URL,
)
from event_analytics.warehouse.backend import Warehouse
from event_analytics.warehouse.duckdb_backend import DuckDBWarehouse, RetryPolicy, connect_duckdb
from event_analytics.warehouse.url import WarehouseTarget, parse_warehouse_url


class WarehouseResource(dg.ConfigurableResource):
    """The analytical warehouse. Assets send it SQL; data never leaves it in bulk.

    `url` comes from `WAREHOUSE_URL` (default: a DuckDB file under `data/`) and names the
    backend. `connect()` opens a session (`Warehouse`) on it: the seam every asset and check
    goes through. DuckDB allows one writing process per file, so on DuckDB every asset that
    writes runs in the `duckdb` concurrency pool, limited to one in the instance config.
    """

    url: str = Field(default=WAREHOUSE_URL.default, description=WAREHOUSE_URL.description)
    lock_timeout_seconds: int = Field(
        default=int(DUCKDB_LOCK_TIMEOUT_SECONDS.default),
        description=DUCKDB_LOCK_TIMEOUT_SECONDS.description,
    )
    memory_limit: str = Field(
        default=DUCKDB_MEMORY_LIMIT.default, description=DUCKDB_MEMORY_LIMIT.description
    )

    def setup_for_execution(self, context: dg.InitResourceContext) -> None:
        """Fail before any work starts when the warehouse cannot possibly be used."""
        self.check_configuration()

    def check_configuration(self) -> None:
        """Raise `WarehouseConfigError` naming the setting and the fix, or return.

        Each field goes through its setting's parser (the same one check-config uses), then
        the file's folder must exist and be writable.
        """
        DUCKDB_MEMORY_LIMIT.parse(self.memory_limit)
        DUCKDB_LOCK_TIMEOUT_SECONDS.parse(str(self.lock_timeout_seconds))
        check_warehouse_file(self.database_path())

    @property
    def target(self) -> WarehouseTarget:
        """The parsed URL; raises `WarehouseConfigError` with the fix when it is malformed."""
        return parse_warehouse_url(self.url)

    @property
    def backend(self) -> str:
        """The backend's name, as the URL's scheme spells it (`duckdb`, ...)."""
        return self.target.backend

    @contextmanager
    def connect(self, read_only: bool = False) -> Iterator[Warehouse]:
        """A session, closed on exit; on DuckDB it waits out locks held by other processes."""
        log = dg.get_dagster_logger()

        def on_wait(error: BaseException, delay: float) -> None:
            log.warning(f"Warehouse file is locked by another process; retrying in {delay:.2f}s")

        warehouse = DuckDBWarehouse(
            connect_duckdb(
                self.database_path(),
                RetryPolicy(timeout_seconds=self.lock_timeout_seconds),
                on_wait=on_wait,
                read_only=read_only,
                memory_limit=self.memory_limit,
            )
        )
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

    def database_path(self) -> Path:
        """The DuckDB file this resource writes."""
        return self.target.path

    def query(self, sql: str, params: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
        """A small result as dictionaries, for previews and checks (never whole partitions)."""
        with self.connect() as warehouse:
            return warehouse.fetch_dicts(sql, params)
