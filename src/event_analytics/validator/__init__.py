"""The landing-line validator: a pure function from landed lines to loaded and rejected rows.

`validate_lines` takes a batch of lines as Arrow (`lines_table` makes one from a file's bytes)
and returns Arrow: the rows for `raw.events`, the rejected lines with their reasons for
`raw.rejected_events`, and each file's tally. It holds no warehouse connection and no state,
so every backend runs the same function: in the asset's process for DuckDB and PostgreSQL, on
the executors for Spark. Inside, an in-memory DuckDB is its engine (a library, on every core),
running `validate_lines.sql`; the contract it enforces is docs/landing-zone.md.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

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

# Rows per Arrow batch streamed out of the engine (DuckDB's row group size): several of them
# let the warehouse insert in parallel.
CHUNK_ROWS = 122_880

_VERDICTS = """
SELECT partition_date, CAST(source_file AS VARCHAR) AS source_file, line_number, is_blank,
       reason, detail, raw_line, event_id, user_id, event_type, occurred_at, revenue,
       CAST(properties AS VARCHAR) AS properties, CAST(extra AS VARCHAR) AS extra
FROM validated
"""
# The verdicts' columns that make a row of raw.events, and of raw.rejected_events.
_ROW_COLUMNS = {
    "event_id": "event_id",
    "user_id": "user_id",
    "event_type": "event_type",
    "occurred_at": "occurred_at",
    "event_date": "partition_date",
    "revenue": "revenue",
    "properties": "properties",
    "extra": "extra",
    "source_file": "source_file",
    "source_line": "line_number",
}
_REJECTED_COLUMNS = ("partition_date", "source_file", "line_number", "raw_line", "reason", "detail")
_TALLY_COLUMNS = ("lines_read", "blank_lines", "rows_loaded", "rows_rejected")


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


def _split(verdicts: pa.RecordBatch) -> ValidatedLines:
    """One streamed batch of verdicts as rows, rejections and per-file tallies."""
    blank = verdicts.column("is_blank")
    reason = verdicts.column("reason")
    read = pc.invert(blank)
    loaded = pc.and_(read, pc.is_null(reason))
    rejected = pc.and_(read, pc.is_valid(reason))
    table = pa.Table.from_batches([verdicts])
    # Usually every line of a batch loads: then the rows are the batch itself, not a copy.
    rows = table if pc.all(loaded).as_py() else table.filter(loaded)
    counts = pa.table(
        {
            "source_file": table.column("source_file"),
            "lines_read": pc.cast(read, pa.int64()),
            "blank_lines": pc.cast(blank, pa.int64()),
            "rows_loaded": pc.cast(loaded, pa.int64()),
            "rows_rejected": pc.cast(rejected, pa.int64()),
        }
    )
    return ValidatedLines(
        rows=pa.table({name: rows.column(source) for name, source in _ROW_COLUMNS.items()}),
        rejected=table.filter(rejected).select(list(_REJECTED_COLUMNS)),
        tally=_sum_by_file(counts),
    )


def _sum_by_file(counts: pa.Table) -> pa.Table:
    summed = counts.group_by("source_file", use_threads=False).aggregate(
        [(name, "sum") for name in _TALLY_COLUMNS]
    )
    return summed.rename_columns([name.removesuffix("_sum") for name in summed.column_names])


def _combine(parts: list[ValidatedLines]) -> ValidatedLines:
    """Several parts of one batch's result as one (their tallies summed per file)."""
    if len(parts) == 1:
        return parts[0]
    return ValidatedLines(
        rows=pa.concat_tables([p.rows for p in parts]),
        rejected=pa.concat_tables([p.rejected for p in parts]),
        tally=_sum_by_file(pa.concat_tables([p.tally for p in parts])),
    )


class LineValidator:
    """The validator with its engine kept open, for many batches in a row (one load).

    `with LineValidator() as validator: validator.validate(batch)`. The engine is an in-memory
    DuckDB that holds nothing but the batch being judged; `memory_limit` caps it (DuckDB's
    syntax, e.g. `1GB`), by default DuckDB's own limit.
    """

    def __init__(self, memory_limit: str | None = None) -> None:
        config: dict[str, str | bool | int | float | list[str]] = {
            # Where the engine spills past its memory limit (created only if it does), rather
            # than DuckDB's default `.tmp` in whatever folder the process runs in.
            "temp_directory": str(Path(tempfile.gettempdir()) / f"event-analytics-{os.getpid()}")
        }
        if memory_limit:
            config["memory_limit"] = memory_limit
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

    def stream(self, lines: pa.Table) -> Iterator[ValidatedLines]:
        """Judge a batch of landed lines (see `LINES_SCHEMA`) against the contract, and give
        the result in parts of at most `CHUNK_ROWS` lines, as the engine produces them.

        Together the parts hold every non-blank line exactly once, as a row or a rejection.
        """
        for part in _passes(lines):
            self._engine.register("landed_lines", part)
            try:
                self._engine.execute(_script()[-1])  # the view over this pass
                reader = self._engine.sql(_VERDICTS).to_arrow_reader(CHUNK_ROWS)
                produced = False
                for verdicts in reader:
                    produced = True
                    yield _split(verdicts)
                if not produced:  # no line at all: still one (empty) part, with the schema
                    yield _split(pa.RecordBatch.from_pylist([], schema=reader.schema))
            except duckdb.Error as error:  # e.g. out of memory: say on which lines
                error.add_note(f"While validating {_describe(part)}.")
                raise
            finally:
                self._engine.unregister("landed_lines")

    def validate(self, lines: pa.Table) -> ValidatedLines:
        """The whole result of `stream` at once (for small batches and tests)."""
        return _combine(list(self.stream(lines)))


def validate_lines(lines: pa.Table, memory_limit: str | None = None) -> ValidatedLines:
    """Judge one batch of landed lines: `LineValidator(memory_limit).validate(lines)`."""
    with LineValidator(memory_limit) as validator:
        return validator.validate(lines)
