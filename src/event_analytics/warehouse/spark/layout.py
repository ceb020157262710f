"""How the platform's tables lie in a Spark warehouse folder, and how a session learns them.

Spark's standard layout: table `schema.name` is the folder `<warehouse>/<schema>.db/<name>/`,
Parquet files in one sub-folder per day (`event_date=2025-01-02/part-....parquet`). Spark puts
a table's partition column last, so `SELECT *` on Spark lists `event_date` (or `date`,
`partition_date`) after the other columns; queries that name their columns, as the platform's
do, read the same on every backend.

The catalog is in memory (see `session`): each process declares the tables again over their
folders (`attach`), the platform's with their columns from `warehouse.tables`, any other folder
it finds (the dbt marts) with the schema its Parquet files carry.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from event_analytics.warehouse.tables import TABLES, Kind, Table

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

TYPES = {
    Kind.TEXT: "STRING",
    Kind.BIGINT: "BIGINT",
    Kind.DATE: "DATE",
    # Naive UTC, as DuckDB's TIMESTAMP (the session's default timestamp type is NTZ too).
    Kind.TIMESTAMP: "TIMESTAMP_NTZ",
    Kind.MONEY: "DECIMAL(18,4)",
    Kind.MONEY_SUM: "DECIMAL(38,4)",
    Kind.JSON: "STRING",
}
_BY_NAME = {table.qualified: table for table in TABLES}


def location(warehouse_dir: str, schema: str, name: str) -> str:
    """The folder of table `schema.name` under the warehouse folder (or URI)."""
    return f"{warehouse_dir.rstrip('/')}/{schema}.db/{name}"


def ordered_columns(table: Table) -> tuple[str, ...]:
    """The table's columns as Spark stores them: the partition column last."""
    others = tuple(c for c in table.column_names if c != table.partition_column)
    return (*others, table.partition_column)


def create(session: SparkSession, warehouse_dir: str, table: Table) -> None:
    """Declare `table` over its folder (created empty when missing), unless it is declared."""
    # Identifiers come from the table catalog (checked when it is built); the folder is bound.
    session.sql(f"CREATE DATABASE IF NOT EXISTS {table.schema}")
    columns = table.columns_ddl(TYPES)
    session.sql(
        f"CREATE TABLE IF NOT EXISTS {table.qualified} ({columns}) USING parquet "
        f"PARTITIONED BY ({table.partition_column}) LOCATION :location",
        args={"location": location(warehouse_dir, table.schema, table.name)},
    )


def attach(session: SparkSession, warehouse_dir: str) -> None:
    """Declare every table whose folder exists under a local warehouse folder.

    The platform's tables get their declared columns; any other `<schema>.db/<name>` folder
    (the marts dbt writes) the schema of its Parquet files. On a cluster's shared file system
    (a URI) the platform's tables are declared as they are created (`create`).
    """
    for schema, name, folder in _table_folders(warehouse_dir):
        qualified = f"{schema}.{name}"
        if qualified in _BY_NAME:
            create(session, warehouse_dir, _BY_NAME[qualified])
        elif _has_data(folder):
            session.sql(f"CREATE DATABASE IF NOT EXISTS {schema}")
            session.sql(
                f"CREATE TABLE IF NOT EXISTS {qualified} USING parquet LOCATION :location",
                args={"location": str(folder)},
            )
            # dbt writes these in its own process: files this session listed may be gone.
            session.catalog.refreshTable(qualified)


def tables_with_data(warehouse_dir: str) -> list[str]:
    """`schema.name` of every table folder under a local warehouse folder that holds Parquet
    files: what another process (dbt's) can declare from the files alone."""
    return [
        f"{schema}.{name}"
        for schema, name, folder in _table_folders(warehouse_dir)
        if _has_data(folder)
    ]


def _table_folders(warehouse_dir: str) -> Iterator[tuple[str, str, Path]]:
    """(schema, name, folder) of each `<schema>.db/<name>` folder with lower-case identifier
    names (anything else is not a table of this layout), on a local warehouse folder."""
    root = Path(warehouse_dir)
    if not warehouse_dir or "://" in warehouse_dir or not root.is_dir():
        return
    for schema_dir in sorted(root.glob("*.db")):
        schema = schema_dir.name.removesuffix(".db")
        for folder in sorted(p for p in schema_dir.iterdir() if p.is_dir()):
            if _is_identifier(schema) and _is_identifier(folder.name):
                yield schema, folder.name, folder


def detach_all(session: SparkSession) -> None:
    """Forget every declared table (their folders stay): the process moves to another
    warehouse folder (tests do; a deployment has one)."""
    for database in session.catalog.listDatabases():
        if database.name == "default":
            continue
        for table in session.catalog.listTables(database.name):
            # Names come from the catalog itself; every platform table is external (LOCATION),
            # so dropping it never touches its files.
            session.sql(f"DROP TABLE IF EXISTS {database.name}.{table.name}")


def _is_identifier(name: str) -> bool:
    return name.isidentifier() and name.isascii() and name == name.lower()


def _has_data(folder: Path) -> bool:
    return any(p.suffix == ".parquet" for p in folder.rglob("*.parquet"))
