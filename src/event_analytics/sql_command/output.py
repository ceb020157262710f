"""The result's three formats: a table for people, JSON lines and CSV for programs.

- `table`: on a terminal, a rich table; otherwise (a pipe, a file) plain aligned text, one row
  a line. Numbers are right-aligned, NULL is `NULL`, control characters are escaped, and a
  last line counts the rows or says that more were not shown.
- `jsonl`: one JSON object per row, keys in column order.
- `csv`: a header, then one record per row (RFC 4180 quoting, `\\n` line ends).

Column names a result repeats (`SELECT 1 AS a, 2 AS a`) get `_1`, `_2`... after the first, as
DuckDB names them in a subquery, so every format can tell the columns apart.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any, TextIO

import pyarrow as pa

from event_analytics.sql_command.values import cell_text, csv_value, json_value

if TYPE_CHECKING:
    from rich.console import Console

NULL = "NULL"


def rows(table: pa.Table) -> Iterator[tuple[Any, ...]]:
    """The table's rows as tuples, a batch at a time (never every row as dictionaries)."""
    for batch in table.to_batches():
        yield from zip(*(column.to_pylist() for column in batch.columns), strict=True)


def unique_names(names: Sequence[str]) -> list[str]:
    """The column names, a repeated one suffixed `_1`, `_2`... until it is unique."""
    seen: set[str] = set()
    unique = []
    for name in names:
        candidate, n = name, 0
        while candidate in seen:
            n += 1
            candidate = f"{name}_{n}"
        seen.add(candidate)
        unique.append(candidate)
    return unique


def write_jsonl(table: pa.Table, out: TextIO) -> None:
    names = unique_names(table.column_names)
    for row in rows(table):
        record = dict(zip(names, (json_value(value) for value in row), strict=True))
        out.write(json.dumps(record, ensure_ascii=False) + "\n")


def write_csv(table: pa.Table, out: TextIO) -> None:
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(unique_names(table.column_names))
    for row in rows(table):
        writer.writerow([csv_value(value) for value in row])


def footer(shown: int, more_rows: bool) -> str:
    """The table's last line: how many rows, or that there are more than were shown."""
    if more_rows:
        return f"(first {shown} rows shown: there are more; --limit N to see N, 0 for all)"
    return f"({shown} row{'' if shown == 1 else 's'})"


def write_table(
    table: pa.Table, out: TextIO, *, more_rows: bool, console: Console | None = None
) -> None:
    """The rows as a table: drawn by rich on a terminal (or on `console`), else plain text."""
    if console is None and out.isatty():
        from rich.console import Console  # only a terminal pays for rich

        console = Console(file=out, highlight=False)
    if console is not None:
        _rich_table(table, console, more_rows)
    else:
        _plain_table(table, out, more_rows)


def _numeric(table: pa.Table) -> list[bool]:
    """Which columns hold numbers (right-aligned, as numbers are read)."""
    return [
        pa.types.is_integer(t) or pa.types.is_floating(t) or pa.types.is_decimal(t)
        for t in table.schema.types
    ]


def _cells(table: pa.Table) -> Iterator[list[str | None]]:
    for row in rows(table):
        yield [None if value is None else cell_text(value) for value in row]


def _plain_table(table: pa.Table, out: TextIO, more_rows: bool) -> None:
    from rich.cells import cell_len  # display width: wide characters take two cells

    names = [cell_text(name) for name in unique_names(table.column_names)]
    body = [[NULL if cell is None else cell for cell in row] for row in _cells(table)]
    widths = [
        max([cell_len(name), *(cell_len(row[i]) for row in body)]) for i, name in enumerate(names)
    ]
    right = _numeric(table)

    def line(cells: Sequence[str]) -> str:
        padded = []
        for cell, width, is_number in zip(cells, widths, right, strict=True):
            gap = " " * (width - cell_len(cell))
            padded.append(gap + cell if is_number else cell + gap)
        return "  ".join(padded).rstrip() + "\n"

    out.write(line(names))
    out.write(line(["-" * width for width in widths]))
    for row in body:
        out.write(line(row))
    out.write(footer(len(body), more_rows) + "\n")


def _rich_table(table: pa.Table, console: Console, more_rows: bool) -> None:
    from rich.table import Table
    from rich.text import Text

    # Text objects throughout: a value such as "[bold]" is shown as written, never as markup.
    drawn = Table(header_style="bold", highlight=False)
    for name, is_number in zip(unique_names(table.column_names), _numeric(table), strict=True):
        drawn.add_column(Text(cell_text(name)), justify="right" if is_number else "left")
    shown = 0
    for row in _cells(table):
        drawn.add_row(*(Text(NULL, style="dim") if c is None else Text(c) for c in row))
        shown += 1
    console.print(drawn)
    console.print(Text(footer(shown, more_rows), style="dim"))
