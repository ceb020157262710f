"""Load a window of landed days into `raw.events` / `raw.rejected_events` in one transaction.

Python lists files, decompresses them and splits them into Arrow lines; the validator
(`event_analytics.validator`, an engine of its own) judges the lines against the contract and
returns Arrow; the warehouse appends what it returns, in bulk. No line is ever handled one by
one in Python, and nothing here knows which engine the warehouse is.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from event_analytics.landing import CorruptFileError, LandedFile, LandingZoneResource, folder_digest
from event_analytics.validator import LineValidator, ValidatedLines, lines_table
from event_analytics.warehouse import DayWindow, Warehouse
from event_analytics.warehouse.tables import LANDED_FILES, RAW_EVENTS, REJECTED_EVENTS

# Bytes of decompressed landing data validated at once: bounds memory on huge days, and lets
# many small days share one pass of the validator (a long backfill of small days).
BATCH_BYTES = 64 * 1024 * 1024

RAW_TABLES = (RAW_EVENTS, REJECTED_EVENTS, LANDED_FILES)


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


_PREVIOUS_FILES = """
SELECT DISTINCT source_file FROM raw.landed_files
WHERE partition_date >= $first_day AND partition_date < $end_day
"""

_COUNT_WINDOW = """
SELECT
    (SELECT count(*) FROM raw.events
      WHERE event_date >= $first_day AND event_date < $end_day) AS loaded,
    (SELECT count(*) FROM raw.rejected_events
      WHERE partition_date >= $first_day AND partition_date < $end_day
        AND line_number IS NOT NULL) AS rejected
"""

_FILE_SCHEMA = pa.schema(
    [
        ("partition_date", pa.date32()),
        ("source_file", pa.string()),
        ("size_bytes", pa.int64()),
        ("modified_at", pa.timestamp("us")),
        ("status", pa.string()),
        ("lines_read", pa.int64()),
        ("blank_lines", pa.int64()),
        ("rows_loaded", pa.int64()),
        ("rows_rejected", pa.int64()),
    ]
)
_REJECTED_SCHEMA = pa.schema(
    [
        ("partition_date", pa.date32()),
        ("source_file", pa.string()),
        ("line_number", pa.int64()),
        ("raw_line", pa.string()),
        ("reason", pa.string()),
        ("detail", pa.string()),
    ]
)


def _file_record(landed: LandedFile, status: str, tally: dict[str, int]) -> dict[str, Any]:
    modified = dt.datetime.fromtimestamp(landed.modified_ns / 1e9, dt.UTC).replace(tzinfo=None)
    return {
        "partition_date": landed.day,
        "source_file": landed.relative_path,
        "size_bytes": landed.size_bytes,
        "modified_at": modified,
        "status": status,
        **{name: tally.get(name, 0) for name in _FILE_SCHEMA.names[5:]},
    }


class _Load:
    """One load: its report, the file records and corrupt files kept until the end."""

    def __init__(self, warehouse: Warehouse, landing: LandingZoneResource, days: int) -> None:
        self.warehouse, self.landing = warehouse, landing
        self.report = LoadReport(days=days)
        self.files: list[dict[str, Any]] = []
        self.corrupt: list[dict[str, Any]] = []

    def batches(self, files: Sequence[LandedFile]) -> Iterator[tuple[pa.Table, list[LandedFile]]]:
        """Arrow tables of lines with the files they came from, each about `BATCH_BYTES`."""
        pending: list[pa.Table] = []
        members: list[LandedFile] = []
        size = 0
        for landed in files:
            try:
                content = self.landing.read(landed)
            except CorruptFileError as error:
                self._corrupt(landed, str(error))
                continue
            pending.append(lines_table(landed.day, landed.relative_path, content))
            members.append(landed)
            size += len(content)
            if size >= BATCH_BYTES:
                yield pa.concat_tables(pending), members
                pending, members, size = [], [], 0
        if pending:
            yield pa.concat_tables(pending), members

    def _corrupt(self, landed: LandedFile, detail: str) -> None:
        self.report.corrupt_files.append(landed.relative_path)
        self.corrupt.append(
            {
                "partition_date": landed.day,
                "source_file": landed.relative_path,
                "line_number": None,
                "raw_line": None,
                "reason": "corrupt_file",
                "detail": detail,
            }
        )
        self.files.append(_file_record(landed, "corrupt", {}))

    def store(self, validated: ValidatedLines, members: list[LandedFile]) -> None:
        """Append one validated batch, and account for each of its files."""
        self.warehouse.append(RAW_EVENTS, validated.rows)
        self.warehouse.append(REJECTED_EVENTS, validated.rejected)
        reasons = pc.value_counts(validated.rejected["reason"]).to_pylist()
        self.report.rejected_by_reason.update({r["values"]: r["counts"] for r in reasons})
        tallies = {row.pop("source_file"): row for row in validated.tally.to_pylist()}
        for landed in members:  # an empty file has no lines: all its counts are 0
            tally = tallies.get(landed.relative_path, {})
            self.files.append(_file_record(landed, "loaded", tally))
            self.report.lines_read += tally.get("lines_read", 0)
            self.report.blank_lines += tally.get("blank_lines", 0)

    def finish(self) -> None:
        """Record the corrupt files and every file's tally."""
        self.warehouse.append(
            REJECTED_EVENTS, pa.Table.from_pylist(self.corrupt, schema=_REJECTED_SCHEMA)
        )
        self.warehouse.append(LANDED_FILES, pa.Table.from_pylist(self.files, schema=_FILE_SCHEMA))


def load_window(
    warehouse: Warehouse,
    landing: LandingZoneResource,
    window: DayWindow,
    progress: Callable[[str], None] = lambda _: None,
    memory_limit: str | None = None,
) -> LoadReport:
    """Replace the window's raw rows with what the landing zone holds now. Call in a transaction.

    `memory_limit` caps the validator's engine (DuckDB's syntax); by default DuckDB's own.
    """
    warehouse.create_tables(*RAW_TABLES)
    days = {"first_day": window.first, "end_day": window.end}
    previously_loaded = {row["source_file"] for row in warehouse.fetch_dicts(_PREVIOUS_FILES, days)}
    for table in RAW_TABLES:
        warehouse.lock_window(table, window)
        warehouse.delete_window(table, window)

    load = _Load(warehouse, landing, days=len(window.days()))
    files: list[LandedFile] = []
    for day in window.days():
        listed = landing.list_files(day)
        # From the listing the load reads, taken before reading: a file that changes while it
        # loads then differs from this record, and the landing sensor loads its day again.
        load.report.digests[day.isoformat()] = folder_digest(listed)
        files.extend(listed)
    load.report.files = len(files)
    done = 0
    with LineValidator(memory_limit) as validator:
        for batch, members in load.batches(files):
            load.store(validator.validate(batch), members)
            done += len(members)
            progress(f"{done} of {len(files)} file(s) loaded, up to {members[-1].relative_path}")
    load.finish()
    report = load.report
    # A file that was loaded before and is gone now takes its rows with it: say so by name.
    report.removed_files = sorted(previously_loaded - {f.relative_path for f in files})
    counted = warehouse.fetch_dicts(_COUNT_WINDOW, days)[0]
    report.rows_loaded, report.rows_rejected = int(counted["loaded"]), int(counted["rejected"])
    if not report.balanced:
        raise LostLinesError(
            f"{report.lines_read} lines read but {report.rows_loaded} loaded + "
            f"{report.rows_rejected} rejected; rolling back so nothing is lost silently."
        )
    return report
