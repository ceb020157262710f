"""DuckDB, the embedded default: one file, one writing process at a time.

The Dagster pool keeps the platform's own writers apart (`single_writer`); the lock retries
here cover everything else (a notebook, a BI tool, `duckdb` in a shell), with exponential
backoff and jitter so that waiting processes do not retry in lockstep. Queries need no
translation: the platform writes them in DuckDB's dialect.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import duckdb
import pyarrow as pa

from event_analytics.warehouse import faults
from event_analytics.warehouse.backend import ConnectionTransactions, Params, Warehouse
from event_analytics.warehouse.sql import params_for
from event_analytics.warehouse.tables import Kind, Table
from event_analytics.warehouse.window import DayWindow

_LOCK_MARKERS = ("could not set lock", "conflicting lock")

TYPES = {
    Kind.TEXT: "VARCHAR",
    Kind.BIGINT: "BIGINT",
    Kind.DATE: "DATE",
    Kind.TIMESTAMP: "TIMESTAMP",
    Kind.MONEY: "DECIMAL(18,4)",
    Kind.MONEY_SUM: "DECIMAL(38,4)",
    Kind.JSON: "JSON",
}


def is_transient(error: BaseException) -> bool:
    """A lock held by another process, or a connection closed under us: a retry can cure it."""
    if isinstance(error, duckdb.IOException):
        message = str(error).lower()
        return any(marker in message for marker in _LOCK_MARKERS)
    return isinstance(error, duckdb.ConnectionException)


@dataclass(frozen=True)
class RetryPolicy:
    """How long to keep trying to open a locked warehouse file."""

    timeout_seconds: float = 300.0
    first_delay_seconds: float = 0.05
    max_delay_seconds: float = 5.0

    def delays(self) -> Iterator[float]:
        """Full-jitter exponential backoff, until the timeout is spent."""
        spent, ceiling = 0.0, self.first_delay_seconds
        while spent < self.timeout_seconds:
            delay = min(random.uniform(0, ceiling), self.timeout_seconds - spent)
            spent += delay
            yield delay
            ceiling = min(ceiling * 2, self.max_delay_seconds)


def connect_duckdb(
    path: Path,
    retry: RetryPolicy,
    on_wait: Callable[[BaseException, float], None] | None = None,
    read_only: bool = False,
    memory_limit: str | None = None,
) -> duckdb.DuckDBPyConnection:
    """Open the DuckDB file, retrying while another process holds its lock."""
    config: dict[str, str | bool | int | float | list[str]] = (
        {"memory_limit": memory_limit} if memory_limit else {}
    )
    delays = retry.delays()
    while True:
        try:
            con = duckdb.connect(str(path), read_only=read_only, config=config)
        except duckdb.Error as error:
            if not is_transient(error):
                raise
            delay = next(delays, None)
            if delay is None:
                raise
            if on_wait is not None:
                on_wait(error, delay)
            time.sleep(delay)
            continue
        # Timestamps are stored in UTC; the session zone only matters for TIMESTAMPTZ parsing.
        con.execute("SET TimeZone = 'UTC'")
        return con


class DuckDBWarehouse(ConnectionTransactions, Warehouse):
    """A session on the DuckDB file: SQL with `$name` parameters bound, Arrow in and out."""

    backend: ClassVar[str] = "duckdb"
    single_writer: ClassVar[bool] = True
    BEGIN: ClassVar[str] = "BEGIN TRANSACTION"

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self.con = con

    def _cursor(self, sql: str, params: Params) -> duckdb.DuckDBPyConnection:
        bound = params_for(sql, dict(params or {}))
        return self.con.execute(sql, bound) if bound else self.con.execute(sql)

    def execute(self, sql: str, params: Params = None) -> None:
        # DuckDB streams results: fetching makes an error in a later row surface here.
        cursor = self._cursor(sql, params)
        if cursor.description is not None:
            cursor.fetchall()

    def rows(self, sql: str, params: Params = None) -> list[tuple[Any, ...]]:
        """A small result as tuples."""
        return self._cursor(sql, params).fetchall()

    def fetch_arrow(self, sql: str, params: Params = None) -> pa.Table:
        # A relation (`sql`), not a DB-API cursor: DuckDB copies a cursor's rows once more
        # (and warns) on their way to Arrow.
        bound = params_for(sql, dict(params or {}))
        return self.con.sql(sql, params=bound or None).to_arrow_table()

    def fetch_dicts(self, sql: str, params: Params = None) -> list[dict[str, Any]]:
        cursor = self._cursor(sql, params)
        names = [d[0] for d in cursor.description or []]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

    def create_tables(self, *tables: Table) -> None:
        for schema in dict.fromkeys(t.schema for t in tables):
            self.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
        for table in tables:
            # No primary keys: DuckDB checks them eagerly inside a delete-then-insert
            # transaction; the asset checks enforce uniqueness instead.
            columns = table.columns_ddl(TYPES)
            self.execute(f"CREATE TABLE IF NOT EXISTS {table.qualified} ({columns})")

    def append(self, table: Table, rows: pa.Table) -> None:
        if rows.num_rows == 0:
            return
        # A relation over the Arrow data, not a registered view: a view dropped inside a
        # transaction stays in the catalog (and keeps its Arrow data alive) until the commit,
        # which held every appended batch in memory: 1.4 GB more for 5M events.
        self.con.from_arrow(rows.select(list(table.column_names))).insert_into(table.qualified)
        faults.point(f"after insert {table.qualified}")

    def lock_window(self, table: Table, window: DayWindow) -> None:
        """Nothing to do: DuckDB has one writing process, and the pool chooses which."""

    def close(self) -> None:
        self.con.close()
