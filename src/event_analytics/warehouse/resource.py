"""The warehouse as a Dagster resource: where every asset's SQL runs."""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import dagster as dg
import pandas as pd
from pydantic import Field

from event_analytics.settings import (
    DUCKDB_LOCK_TIMEOUT_SECONDS,
    DUCKDB_MEMORY_LIMIT,
    WAREHOUSE_URL,
)
from event_analytics.warehouse.connection import (
    RetryPolicy,
    WarehouseConnection,
    connect_duckdb,
)
from event_analytics.warehouse.url import (
    WarehouseConfigError,
    WarehouseTarget,
    parse_warehouse_url,
)


class WarehouseResource(dg.ConfigurableResource):
    """The analytical warehouse. Assets send it SQL; data never leaves it in bulk.

    `url` comes from `WAREHOUSE_URL` (default: a DuckDB file under `data/`). DuckDB allows one
    writing process per file, so every asset that writes through this resource runs in the
    `duckdb` concurrency pool, limited to one in the project's instance config.
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
        """Raise `WarehouseConfigError` naming `WAREHOUSE_URL` and the fix, or return."""
        path = self.database_path()
        folder = path.parent.resolve()
        existing = next((p for p in (folder, *folder.parents) if p.exists()), None)
        if existing is None or not existing.is_dir() or not os.access(existing, os.W_OK):
            raise WarehouseConfigError(
                f"{WAREHOUSE_URL.env_var} points at {path}, but {existing or folder} is not a "
                "writable folder: point it at a DuckDB file in a folder this process can write."
            )
        if path.exists() and not path.is_file():
            raise WarehouseConfigError(
                f"{WAREHOUSE_URL.env_var} points at {path}, which is not a file."
            )

    @property
    def target(self) -> WarehouseTarget:
        """The parsed URL; raises `WarehouseConfigError` with the fix when it is malformed."""
        return parse_warehouse_url(self.url)

    @property
    def dialect(self) -> str:
        """The SQL dialect of the backend (folders under `sql/` are named for it)."""
        return self.target.backend

    @contextmanager
    def connect(self, read_only: bool = False) -> Iterator[WarehouseConnection]:
        """An open connection, closed on exit; waits out locks held by other processes."""
        log = dg.get_dagster_logger()

        def on_wait(error: BaseException, delay: float) -> None:
            log.warning(f"Warehouse file is locked by another process; retrying in {delay:.2f}s")

        con = connect_duckdb(
            self.database_path(),
            RetryPolicy(timeout_seconds=self.lock_timeout_seconds),
            on_wait=on_wait,
            read_only=read_only,
            memory_limit=self.memory_limit,
        )
        connection = WarehouseConnection(con)
        try:
            yield connection
        finally:
            connection.unregister_all()
            con.close()

    def database_path(self) -> Path:
        """The DuckDB file this resource writes."""
        return self.target.path

    def query(self, sql: str, params: Mapping[str, Any] | None = None) -> pd.DataFrame:
        """A small result as a DataFrame, for previews and checks (never whole partitions)."""
        with self.connect() as connection:
            rows = connection.fetch_dicts(sql, params)
        return pd.DataFrame.from_records(rows)
