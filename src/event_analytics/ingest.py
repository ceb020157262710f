"""Load a window of landed days into `raw.events` / `raw.rejected_events` in one transaction.

Python lists files, decompresses them and splits them into Arrow lines; the validator
(`event_analytics.validator`, an engine of its own) judges the lines against the contract and
returns Arrow; the warehouse bulk-loads what it returns. No line is ever handled one by one
in Python.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field

import pyarrow as pa
import pyarrow.compute as pc

from event_analytics.landing import CorruptFileError, LandedFile, LandingZoneResource, folder_digest
from event_analytics.validator import ValidatedLines, lines_table, validate_lines
from event_analytics.warehouse import WarehouseConnection

# Bytes of decompressed landing data validated at once: bounds memory on huge days.
BATCH_BYTES = 64 * 1024 * 1024


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
        pending.append(lines_table(landed.day, landed.relative_path, content))
        members.append(landed)
        size += len(content)
        if size >= BATCH_BYTES:
            yield pa.concat_tables(pending), members
            pending, members, size = [], [], 0
    if pending:
        yield pa.concat_tables(pending), members


def _store(connection: WarehouseConnection, validated: ValidatedLines, report: LoadReport) -> None:
    """Bulk-load one validated batch: usable rows and rejected lines, then count reasons."""
    connection.register_arrow("validated_rows", validated.rows)
    connection.register_arrow("validated_rejected", validated.rejected)
    connection.run_script("duckdb/raw_events_insert")
    connection.unregister_all()
    reasons = pc.value_counts(validated.rejected["reason"]).to_pylist()
    report.rejected_by_reason.update({entry["values"]: entry["counts"] for entry in reasons})


def load_window(
    connection: WarehouseConnection,
    landing: LandingZoneResource,
    days: Sequence[dt.date],
    bounds: dict[str, dt.datetime],
    progress: Callable[[str], None] = lambda _: None,
    memory_limit: str | None = None,
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
            validated = validate_lines(batch, memory_limit=memory_limit)
            _store(connection, validated, report)
            tallies = {row.pop("source_file"): row for row in validated.tally.to_pylist()}
            for landed in members:  # an empty file has no lines: all its counts are 0
                tally = tallies.get(landed.relative_path, {})
                _record_file(connection, landed, "loaded", tally)
                report.lines_read += tally.get("lines_read", 0)
                report.blank_lines += tally.get("blank_lines", 0)
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
