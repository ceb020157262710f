"""Every table the platform writes, described once: columns, logical types, partition column.

Backends turn these descriptions into their own DDL (DuckDB's `DECIMAL`, PostgreSQL's
`numeric`, Spark's partitioned Parquet tables) and use the partition column to replace a
window of days atomically. Assets name a table; they never write DDL or know its dialect.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum

# Table and column names are written into SQL text (identifiers cannot be bound): only names
# of this shape exist, which every engine takes unquoted.
_IDENTIFIER = re.compile(r"^[a-z_][a-z0-9_]*$")


class Kind(Enum):
    """A column's logical type; each backend maps it to its own."""

    TEXT = "text"
    BIGINT = "bigint"
    DATE = "date"
    TIMESTAMP = "timestamp"  # UTC, microseconds, no time zone
    MONEY = "decimal(18,4)"  # one event's revenue, exact
    MONEY_SUM = "decimal(38,4)"  # sums of revenue, exact
    JSON = "json"  # JSON text, kept as written by the validator


@dataclass(frozen=True)
class Column:
    name: str
    kind: Kind
    nullable: bool = True


@dataclass(frozen=True)
class Table:
    """A platform table: `schema.name`, its columns in order, and the column partitions are
    days of (a DATE, or a TIMESTAMP whose UTC day is the partition)."""

    schema: str
    name: str
    columns: tuple[Column, ...]
    partition_column: str

    def __post_init__(self) -> None:
        for name in (self.schema, self.name, *self.column_names):
            if not _IDENTIFIER.match(name):
                raise ValueError(f"not a plain SQL identifier: {name!r}")
        if self.partition_column not in self.column_names:
            raise ValueError(f"{self.qualified} has no column {self.partition_column!r}")

    @property
    def qualified(self) -> str:
        return f"{self.schema}.{self.name}"

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(column.name for column in self.columns)

    @property
    def partition_kind(self) -> Kind:
        return next(c.kind for c in self.columns if c.name == self.partition_column)

    def columns_ddl(self, types: Mapping[Kind, str]) -> str:
        """The column list of a CREATE TABLE, in an engine's type names (`types`). The names
        come from this catalog, checked when it is built, so they may stand in SQL text."""
        return ", ".join(
            f"{c.name} {types[c.kind]}{'' if c.nullable else ' NOT NULL'}" for c in self.columns
        )


def _events(schema: str, name: str, user_required: bool) -> Table:
    return Table(
        schema,
        name,
        (
            Column("event_id", Kind.TEXT, nullable=False),
            Column("user_id", Kind.TEXT, nullable=not user_required),
            Column("event_type", Kind.TEXT, nullable=False),
            Column("occurred_at", Kind.TIMESTAMP, nullable=False),
            Column("event_date", Kind.DATE, nullable=False),
            Column("revenue", Kind.MONEY, nullable=False),
            Column("properties", Kind.JSON),
            Column("extra", Kind.JSON),
            Column("source_file", Kind.TEXT, nullable=False),
            Column("source_line", Kind.BIGINT, nullable=False),
        ),
        partition_column="event_date",
    )


RAW_EVENTS = _events("raw", "events", user_required=False)
CLEANED_EVENTS = _events("analytics", "cleaned_events", user_required=True)

REJECTED_EVENTS = Table(
    "raw",
    "rejected_events",
    (
        Column("partition_date", Kind.DATE, nullable=False),
        Column("source_file", Kind.TEXT, nullable=False),
        Column("line_number", Kind.BIGINT),
        Column("raw_line", Kind.TEXT),
        Column("reason", Kind.TEXT, nullable=False),
        Column("detail", Kind.TEXT, nullable=False),
    ),
    partition_column="partition_date",
)

LANDED_FILES = Table(
    "raw",
    "landed_files",
    (
        Column("partition_date", Kind.DATE, nullable=False),
        Column("source_file", Kind.TEXT, nullable=False),
        Column("size_bytes", Kind.BIGINT, nullable=False),
        Column("modified_at", Kind.TIMESTAMP, nullable=False),
        Column("status", Kind.TEXT, nullable=False),
        Column("lines_read", Kind.BIGINT, nullable=False),
        Column("blank_lines", Kind.BIGINT, nullable=False),
        Column("rows_loaded", Kind.BIGINT, nullable=False),
        Column("rows_rejected", Kind.BIGINT, nullable=False),
    ),
    partition_column="partition_date",
)

DAILY_SUMMARY = Table(
    "analytics",
    "daily_summary",
    (
        Column("date", Kind.DATE, nullable=False),
        Column("events", Kind.BIGINT, nullable=False),
        Column("active_users", Kind.BIGINT, nullable=False),
        Column("purchases", Kind.BIGINT, nullable=False),
        Column("revenue", Kind.MONEY_SUM, nullable=False),
    ),
    partition_column="date",
)

#: Every table, in the order they are created.
TABLES = (RAW_EVENTS, REJECTED_EVENTS, LANDED_FILES, CLEANED_EVENTS, DAILY_SUMMARY)
