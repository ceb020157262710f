"""Load a window of landed days into `raw.events` / `raw.rejected_events` in one transaction.

Python only lists files, decompresses them and hands their bytes to the warehouse as Arrow;
all parsing and validation is SQL (`sql/duckdb/raw_events_parse.sql`), one pass per slice of
at most `PASS_BYTES` of lines.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from event_analytics.landing import (
    CorruptFileError,
    LandedFile,
    LandingZoneResource,
    folder_digest,
    lines_table,
)
from event_analytics.warehouse import WarehouseConnection

# Bytes of decompressed landing data read before parsing: bounds memory on huge days.
BATCH_BYTES = 64 * 1024 * 1024
# Bytes of lines per SQL pass. Each of DuckDB's JSON function calls keeps its parse of a whole
# vector of lines (up to 2048) until the next vector, ~16 bytes per JSON value: a pass of many
# large lines must not hold all of them at once. A line is at most 16 MiB (the contract), so
# a pass parses at most this much.
PASS_BYTES = 16 * 1024 * 1024
# A vector of 2048 lines of at most this size stays under PASS_BYTES, so a batch made only of
# such lines (the normal case) is parsed in one pass, which DuckDB spreads over every core;
# small passes of ~80k lines would each run on one thread.
SMALL_LINE_BYTES = PASS_BYTES // 2048


class LostLinesError(RuntimeError):
    """The loaded and rejected rows do not add up to the lines read: nothing is committed."""


@dataclass
class LoadReport:
    """What one load did, for metadata and for the invariant check."""

    days: int = 0
    files: int = 0
    corrupt_files: list[str] = field(default_factory=list)
    lines_read: int = 0
    blank_lines: int = 0
    rows_loaded: int = 0
    rows_rejected: int = 0
    rejected_by_reason: Counter[str] = field(default_factory=Counter)
    removed_files: list[str] = field(default_factory=list)
    # Each day folder as listed before any of its files was read (see `folder_digest`).
    digests: dict[str, str] = field(default_factory=dict)

    @property
    def balanced(self) -> bool:
        return self.lines_read == self.rows_loaded + self.rows_rejected


_FILE_TALLY = """
SELECT source_file,
       count(*) FILTER (WHERE NOT is_blank) AS lines_read,
       count(*) FILTER (WHERE is_blank) AS blank_lines,
       count(*) FILTER (WHERE NOT is_blank AND reason IS NULL) AS rows_loaded,
       count(*) FILTER (WHERE NOT is_blank AND reason IS NOT NULL) AS rows_rejected
FROM parsed_lines
GROUP BY source_file
"""

_REASON_TALLY = """
SELECT reason, count(*) AS n FROM parsed_lines
WHERE NOT is_blank AND reason IS NOT NULL GROUP BY reason
"""

_RECORD_FILE = """
INSERT INTO raw.landed_files VALUES (
    $partition_date, $source_file, $size_bytes, $modified_at, $status,
    $lines_read, $blank_lines, $rows_loaded, $rows_rejected
)
"""

_RECORD_CORRUPT = """
INSERT INTO raw.rejected_events VALUES (
    $partition_date, $source_file, NULL, NULL, 'corrupt_file', $detail
)
"""

_PREVIOUS_FILES = """
SELECT source_file FROM raw.landed_files
WHERE partition_date >= CAST($window_start AS DATE) AND partition_date < CAST($window_end AS DATE)
"""

_COUNT_WINDOW = """
SELECT
    (SELECT count(*) FROM raw.events
      WHERE occurred_at >= $window_start AND occurred_at < $window_end) AS loaded,
    (SELECT count(*) FROM raw.rejected_events
      WHERE partition_date >= CAST($window_start AS DATE)
        AND partition_date < CAST($window_end AS DATE)
        AND line_number IS NOT NULL) AS rejected
"""


def _batches(
    landing: LandingZoneResource,
    files: Sequence[LandedFile],
    report: LoadReport,
    record_corrupt: Callable[[LandedFile, str], None],
) -> Iterator[tuple[pa.Table, list[LandedFile]]]:
    """Arrow tables of lines with the files they came from, each about `BATCH_BYTES` at most."""
    pending: list[pa.Table] = []
    members: list[LandedFile] = []
    size = 0
    for landed in files:
        try:
            content = landing.read(landed)
        except CorruptFileError as error:
            report.corrupt_files.append(landed.relative_path)
            record_corrupt(landed, str(error))
            continue
        pending.append(lines_table(landed, content))
        members.append(landed)
        size += len(content)
        if size >= BATCH_BYTES:
            yield pa.concat_tables(pending), members
            pending, members, size = [], [], 0
    if pending:
        yield pa.concat_tables(pending), members


def _passes(batch: pa.Table, limit: int = PASS_BYTES) -> Iterator[pa.Table]:
    """Consecutive slices of a batch of lines, each at most `limit` bytes or a single line."""
    lengths = pc.binary_length(batch["raw"]).to_numpy(zero_copy_only=False)
    if len(lengths) and int(lengths.max()) <= SMALL_LINE_BYTES:
        yield batch
        return
    ends = np.cumsum(lengths)
    start = 0
    while start < len(batch):
        before = int(ends[start - 1]) if start else 0
        stop = max(int(np.searchsorted(ends, before + limit, side="right")), start + 1)
        yield batch.slice(start, stop - start)
        start = stop


def _describe(lines: pa.Table) -> str:
    """Where a pass's lines come from, for an error message."""
    files, numbers = lines["source_file"], lines["line_number"]
    first, last = f"{files[0]}:{numbers[0]}", f"{files[-1]}:{numbers[-1]}"
    size = pc.sum(pc.binary_length(lines["raw"])).as_py()
    return f"lines {first} to {last} ({size} bytes)"


def load_window(
    connection: WarehouseConnection,
    landing: LandingZoneResource,
    days: Sequence[dt.date],
    bounds: dict[str, dt.datetime],
    progress: Callable[[str], None] = lambda _: None,
) -> LoadReport:
    """Replace the window's raw rows with what the landing zone holds now. Call in a transaction."""
    report = LoadReport(days=len(days))
    connection.run_script("duckdb/schema")
    previously_loaded = {row[0] for row in connection.execute(_PREVIOUS_FILES, bounds)}
    connection.run_script("duckdb/raw_events_replace", bounds)

    def record_corrupt(landed: LandedFile, detail: str) -> None:
        params = {"partition_date": landed.day, "source_file": landed.relative_path}
        connection.execute(_RECORD_CORRUPT, {**params, "detail": detail})
        _record_file(connection, landed, "corrupt", {})

    current: set[str] = set()
    for day in days:
        files = landing.list_files(day)
        # From the listing the load reads, taken before reading: a file that changes while it
        # loads then differs from this record, and the landing sensor loads its day again.
        report.digests[day.isoformat()] = folder_digest(files)
        report.files += len(files)
        current.update(f.relative_path for f in files)
        for batch, members in _batches(landing, files, report, record_corrupt):
            # a file may span passes: its tally is summed before it is recorded
            tallies: dict[str, Counter[str]] = {f.relative_path: Counter() for f in members}
            for lines in _passes(batch):
                connection.register_arrow("landed_lines", lines)
                try:
                    connection.run_script("duckdb/raw_events_parse")
                    connection.run_script("duckdb/raw_events_insert")
                except Exception as error:  # e.g. out of memory: say on which lines
                    error.add_note(f"While loading {_describe(lines)}.")
                    raise
                for tally in connection.fetch_dicts(_FILE_TALLY):
                    tallies[tally.pop("source_file")].update(tally)
                for row in connection.execute(_REASON_TALLY):
                    report.rejected_by_reason[row[0]] += row[1]
                connection.unregister_all()
            for landed in members:  # an empty file has no lines: all its counts are 0
                tally = tallies[landed.relative_path]
                _record_file(connection, landed, "loaded", tally)
                report.lines_read += tally["lines_read"]
                report.blank_lines += tally["blank_lines"]
        progress(f"{day.isoformat()}: {len(files)} file(s) loaded")
    # A file that was loaded before and is gone now takes its rows with it: say so by name.
    report.removed_files = sorted(previously_loaded - current)
    counted = connection.execute(_COUNT_WINDOW, bounds)[0]
    report.rows_loaded, report.rows_rejected = int(counted[0]), int(counted[1])
    if not report.balanced:
        raise LostLinesError(
            f"{report.lines_read} lines read but {report.rows_loaded} loaded + "
            f"{report.rows_rejected} rejected; rolling back so nothing is lost silently."
        )
    return report


def _record_file(
    connection: WarehouseConnection, landed: LandedFile, status: str, tally: Mapping[str, int]
) -> None:
    modified = dt.datetime.fromtimestamp(landed.modified_ns / 1e9, dt.UTC).replace(tzinfo=None)
    connection.execute(
        _RECORD_FILE,
        {
            "partition_date": landed.day,
            "source_file": landed.relative_path,
            "size_bytes": landed.size_bytes,
            "modified_at": modified,
            "status": status,
            "lines_read": tally.get("lines_read", 0),
            "blank_lines": tally.get("blank_lines", 0),
            "rows_loaded": tally.get("rows_loaded", 0),
            "rows_rejected": tally.get("rows_rejected", 0),
        },
    )
