"""A DuckDB connection that waits out another process's lock instead of failing the run.

DuckDB lets one process write a file at a time. The Dagster pool serializes the platform's own
writers; these retries cover everything else (a notebook, a BI tool, `duckdb` in a shell), with
exponential backoff and jitter so that waiting processes do not retry in lockstep.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import psycopg
import pyarrow as pa

from event_analytics.warehouse import faults
from event_analytics.warehouse.sql import load_statements, params_for

_LOCK_MARKERS = ("could not set lock", "conflicting lock")


def is_transient(error: BaseException) -> bool:
    """True for errors a retry can cure (a lock held elsewhere, a dropped connection).

    Data errors (a failed cast, a constraint, bad SQL) are never transient.
    """
    if isinstance(error, duckdb.IOException):
        message = str(error).lower()
        return any(marker in message for marker in _LOCK_MARKERS)
    if isinstance(error, duckdb.ConnectionException):
        return True  # the connection was closed under us
    if isinstance(error, psycopg.OperationalError):
        return True  # server restarts, dropped connections, failovers
    return isinstance(error, ConnectionError | TimeoutError)


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
    if not read_only:
        path.parent.mkdir(parents=True, exist_ok=True)
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


@dataclass
class WarehouseConnection:
    """One open connection: run SQL with bound parameters, hand Arrow data to the engine."""

    con: duckdb.DuckDBPyConnection
    dialect: str = "duckdb"
    _registered: list[str] = field(default_factory=list)

    def _cursor(self, sql: str, params: Mapping[str, Any] | None) -> duckdb.DuckDBPyConnection:
        """Run one statement with its `$name` parameters bound from `params`."""
        bound = params_for(sql, dict(params or {}))
        return self.con.execute(sql, bound) if bound else self.con.execute(sql)

    def execute(self, sql: str, params: Mapping[str, Any] | None = None) -> list[tuple[Any, ...]]:
        """Run one statement and return its rows; `$name` parameters are bound from `params`.

        DDL, `SET` and transaction statements give no rows; DuckDB's INSERT, UPDATE and DELETE
        give one row with the count of rows they changed. Any error, including one DuckDB
        raises only while the rows are fetched (it streams results), is raised.
        """
        cursor = self._cursor(sql, params)
        # A statement without a result set has no description. DuckDB 2 gives every statement
        # one (a `Count` or `Success` column); the check keeps fetchall from asking for rows
        # that do not exist, instead of catching the error that would also hide real ones.
        if cursor.description is None:
            return []
        return cursor.fetchall()

    def run_script(self, name: str, params: Mapping[str, Any] | None = None) -> None:
        """Run every statement of `sql/<name>.sql` in order."""
        for number, statement in enumerate(load_statements(name), start=1):
            self.execute(statement, params)
            faults.after_statement(name, number)

    def fetch_dicts(
        self, sql: str, params: Mapping[str, Any] | None = None
    ) -> list[dict[str, Any]]:
        """Run a query and return its rows as dictionaries (for small results only)."""
        cursor = self._cursor(sql, params)
        names = [d[0] for d in cursor.description or []]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

    def register_arrow(self, name: str, table: pa.Table) -> None:
        """Expose an Arrow table to SQL as a view named `name` (zero-copy in DuckDB)."""
        self.con.register(name, table)
        self._registered.append(name)

    def unregister_all(self) -> None:
        """Drop every view `register_arrow` created."""
        while self._registered:
            self.con.unregister(self._registered.pop())

    @contextmanager
    def transaction(self) -> Iterator[WarehouseConnection]:
        """All or nothing: commit on success, roll back on any error.

        The error that stopped the block is the one raised, always. When the rollback fails
        too (the connection was closed or invalidated by DuckDB under the block, or the
        transaction already ended), its error is a note on the first one, never raised instead:
        a connection error in its place would also pass a data error off as transient.
        """
        faults.point("before_begin")
        self.con.execute("BEGIN TRANSACTION")
        faults.point("after_begin")
        try:
            yield self
            faults.point("before_commit")
        except BaseException as error:
            self._roll_back(error)
            raise
        # A failed COMMIT (say, the WAL could not be written) raises here with no transaction
        # left to roll back: DuckDB has discarded it.
        self.con.execute("COMMIT")
        faults.point("after_commit")

    def _roll_back(self, cause: BaseException) -> None:
        """Roll back after `cause`; a rollback that fails is noted on `cause`."""
        try:
            self.con.execute("ROLLBACK")
        except Exception as failure:
            cause.add_note(
                f"The rollback after this error failed too: {type(failure).__name__}: {failure}"
            )
