"""PostgreSQL, a server: many processes write at once, each run in a transaction of its own.

What this backend does differently from DuckDB, and why:

- **Statements**: one psycopg 3 connection per session. Every query is written once in
  DuckDB's dialect and translated (`sql.translate`, SQLGlot); its `$name` parameters become
  `%(name)s` and are bound by the server, never formatted into the text.
- **Transactions**: outside `transaction()` each statement commits on its own, as on a DuckDB
  connection; `transaction()` is one explicit BEGIN ... COMMIT, so a partition's replace is all
  or nothing. A client killed mid-write leaves an open transaction the server rolls back.
- **Rows in**: `append` streams Arrow to `COPY ... FROM STDIN (FORMAT csv)`, written by Arrow's
  vectorized CSV writer in chunks: never a row at a time. Every value is quoted and NULL is
  the unquoted empty field, so NULL and "" stay apart; CSV has no escapes, so backslashes,
  newlines and COPY's `\\.` marker inside a value arrive verbatim.
- **Rows out**: `fetch_arrow` gives DuckDB's Arrow types for the same query (decimal128 of the
  column's precision and scale, date32, timestamp[us], int64, string), so `fetch_dicts` gives
  the same Python values on both backends.
- **DDL** (`TYPES`): money is `numeric`, exact. Text compares byte by byte (collation "C"),
  as in DuckDB, so ties, `min()` and sort orders are the same on both. JSON columns are `text`
  holding the validator's JSON exactly: PostgreSQL's `json` type refuses the `NaN` and
  `Infinity` the landing contract loads inside `properties` (cast to `json`/`jsonb` to query a
  row that has none). Missing tables are created on a connection of their own, committed at
  once, under an advisory lock: two runs starting together on an empty database would
  otherwise collide in PostgreSQL's catalog, or one would wait for the other's whole run.
- **Window locks** (`window_lock_key`): instead of DuckDB's one-slot pool, a writer takes one
  transaction-scoped advisory lock per (table, day) of its window, days in order. Runs of
  different days never wait for each other; runs sharing a day take turns, and since every
  writer locks tables in the same order and days in ascending order, none can deadlock.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import re
from collections.abc import Sequence
from typing import Any, ClassVar

import psycopg
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
from psycopg.conninfo import make_conninfo
from psycopg.types.string import TextLoader

from event_analytics.setting_parsers import WarehouseTarget
from event_analytics.settings import PGPASSWORD, WAREHOUSE_URL, WarehouseConfigError
from event_analytics.warehouse import faults
from event_analytics.warehouse.backend import ConnectionTransactions, Params, Warehouse
from event_analytics.warehouse.sql import params_for, translate
from event_analytics.warehouse.tables import Kind, Table
from event_analytics.warehouse.window import DayWindow

DIALECT = "postgres"

TYPES = {
    # varchar, as DuckDB and the marts' dbt contracts call it (in PostgreSQL, varchar without
    # a length is text); collation "C": compared byte by byte, as DuckDB does.
    Kind.TEXT: 'varchar COLLATE "C"',
    Kind.BIGINT: "bigint",
    Kind.DATE: "date",
    Kind.TIMESTAMP: "timestamp",
    Kind.MONEY: "numeric(18,4)",
    Kind.MONEY_SUM: "numeric(38,4)",
    Kind.JSON: "text",
}
#: The Arrow type each kind is written from (the validator's and the loader's types).
ARROW_TYPES = {
    Kind.TEXT: pa.large_string(),
    Kind.BIGINT: pa.int64(),
    Kind.DATE: pa.date32(),
    Kind.TIMESTAMP: pa.timestamp("us"),
    Kind.MONEY: pa.decimal128(18, 4),
    Kind.MONEY_SUM: pa.decimal128(38, 4),
    Kind.JSON: pa.large_string(),
}
# What a result column of each PostgreSQL type reads as: DuckDB's Arrow type for the same
# column. numeric is handled apart (its precision and scale come from the column).
_ARROW_READS = {
    "int8": pa.int64(),
    "int4": pa.int32(),
    "int2": pa.int16(),
    "bool": pa.bool_(),
    "float8": pa.float64(),
    "float4": pa.float32(),
    "text": pa.string(),
    "varchar": pa.string(),
    "bpchar": pa.string(),
    "name": pa.string(),
    "json": pa.string(),
    "jsonb": pa.string(),
    "date": pa.date32(),
    "timestamp": pa.timestamp("us"),
    "timestamptz": pa.timestamp("us", tz="UTC"),
    "interval": pa.duration("us"),
    "bytea": pa.binary(),
}
# Rows per COPY chunk: bounds the CSV buffer (a line may be 16 MiB, most are ~300 bytes).
_COPY_ROWS = 50_000
_CSV = pacsv.WriteOptions(include_header=False, quoting_style="all_valid")

# Lost connections, a server shutting down or refusing connections for now, deadlocks and
# serialization failures, too many connections: a retry of the step can cure them.
_TRANSIENT_SQLSTATES = {"40001", "40P01", "55P03", "57P01", "57P02", "57P03", "53300"}
# A client-side connection failure is transient unless the server said no to the login.
_REFUSED_LOGIN = (
    "password authentication failed",
    "does not exist",
    "pg_hba.conf",
    "does not support SSL",
)
# A `%` psycopg would read as a placeholder: every one but the `%(name)s` the translation wrote.
_LONE_PERCENT = re.compile(r"%(?!\([A-Za-z_][A-Za-z0-9_]*\)s)")


def is_transient(error: BaseException) -> bool:
    """A lost or refused connection, a deadlock, a serialization failure: retrying can cure it."""
    if not isinstance(error, psycopg.Error):
        return False
    if error.sqlstate is None:
        return isinstance(error, psycopg.OperationalError) and not any(
            marker in str(error) for marker in _REFUSED_LOGIN
        )
    return error.sqlstate in _TRANSIENT_SQLSTATES or error.sqlstate.startswith("08")


def _key(name: str) -> int:
    """A stable 31-bit number for `name` (pg_locks shows advisory keys as unsigned oids)."""
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:4], "big") & 0x7FFFFFFF


#: The advisory lock every creation of tables takes (objid 0: no day has ordinal 0).
DDL_LOCK_KEY = (_key("event_analytics DDL"), 0)


def window_lock_key(table: Table, day: dt.date) -> tuple[int, int]:
    """The advisory lock of one day of one table: `pg_advisory_xact_lock(classid, objid)`.

    classid: the first 4 bytes of SHA-256 of `event_analytics:<schema.table>`, as a number below
    2^31; objid: the day's proleptic Gregorian ordinal (`date.toordinal()`, 2025-01-01 is
    739252). `pg_locks` shows them in its `classid` and `objid` columns (`objsubid` 2).
    """
    return _key(f"event_analytics:{table.qualified}"), day.toordinal()


def _masked(text: str, secrets: Sequence[str | None]) -> str:
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return text


def connect_postgres(
    target: WarehouseTarget, read_only: bool = False, connect_timeout: int = 10
) -> psycopg.Connection[tuple[Any, ...]]:
    """A connection to the target's database: autocommit, times in UTC, JSON read as text.

    The password is the URL's, or libpq's usual (`PGPASSWORD`, `~/.pgpass`); libpq's other
    variables (`PGSSLMODE`, ...) apply as usual. `read_only` makes every transaction of the
    session read-only. An error never carries the password.
    """
    options = dict(target.options)
    options.setdefault("connect_timeout", str(connect_timeout))
    if target.password:
        options["password"] = target.password
    conninfo = make_conninfo(
        "",
        host=target.host,
        port=target.port,
        user=target.user,
        dbname=target.database,
        application_name="event_analytics",
        **options,
    )
    try:
        con = psycopg.connect(conninfo, autocommit=True)
    except psycopg.Error as error:
        masked = _masked(str(error), [target.password, PGPASSWORD.value()])
        if masked == str(error):
            raise
        raise psycopg.OperationalError(masked) from None
    # JSON columns of other tables (a user's query) read as their text, as DuckDB gives them.
    for name in ("json", "jsonb"):
        con.adapters.register_loader(name, TextLoader)
    # Timestamps are stored in UTC without a zone; the session zone only matters for
    # timestamptz arithmetic, and must not depend on the server's or the role's settings.
    con.execute("SET TIME ZONE 'UTC'")
    if read_only:
        con.execute("SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY")
    return con


def check_login(target: WarehouseTarget, timeout_seconds: int = 10) -> None:
    """Raise `WarehouseConfigError` unless the server takes the login: one message naming
    the server, the database, the user and what to fix, never the password."""
    try:
        connect_postgres(target, connect_timeout=timeout_seconds).close()
    except psycopg.Error as error:
        reason = _masked(" ".join(str(error).split()), [target.password, PGPASSWORD.value()])
        if not reason.endswith((".", "?", "!")):
            reason += "."
        raise WarehouseConfigError(
            f"{WAREHOUSE_URL.env_var} names PostgreSQL at {target.host}:{target.port} "
            f"(database {target.database}, user {target.user}), which cannot be used: "
            f"{reason} Start the server, or fix the URL's host, port, database or user, or the "
            f"password ({PGPASSWORD.env_var}, or the URL's)."
        ) from None


def _arrow_type(type_name: str, column: psycopg.Column, values: Sequence[Any]) -> pa.DataType:
    if type_name == "numeric":
        if column.precision is not None and column.scale is not None:
            precision, scale = column.precision, column.scale
        else:  # an unconstrained numeric (a sum, say): as wide as DuckDB's, its values' scale
            try:
                inferred = pa.array(values).type
            except (pa.ArrowInvalid, pa.ArrowTypeError):  # NaN or infinity: not a decimal
                return pa.float64()
            if not pa.types.is_decimal(inferred):  # no value at all
                return pa.decimal128(38, 0)
            precision, scale = max(38, inferred.precision), inferred.scale
        if precision <= 38:
            return pa.decimal128(precision, scale)
        return pa.decimal256(precision, scale)
    return _ARROW_READS.get(type_name, pa.string())


def _arrow_column(type_name: str, column: psycopg.Column, values: Sequence[Any]) -> pa.Array:
    kind = _arrow_type(type_name, column, values)
    try:
        return pa.array(values, type=kind)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        # A type Arrow cannot take as it comes (uuid, inet, a range, ...): its text.
        return pa.array([None if v is None else str(v) for v in values], type=pa.string())


def _for_copy(table: Table, rows: pa.Table) -> pa.Table:
    """`rows` in the table's column types, checked for what PostgreSQL cannot store."""
    if tuple(rows.column_names) != table.column_names:
        raise ValueError(
            f"rows for {table.qualified} have the columns {rows.column_names}, "
            f"expected {list(table.column_names)}"
        )
    columns = []
    for column, values in zip(table.columns, rows.columns, strict=True):
        values = values.cast(ARROW_TYPES[column.kind])
        if (
            column.kind in (Kind.TEXT, Kind.JSON)
            and pc.any(pc.match_substring(values, "\x00")).as_py()
        ):
            raise ValueError(
                f"{table.qualified}.{column.name} has a value with the NUL character (U+0000), "
                "which PostgreSQL text cannot hold; the landing contract rejects it in every "
                "field stored as text (docs/landing-zone.md)"
            )
        columns.append(values)
    return pa.table(columns, names=list(table.column_names))


class PostgresWarehouse(ConnectionTransactions, Warehouse):
    """A session on the PostgreSQL database: translated SQL with bound parameters, Arrow in by
    COPY and out with DuckDB's types, window locks of its own."""

    backend: ClassVar[str] = "postgres"
    single_writer: ClassVar[bool] = False

    def __init__(self, con: psycopg.Connection[tuple[Any, ...]], target: WarehouseTarget) -> None:
        self.con = con
        self.target = target

    # --- statements ------------------------------------------------------------------------

    def _statement(self, sql: str, params: Params) -> tuple[str, dict[str, Any] | None]:
        """The statement in PostgreSQL's dialect, and its parameters (None when it has none:
        psycopg then sends the text as it is, so a `%` in it must stay single)."""
        bound = params_for(sql, dict(params or {}))
        text = translate(sql, DIALECT)
        if not bound:
            return text, None
        return _LONE_PERCENT.sub("%%", text), bound

    def execute(self, sql: str, params: Params = None) -> None:
        text, bound = self._statement(sql, params)
        with self.con.cursor() as cursor:
            cursor.execute(text, bound)

    def fetch_arrow(self, sql: str, params: Params = None) -> pa.Table:
        text, bound = self._statement(sql, params)
        with self.con.cursor() as cursor:
            cursor.execute(text, bound)
            description = cursor.description or []
            rows = cursor.fetchall() if description else []
        values: list[Sequence[Any]] = list(zip(*rows, strict=True)) if rows else []
        if not values:
            values = [()] * len(description)
        types = self.con.adapters.types
        arrays = []
        for column, column_values in zip(description, values, strict=True):
            info = types.get(column.type_code)
            arrays.append(_arrow_column(info.name if info else "", column, column_values))
        return pa.Table.from_arrays(arrays, names=[column.name for column in description])

    def fetch_dicts(self, sql: str, params: Params = None) -> list[dict[str, Any]]:
        text, bound = self._statement(sql, params)
        with self.con.cursor() as cursor:
            cursor.execute(text, bound)
            names = [column.name for column in cursor.description or []]
            return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

    # --- tables and rows -------------------------------------------------------------------

    def create_tables(self, *tables: Table) -> None:
        """Create the missing tables, committed at once on a connection of their own (see the
        module's docstring); a no-op, and no lock, when they all exist."""
        with self.con.cursor() as cursor:
            cursor.execute(
                "SELECT name FROM unnest(%(names)s::text[]) AS name "
                "WHERE to_regclass(name) IS NULL",
                {"names": [table.qualified for table in tables]},
            )
            missing = {name for (name,) in cursor.fetchall()}
        if not missing:
            return
        with connect_postgres(self.target) as ddl, ddl.transaction():
            ddl.execute("SELECT pg_advisory_xact_lock(%s, %s)", DDL_LOCK_KEY)
            for schema in dict.fromkeys(t.schema for t in tables):
                # Identifiers come from the table catalog (checked when it is built).
                ddl.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
            for table in tables:
                # No primary keys, as on DuckDB: the asset checks enforce uniqueness.
                columns = table.columns_ddl(TYPES)
                ddl.execute(f"CREATE TABLE IF NOT EXISTS {table.qualified} ({columns})")

    def append(self, table: Table, rows: pa.Table) -> None:
        """COPY the rows in, in CSV chunks Arrow writes (see the module's docstring)."""
        if rows.num_rows == 0:
            return
        prepared = _for_copy(table, rows)
        columns = ", ".join(table.column_names)
        copy_sql = f"COPY {table.qualified} ({columns}) FROM STDIN (FORMAT csv)"
        with self.con.cursor() as cursor, cursor.copy(copy_sql) as copy:
            for batch in prepared.to_batches(max_chunksize=_COPY_ROWS):
                chunk = io.BytesIO()
                pacsv.write_csv(batch, chunk, _CSV)
                copy.write(chunk.getbuffer())
        faults.point(f"after insert {table.qualified}")

    def lock_window(self, table: Table, window: DayWindow) -> None:
        """Take the advisory lock of each day of the window, in order, until the transaction
        ends (see `window_lock_key`)."""
        if self.con.info.transaction_status == psycopg.pq.TransactionStatus.IDLE:
            raise RuntimeError("lock_window outside transaction() would protect nothing")
        with self.con.cursor() as cursor:
            # One statement per day, sent together (psycopg pipelines executemany) and run
            # in order by the server.
            cursor.executemany(
                "SELECT pg_advisory_xact_lock(%s, %s)",
                [window_lock_key(table, day) for day in window.days()],
            )

    # --- transactions ----------------------------------------------------------------------

    def close(self) -> None:
        self.con.close()
