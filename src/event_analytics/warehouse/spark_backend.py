"""Apache Spark: the same tables, queries and contract as on DuckDB and PostgreSQL, computed by
a Spark session (local, a standalone cluster, or Spark Connect).

What this backend does differently, and why (docs/spark.md says it for operators):

- **Statements**: every query is written once in DuckDB's dialect and translated by SQLGlot
  (`spark.dialect`); its `$name` parameters become Spark's named parameter markers `:name`,
  bound by `spark.sql(text, args=...)`: never formatted into the text.
- **Rows out**: `fetch_arrow` gives DuckDB's Arrow types for the same query (decimal128,
  date32, timestamp[us] without a zone, int64, string), so `fetch_dicts` gives the same Python
  values on every backend.
- **Tables** (`spark.layout`): Parquet, partitioned by the catalog's partition column, in
  Spark's standard layout under the warehouse folder; the catalog is declared again in every
  process (no metastore to share).
- **Replacing a window** (`replace_window`): the query's rows are computed once into a staging
  folder, then `INSERT OVERWRITE` with dynamic partition overwrite replaces the days that have
  rows, and a static `INSERT OVERWRITE ... PARTITION (day = :day)` of no rows empties each day
  of the window that has none. Spark commits a job by swapping whole day folders, so a reader
  sees a day as it was or as it is now. Parquet has no transactions: `transaction()` groups the
  statements but cannot make them one. A crash can leave one table replaced and the next not
  yet, or (killed inside a job's commit) a day of one table empty; re-running the partition
  replaces every day of every table again, and repairs it (tests/test_spark_crash_safety.py).
- **Loading landed files** (`stage_landed`): on the executors, through `mapInArrow`
  (`spark.ingest`): the driver never reads a file.
- **Writers**: one at a time, through the Dagster pool `spark` (`policies.warehouse_pool`), so
  `lock_window` has nothing to do.
"""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import pyarrow as pa

from event_analytics.setting_parsers import WarehouseTarget
from event_analytics.warehouse import faults
from event_analytics.warehouse.backend import Params, Warehouse
from event_analytics.warehouse.spark import layout
from event_analytics.warehouse.spark.dialect import to_spark
from event_analytics.warehouse.spark.session import SparkOptions, get_session
from event_analytics.warehouse.sql import params_for
from event_analytics.warehouse.tables import LANDED_FILES, RAW_EVENTS, REJECTED_EVENTS, Table
from event_analytics.warehouse.window import DayWindow

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

    from event_analytics.ingest import FileOutcome
    from event_analytics.landing import LandedFile, LandingZoneResource

# The messages of errors a retry can cure: the driver's JVM or a Spark Connect server that
# went away or is not answering yet.
_TRANSIENT_MARKERS = ("UNAVAILABLE", "Connection refused", "Answer from Java side is empty")

# Which warehouse folder this process's catalog describes (tables are declared per process).
_attached: dict[str, str] = {}


def is_transient(error: BaseException) -> bool:
    """A lost connection to the JVM or to a Spark Connect server: a retry can cure it."""
    from py4j.protocol import Py4JNetworkError

    if isinstance(error, Py4JNetworkError):
        return True
    name = type(error).__name__
    if name in {"SparkConnectGrpcException", "RetriesExceeded"}:
        return any(marker in str(error) for marker in _TRANSIENT_MARKERS)
    return False


def spark_options(
    target: WarehouseTarget,
    warehouse_dir: str = "",
    driver_memory: str = "2g",
    conf: tuple[tuple[str, str], ...] = (),
) -> SparkOptions:
    """The session options for a parsed `WAREHOUSE_URL` and the `SPARK_*` settings."""
    return SparkOptions(
        master=target.spark_master or "local[*]",
        connect_url=target.spark_connect,
        warehouse_dir=target.warehouse_dir or warehouse_dir,
        driver_memory=driver_memory,
        conf=conf,
    )


class SparkWarehouse(Warehouse):
    """A Spark session: translated SQL with bound parameters, Arrow out with DuckDB's types,
    windows replaced by partition overwrite, landed files loaded on the executors."""

    backend: ClassVar[str] = "spark"
    single_writer: ClassVar[bool] = True

    def __init__(self, session: SparkSession, warehouse_dir: str, read_only: bool = False) -> None:
        self.session = session
        self.warehouse_dir = warehouse_dir
        self.read_only = read_only

    @classmethod
    def open(cls, options: SparkOptions, read_only: bool = False) -> SparkWarehouse:
        """A session on the warehouse `options` name, its tables declared in this process."""
        session = get_session(options)
        warehouse_dir = options.warehouse_dir or str(session.conf.get("spark.sql.warehouse.dir"))
        warehouse_dir = warehouse_dir.removeprefix("file:").rstrip("/")
        if _attached.get("dir") != warehouse_dir:
            layout.detach_all(session)
            _attached["dir"] = warehouse_dir
        layout.attach(session, warehouse_dir)
        return cls(session, warehouse_dir, read_only)

    # --- statements ------------------------------------------------------------------------

    def _frame(self, sql: str, params: Params) -> DataFrame:
        bound = params_for(sql, dict(params or {}))
        return self.session.sql(to_spark(sql), args=bound or None)

    def _writable(self) -> None:
        if self.read_only:
            raise PermissionError("this Spark session is read-only: it runs queries only")

    def execute(self, sql: str, params: Params = None) -> None:
        self._writable()
        # Commands run when issued; a query's rows are fetched so that its errors surface here.
        self._frame(sql, params).collect()

    def fetch_arrow(self, sql: str, params: Params = None) -> pa.Table:
        return _as_duckdb_types(self._frame(sql, params).toArrow())

    # --- tables and rows -------------------------------------------------------------------

    def create_tables(self, *tables: Table) -> None:
        self._writable()
        for table in tables:
            layout.create(self.session, self.warehouse_dir, table)

    def table_exists(self, table: Table) -> bool:
        return bool(self.session.catalog.tableExists(table.qualified))

    def append(self, table: Table, rows: pa.Table) -> None:
        self._writable()
        if rows.num_rows == 0:
            return
        frame = self.session.createDataFrame(rows.select(list(layout.ordered_columns(table))))
        frame.write.insertInto(table.qualified)
        faults.point(f"after insert {table.qualified}")

    def lock_window(self, table: Table, window: DayWindow) -> None:
        """Nothing to do: Spark's writers take turns in the `spark` pool (see the module)."""

    def delete_window(self, table: Table, window: DayWindow) -> None:
        """Empty the window's days (Parquet tables have no DELETE: each day is overwritten with
        no rows)."""
        self._writable()
        for day in window.days():
            self._empty_day(table, day)
        faults.point(f"after delete {table.qualified}")

    def replace_window(self, table: Table, query: str, window: DayWindow) -> None:
        """Replace the window's days of `table` by the rows of `query` (see the module)."""
        self._writable()
        self._overwrite(table, self._frame(query, window.params()), window)

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Marks the write's start and end (fault points); Parquet cannot make the statements
        inside one atomic whole: see the module's docstring for what a crash leaves."""
        faults.point("before_begin")
        faults.point("after_begin")
        yield
        faults.point("before_commit")
        faults.point("after_commit")

    def close(self) -> None:
        """The session stays for the process's next connection: starting Spark takes seconds."""

    # --- landed files, on the executors (`ingest.LoadsOnWorkers`) -------------------------

    def stage_landed(
        self,
        landing: LandingZoneResource,
        files: Sequence[LandedFile],
        memory_limit: str | None,
    ) -> dict[str, FileOutcome]:
        """Read and validate `files` on the executors into a staging folder; each file's
        tally, rejections by reason, and corruption."""
        from event_analytics.ingest import FileOutcome
        from event_analytics.warehouse.spark import ingest

        self._writable()
        self._staged = self._staging("landed")
        outcomes = {f.relative_path: FileOutcome() for f in files}
        if not files:
            self._staged_frame: DataFrame | None = None
            return outcomes
        staged = ingest.stage(self.session, files, landing.url, memory_limit, self._staged)
        self._staged_frame = staged
        # Everything but the rows, summed per file (and reason) in one job: small.
        summary = staged.where("kind <> 'row'").groupBy(
            "kind", "source_file", "reason", _corrupt_detail()
        )
        for row in summary.agg(*_sums()).collect():
            outcome = outcomes[row["source_file"]]
            if row["kind"] == "tally":
                outcome.tally.update({name: row[name] for name in _TALLY})
            elif row["kind"] == "rejected":
                outcome.reasons[row["reason"]] += row["lines"]
            else:
                outcome.corrupt = row["corrupt_detail"]
        return outcomes

    def replace_raw_window(self, window: DayWindow, rejected: pa.Table, landed: pa.Table) -> None:
        """Replace the window's days of the raw tables from what `stage_landed` staged (the
        staged rows go in as they are: they were computed once, on the executors)."""
        self._writable()
        staged = getattr(self, "_staged_frame", None)
        events = _empty(self.session, RAW_EVENTS)
        lines = self.session.createDataFrame(rejected, schema=_ddl(REJECTED_EVENTS))
        if staged is not None:
            corrupt = staged.where("kind = 'corrupt'").select("source_file")
            usable = staged.join(corrupt, "source_file", "left_anti")
            events = usable.where("kind = 'row'").selectExpr(
                *(f"{_ROW_SOURCES.get(c, c)} AS {c}" for c in RAW_EVENTS.column_names)
            )
            lines = (
                usable.where("kind = 'rejected'")
                .select(*REJECTED_EVENTS.column_names)
                .unionByName(lines)
            )
        # The days each table gets rows for, from the file records: no extra pass over the rows.
        records = landed.to_pylist()
        with_rows = {r["partition_date"] for r in records if r["rows_loaded"]}
        with_rejections = {
            r["partition_date"] for r in records if r["rows_rejected"] or r["status"] != "loaded"
        }
        self._overwrite(RAW_EVENTS, events, window, with_rows)
        self._overwrite(REJECTED_EVENTS, lines, window, with_rejections)
        files = self.session.createDataFrame(landed, schema=_ddl(LANDED_FILES))
        self._overwrite(LANDED_FILES, files, window, {r["partition_date"] for r in records})
        self._remove(self._staged)

    # --- replacing days ----------------------------------------------------------------------

    def _overwrite(
        self, table: Table, rows: DataFrame, window: DayWindow, days: set[Any] | None = None
    ) -> None:
        """Replace the window's days of `table` with `rows` (all inside the window).

        `days`: the days `rows` has rows for, when the caller knows them; otherwise the rows
        are computed once into a staging folder first, which tells. Spark's job commit then
        swaps the days in, folder by folder, and each day of the window without rows is
        emptied.
        """
        columns = list(layout.ordered_columns(table))
        staging = None
        if days is None:
            staging = self._staging(table.qualified)
            rows.select(*columns).write.mode("overwrite").partitionBy(
                table.partition_column
            ).parquet(staging)
            faults.point(f"after stage {table.qualified}")
            rows = self.session.read.schema(_ddl(table, columns)).parquet(staging)
            days = {r[0] for r in rows.select(table.partition_column).distinct().collect()}
        self._clear_leftovers(table)
        if days:
            view = f"staged_{uuid.uuid4().hex}"
            rows.select(*columns).createOrReplaceTempView(view)
            try:
                # Identifiers come from the table catalog and a generated view name.
                self.session.sql(
                    f"INSERT OVERWRITE TABLE {table.qualified} ({', '.join(columns)}) "  # noqa: S608
                    f"SELECT {', '.join(columns)} FROM {view}"
                )
            finally:
                self.session.catalog.dropTempView(view)
        faults.point(f"after insert {table.qualified}")
        for day in window.days():
            if day not in days:
                self._empty_day(table, day)
        if staging is not None:
            self._remove(staging)

    def _empty_day(self, table: Table, day: Any) -> None:
        """Overwrite one day's partition with no rows: Spark removes the day's folder."""
        others = [c for c in table.column_names if c != table.partition_column]
        empty = _empty(self.session, table).select(*others)
        view = f"empty_{uuid.uuid4().hex}"
        empty.createOrReplaceTempView(view)
        try:
            # Identifiers come from the table catalog and a generated view name; the day is bound.
            self.session.sql(
                f"INSERT OVERWRITE TABLE {table.qualified} "  # noqa: S608
                f"PARTITION (`{table.partition_column}` = :day) "
                f"SELECT {', '.join(others)} FROM {view}",
                args={"day": day},
            )
        finally:
            self.session.catalog.dropTempView(view)

    def _clear_leftovers(self, table: Table) -> None:
        """Remove what a job killed before its commit left in the table's folder (Spark's
        `.spark-staging-*`: hidden from readers, but never cleaned by Spark itself). With one
        writer at a time (the `spark` pool) nobody else's job is using them."""
        folder = layout.location(self.warehouse_dir, table.schema, table.name)
        if "://" not in folder:
            for leftover in Path(folder).glob(".spark-staging-*"):
                shutil.rmtree(leftover, ignore_errors=True)

    def _staging(self, name: str) -> str:
        """A new staging folder under the warehouse's `_staging/` (not a table: `attach`
        declares only `<schema>.db` folders)."""
        base = f"{self.warehouse_dir}/_staging"
        if "://" not in base:
            # Left over by a write that was killed: with one writer at a time, nobody's now.
            for stale in Path(base).glob(f"{name}-*"):
                shutil.rmtree(stale, ignore_errors=True)
        return f"{base}/{name}-{uuid.uuid4().hex}"

    def _remove(self, folder: str) -> None:
        if "://" not in folder:
            shutil.rmtree(folder, ignore_errors=True)
            return
        jvm = getattr(self.session, "_jvm", None)
        if jvm is not None:  # a cluster's file system, through Hadoop's API
            path = jvm.org.apache.hadoop.fs.Path(folder)
            conf = self.session._jsc.hadoopConfiguration()
            path.getFileSystem(conf).delete(path, True)


# raw.events' columns from the staged records' (see `spark.ingest`).
_ROW_SOURCES = {"event_date": "partition_date", "source_line": "line_number"}
_TALLY = ("lines_read", "blank_lines", "rows_loaded", "rows_rejected")


def _sums() -> list[Any]:
    from pyspark.sql import functions as F

    return [*(F.sum(name).alias(name) for name in _TALLY), F.count("*").alias("lines")]


def _corrupt_detail() -> Any:
    from pyspark.sql import functions as F

    return F.when(F.col("kind") == "corrupt", F.col("detail")).alias("corrupt_detail")


def _ddl(table: Table, columns: Sequence[str] | None = None) -> str:
    kinds = {c.name: c.kind for c in table.columns}
    return ", ".join(
        f"{name} {layout.TYPES[kinds[name]]}" for name in columns or table.column_names
    )


def _empty(session: SparkSession, table: Table) -> DataFrame:
    return session.createDataFrame([], schema=_ddl(table))


def _as_duckdb_types(table: pa.Table) -> pa.Table:
    """Spark's Arrow as DuckDB's: large strings as strings, timestamps naive UTC in
    microseconds. Spark's zoned `TIMESTAMP` (what `date_trunc` and friends return even when
    naive timestamps are the default) is UTC in this session, and DuckDB's answer to the same
    query is a naive `TIMESTAMP`: the same wall-clock values, without the zone."""
    fields = []
    for schema_field in table.schema:
        kind = schema_field.type
        if pa.types.is_large_string(kind) or pa.types.is_string_view(kind):
            kind = pa.string()
        elif pa.types.is_timestamp(kind):
            kind = pa.timestamp("us")
        fields.append(pa.field(schema_field.name, kind))
    schema = pa.schema(fields)
    return table if schema == table.schema else table.cast(schema)
