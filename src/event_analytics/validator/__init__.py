"""The landing-line validator: a pure function from landed lines to loaded and rejected rows.

`validate_lines` takes a batch of lines as Arrow (`lines_table` makes one from a file's bytes)
and returns Arrow: the rows for `raw.events`, the rejected lines with their reasons for
`raw.rejected_events`, and each file's tally. It holds no warehouse connection and no state,
so every backend runs the same function: in the asset's process for DuckDB and PostgreSQL, on
the executors for Spark. Inside, an in-memory DuckDB is its engine (a library, on every core),
running `validate_lines.sql`; the contract it enforces is docs/landing-zone.md.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from importlib import resources

import duckdb
import numpy as np
import pyarrow as pa

from event_analytics.validator.lines import LINES_SCHEMA, lines_table, view_lengths

__all__ = ["LINES_SCHEMA", "ValidatedLines", "lines_table", "validate_lines"]

# Bytes of lines per engine pass. Each of DuckDB's JSON function calls keeps its parse of a
# whole vector of lines (up to 2048) until the next vector, ~16 bytes per JSON value: a pass of
# many large lines must not hold all of them at once. A line is at most 16 MiB (the contract),
# so a pass parses at most this much.
PASS_BYTES = 16 * 1024 * 1024
# A vector of 2048 lines of at most this size stays under PASS_BYTES, so a batch made only of
# such lines (the normal case) is judged in one pass, which DuckDB spreads over every core.
SMALL_LINE_BYTES = PASS_BYTES // 2048

_ROWS = """
SELECT event_id, user_id, event_type, occurred_at, partition_date AS event_date, revenue,
       CAST(properties AS VARCHAR) AS properties, CAST(extra AS VARCHAR) AS extra,
       CAST(source_file AS VARCHAR) AS source_file, line_number AS source_line
FROM validated
WHERE NOT is_blank AND reason IS NULL
"""
_REJECTED = """
SELECT partition_date, CAST(source_file AS VARCHAR) AS source_file, line_number, raw_line,
       reason, detail
FROM validated
WHERE NOT is_blank AND reason IS NOT NULL
"""
_TALLY = """
SELECT CAST(source_file AS VARCHAR) AS source_file,
       count(*) FILTER (WHERE NOT is_blank) AS lines_read,
       count(*) FILTER (WHERE is_blank) AS blank_lines,
       count(*) FILTER (WHERE NOT is_blank AND reason IS NULL) AS rows_loaded,
       count(*) FILTER (WHERE NOT is_blank AND reason IS NOT NULL) AS rows_rejected
FROM validated
GROUP BY ALL
"""


@dataclass(frozen=True)
class ValidatedLines:
    """What the validator made of a batch of lines.

    - `rows`: one row per usable line, in `raw.events`' columns (JSON columns as text).
    - `rejected`: one row per rejected line, in `raw.rejected_events`' columns.
    - `tally`: per source file, lines read (non-blank), blank lines, rows loaded and rejected;
      `lines_read == rows_loaded + rows_rejected` for every file.
    """

    rows: pa.Table
    rejected: pa.Table
    tally: pa.Table


@cache
def _script() -> tuple[str, ...]:
    text = resources.files(__package__).joinpath("validate_lines.sql").read_text("utf-8")
    lines = [line for line in text.splitlines() if not line.lstrip().startswith("--")]
    return tuple(s.strip() for s in "\n".join(lines).split(";\n") if s.strip())


def _passes(lines: pa.Table, limit: int = PASS_BYTES) -> Iterator[pa.Table]:
    """Consecutive slices of a batch of lines, each at most `limit` bytes or a single line."""
    lengths = view_lengths(lines["raw"])
    if len(lengths) == 0 or int(lengths.max()) <= SMALL_LINE_BYTES:
        yield lines
        return
    ends = np.cumsum(lengths)
    start = 0
    while start < len(lines):
        before = int(ends[start - 1]) if start else 0
        stop = max(int(np.searchsorted(ends, before + limit, side="right")), start + 1)
        yield lines.slice(start, stop - start)
        start = stop


def _describe(lines: pa.Table) -> str:
    """Where a pass's lines come from, for an error message."""
    files, numbers = lines["source_file"], lines["line_number"]
    first, last = f"{files[0]}:{numbers[0]}", f"{files[-1]}:{numbers[-1]}"
    size = int(view_lengths(lines["raw"]).sum())
    return f"lines {first} to {last} ({size} bytes)"


def _judge(engine: duckdb.DuckDBPyConnection, lines: pa.Table) -> ValidatedLines:
    engine.register("landed_lines", lines)
    try:
        engine.execute(_script()[-1])
    except duckdb.Error as error:  # e.g. out of memory: say on which lines
        error.add_note(f"While validating {_describe(lines)}.")
        raise
    finally:
        engine.unregister("landed_lines")
    return ValidatedLines(
        rows=engine.sql(_ROWS).to_arrow_table(),
        rejected=engine.sql(_REJECTED).to_arrow_table(),
        tally=engine.sql(_TALLY).to_arrow_table(),
    )


def _combine(parts: list[ValidatedLines]) -> ValidatedLines:
    if len(parts) == 1:
        return parts[0]
    tally = pa.concat_tables([p.tally for p in parts])
    summed = tally.group_by("source_file", use_threads=False).aggregate(
        [(name, "sum") for name in tally.column_names[1:]]
    )
    summed = summed.rename_columns([name.removesuffix("_sum") for name in summed.column_names])
    return ValidatedLines(
        rows=pa.concat_tables([p.rows for p in parts]),
        rejected=pa.concat_tables([p.rejected for p in parts]),
        tally=summed.select(tally.column_names),
    )


class LineValidator:
    """The validator with its engine kept open, for many batches in a row (one load).

    `with LineValidator() as validator: validator.validate(batch)`. The engine is an in-memory
    DuckDB that holds nothing but the batch being judged; `memory_limit` caps it (DuckDB's
    syntax, e.g. `1GB`), by default DuckDB's own limit.
    """

    def __init__(self, memory_limit: str | None = None) -> None:
        config: dict[str, str | bool | int | float | list[str]] = (
            {"memory_limit": memory_limit} if memory_limit else {}
        )
        self._engine = duckdb.connect(config=config)
        # Timestamps are judged in UTC; the zone only matters when parsing offsets.
        self._engine.execute("SET TimeZone = 'UTC'")
        for statement in _script()[:-1]:  # the macros
            self._engine.execute(statement)

    def __enter__(self) -> LineValidator:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        self._engine.close()

    def validate(self, lines: pa.Table) -> ValidatedLines:
        """Judge a batch of landed lines (see `LINES_SCHEMA`) against the contract.

        The result holds every non-blank line exactly once, as a row or as a rejection.
        """
        return _combine([_judge(self._engine, part) for part in _passes(lines)])


def validate_lines(lines: pa.Table, memory_limit: str | None = None) -> ValidatedLines:
    """Judge one batch of landed lines: `LineValidator(memory_limit).validate(lines)`."""
    with LineValidator(memory_limit) as validator:
        return validator.validate(lines)
