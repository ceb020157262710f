"""`event-analytics sql QUERY`: check the text, open the warehouse read-only, print the rows.

Exit statuses a script can rely on:

- 0: the rows were printed;
- 1: the query failed (the engine's message), the warehouse could not be opened, or a setting
  cannot be used (the message names the setting, never a password);
- 2: usage: not exactly one query, parameters, or a bad option (argparse's own errors).

Usage errors are found before the warehouse is opened. The table format shows at most
`TABLE_ROW_LIMIT` rows unless `--limit` says otherwise; JSON lines and CSV are for programs and
have no limit unless asked.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TextIO, TypeVar

import pyarrow as pa

from event_analytics.settings import DUCKDB_LOCK_TIMEOUT_SECONDS, WAREHOUSE_URL, SettingError
from event_analytics.sql_command.options import TABLE_ROW_LIMIT, Format
from event_analytics.sql_command.output import write_csv, write_jsonl, write_table
from event_analytics.sql_command.session import warehouse_resource, without_secrets
from event_analytics.sql_command.statement import (
    ROW_LIMIT_PARAMETER,
    NotOneQuery,
    QuerySyntaxError,
    one_query,
    with_row_limit,
)
from event_analytics.warehouse import Warehouse, WarehouseResource, is_transient

T = TypeVar("T")

EXIT_FAILURE = 1
EXIT_USAGE = 2


class CommandError(Exception):
    """Why the command stops: the message to print and the exit status."""

    def __init__(self, message: str, status: int = EXIT_FAILURE) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class Result:
    rows: pa.Table
    more_rows: bool  # the limit cut the result short


def run_sql(
    text: str,
    output: Format,
    limit: int | None,
    out: TextIO,
    environ: Mapping[str, str] | None = None,
) -> None:
    """Run the one query in `text` and print its rows to `out`; `CommandError` otherwise.

    `limit`: rows at most (0: all; None: the format's default).
    """
    try:
        query = one_query(text)
    except NotOneQuery as error:
        raise CommandError(str(error), EXIT_USAGE) from None
    except QuerySyntaxError as error:
        raise CommandError(f"the query failed: {error}") from None
    try:
        resource = warehouse_resource(environ)
    except SettingError as error:
        raise CommandError(str(error)) from None
    result = _fetch(resource, query, _row_limit(output, limit))
    if output is Format.JSONL:
        write_jsonl(result.rows, out)
    elif output is Format.CSV:
        write_csv(result.rows, out)
    else:
        write_table(result.rows, out, more_rows=result.more_rows)


def _row_limit(output: Format, limit: int | None) -> int | None:
    if limit is None:
        return TABLE_ROW_LIMIT if output is Format.TABLE else None
    return limit or None


def _fetch(resource: WarehouseResource, query: str, row_limit: int | None) -> Result:
    return read_warehouse(
        resource, lambda session: _rows(session, query, row_limit), "the query failed"
    )


def read_warehouse(resource: WarehouseResource, read: Callable[[Warehouse], T], failure: str) -> T:
    """`read` on a read-only session of the warehouse. Any error becomes a CommandError that
    says which went wrong, opening the warehouse or `failure` (the read), secrets hidden."""
    opening = True
    try:
        with resource.connect(read_only=True) as session:
            opening = False
            return read(session)
    except Exception as error:
        if opening:
            raise CommandError(_cannot_open(resource, error)) from None
        message = without_secrets(str(error), resource.url)
        raise CommandError(f"{failure}: {message}") from None


def _rows(session: Warehouse, query: str, row_limit: int | None) -> Result:
    if row_limit is None:
        return Result(session.fetch_arrow(query), more_rows=False)
    # One row more than shown tells whether there are more, without counting them all.
    fetched = session.fetch_arrow(with_row_limit(query), {ROW_LIMIT_PARAMETER: row_limit + 1})
    return Result(fetched.slice(0, row_limit), more_rows=fetched.num_rows > row_limit)


def _cannot_open(resource: WarehouseResource, error: Exception) -> str:
    """Why the warehouse could not be opened, naming the setting to look at."""
    if isinstance(error, SettingError):
        return str(error)
    if is_transient(error) and resource.backend == "duckdb":
        return (
            "the warehouse file is locked by another process (a run writing it?) for longer "
            f"than {DUCKDB_LOCK_TIMEOUT_SECONDS.env_var}={resource.lock_timeout_seconds} "
            "allows: try again when it is done, or wait longer"
        )
    shown = WAREHOUSE_URL.shown(resource.url)
    reason = without_secrets(f"{type(error).__name__}: {error}", resource.url)
    return f"cannot open the warehouse {WAREHOUSE_URL.env_var}={shown}: {reason}"
