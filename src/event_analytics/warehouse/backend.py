"""The warehouse seam: what assets and checks may ask of a warehouse, whatever its engine.

An asset says WHAT: which table, which window of days, which query. A backend (one module
each: `duckdb_backend`, `postgres_backend`, ...) says HOW: its DDL, its parameter style, its
transactions and locks, how rows arrive in bulk, and how a window is replaced atomically.
Queries are written once, in DuckDB's dialect with `$name` parameters, and each backend
translates them (`sql.translate`); values are always bound, never formatted into SQL text.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from typing import Any, ClassVar

import pyarrow as pa

from event_analytics.warehouse import faults
from event_analytics.warehouse.tables import Table
from event_analytics.warehouse.window import DayWindow

Params = Mapping[str, Any] | None


class ConnectionTransactions:
    """`Warehouse.transaction` for an engine with SQL transactions on one connection (`con`,
    whose `execute` takes a statement): DuckDB and PostgreSQL. The fault points are the ones
    the crash tests stop a run at."""

    con: Any
    #: How the engine spells the start of a transaction.
    BEGIN: ClassVar[str] = "BEGIN"

    @contextmanager
    def transaction(self) -> Iterator[None]:
        faults.point("before_begin")
        self.con.execute(self.BEGIN)
        faults.point("after_begin")
        try:
            yield
            faults.point("before_commit")
        except BaseException as error:
            self._roll_back(error)
            raise
        # A failed COMMIT (the WAL could not be written, the server went away) raises here
        # with no transaction left to roll back: the engine has ended it either way.
        self.con.execute("COMMIT")
        faults.point("after_commit")

    def _roll_back(self, cause: BaseException) -> None:
        """Roll back after `cause`; a rollback that fails (the connection is gone) is noted on
        `cause`, never raised: a connection error in its place would pass a data error off as
        transient, to be retried."""
        try:
            self.con.execute("ROLLBACK")
        except Exception as failure:
            cause.add_note(
                f"The rollback after this error failed too: {type(failure).__name__}: {failure}"
            )


class Warehouse(ABC):
    """One open session with the warehouse. Use `transaction()` around every write."""

    #: The engine's name, as `WAREHOUSE_URL` spells it (`duckdb`, `postgres`, ...).
    backend: ClassVar[str]
    #: True when the engine allows one writing process at a time (DuckDB): the platform's
    #: writers then share a one-slot concurrency pool (see `policies.warehouse_pool`).
    single_writer: ClassVar[bool] = False

    # --- what every backend implements -------------------------------------------------------

    @abstractmethod
    def execute(self, sql: str, params: Params = None) -> None:
        """Run one statement (DuckDB dialect, `$name` parameters bound from `params`)."""

    @abstractmethod
    def fetch_arrow(self, sql: str, params: Params = None) -> pa.Table:
        """Run one query and return its rows as Arrow (exact decimals, dates, timestamps)."""

    @abstractmethod
    def transaction(self) -> AbstractContextManager[None]:
        """All or nothing: commit when the block ends, roll back on any error (the block's
        error is the one raised, always)."""

    @abstractmethod
    def create_tables(self, *tables: Table) -> None:
        """Create the tables (and their schemas) that do not exist yet; change none."""

    @abstractmethod
    def append(self, table: Table, rows: pa.Table) -> None:
        """Add Arrow rows (in the table's column order and types) to a table, in bulk."""

    @abstractmethod
    def lock_window(self, table: Table, window: DayWindow) -> None:
        """Keep other writers of the same table and days out until the transaction ends."""

    # --- built on the above; a backend may do better ------------------------------------------

    def fetch_dicts(self, sql: str, params: Params = None) -> list[dict[str, Any]]:
        """A small result as dictionaries (checks, previews): never a whole partition."""
        return self.fetch_arrow(sql, params).to_pylist()

    def delete_window(self, table: Table, window: DayWindow) -> None:
        """Delete the table's rows of the window's days."""
        # Identifiers come from the table catalog (checked when it is built), never from input.
        self.execute(
            f"DELETE FROM {table.qualified} "  # noqa: S608
            f"WHERE {table.partition_column} >= $first_day "
            f"AND {table.partition_column} < $end_day",
            {"first_day": window.first, "end_day": window.end},
        )
        faults.point(f"after delete {table.qualified}")

    def insert_query(self, table: Table, query: str, params: Params = None) -> None:
        """Insert the rows of a query (whose columns are the table's, in order)."""
        columns = ", ".join(table.column_names)
        self.execute(f"INSERT INTO {table.qualified} ({columns}) {query}", params)
        faults.point(f"after insert {table.qualified}")

    def replace_window(self, table: Table, query: str, window: DayWindow) -> None:
        """Replace the window's days of `table` by the rows of `query` (run with the window's
        `$window_start`/`$window_end`), atomically when inside `transaction()`."""
        self.lock_window(table, window)
        self.delete_window(table, window)
        self.insert_query(table, query, window.params())

    def table_exists(self, table: Table) -> bool:
        rows = self.fetch_dicts(
            "SELECT count(*) AS n FROM information_schema.tables "
            "WHERE table_schema = $schema AND table_name = $name",
            {"schema": table.schema, "name": table.name},
        )
        return bool(rows and rows[0]["n"])
