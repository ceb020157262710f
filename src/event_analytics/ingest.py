"""Load a window of landed days into `raw.events` / `raw.rejected_events` in one transaction.

Python lists files, decompresses them and splits them into Arrow lines; the validator
(`event_analytics.validator`, an engine of its own) judges the lines against the contract and
returns Arrow; the warehouse appends what it returns, in bulk. No line is ever handled one by
one in Python, and nothing here knows which engine the warehouse is.

A warehouse with workers of its own (Spark's executors) takes the reading and validating too:
it implements `LoadsOnWorkers`, runs the same landing code and the same validator where its
workers are, and hands back each file's outcome; the report, the file records and the
accounting below stay the same for every backend.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

import pyarrow as pa
import pyarrow.compute as pc

from event_analytics.landing import CorruptFileError, LandedFile, LandingZoneResource, folder_digest
from event_analytics.load_progress import LoadProgress
from event_analytics.validator import LineValidator, ValidatedLines, lines_table
from event_analytics.warehouse import DayWindow, Warehouse
from event_analytics.warehouse.tables import LANDED_FILES, RAW_EVENTS, REJECTED_EVENTS

# Bytes of decompressed landing data validated at once: bounds memory on huge days, and lets
# many small days share one pass of the validator (a long backfill of small days).
BATCH_BYTES = 64 * 1024 * 1024
# Bytes read from one file at a time (whole lines): a file of any size fits in memory.
CHUNK_BYTES = 16 * 1024 * 1024

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
    # The files of each day folder in that listing.
    listed: dict[str, list[str]] = field(default_factory=dict)

    @property
    def balanced(self) -> bool:
        return self.lines_read == self.rows_loaded + self.rows_rejected


@dataclass
class FileOutcome:
    """What a warehouse's workers made of one landed file: its tally (`lines_read`,
    `blank_lines`, `rows_loaded`, `rows_rejected`), its rejected lines by reason, and why it
    could not be read, if it could not (a corrupt file loads none of its lines)."""

    tally: Counter[str] = field(default_factory=Counter)
    reasons: Counter[str] = field(default_factory=Counter)
    corrupt: str | None = None


@runtime_checkable
class LoadsOnWorkers(Protocol):
    """A warehouse that reads and validates landed files on workers of its own (Spark).

    `stage_landed` runs the landing zone's reader and `LineValidator` where the workers are and
    keeps their rows and rejections staged; `replace_raw_window` then replaces the window's
    days of the three raw tables with them (leaving out every line of a corrupt file), plus the
    `rejected` rows and `landed` file records given here.
    """

    def stage_landed(
        self,
        landing: LandingZoneResource,
        files: Sequence[LandedFile],
        memory_limit: str | None,
    ) -> dict[str, FileOutcome]: ...

    def replace_raw_window(
        self, window: DayWindow, rejected: pa.Table, landed: pa.Table
    ) -> None: ...


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


_DELETE_FILE_ROWS = """
DELETE FROM {table} WHERE {day} = $day AND source_file = $source_file
"""


class _Load:
    """One load: its report, and each file's tally and state, kept until the end."""

    def __init__(self, warehouse: Warehouse, landing: LandingZoneResource, days: int) -> None:
        self.warehouse, self.landing = warehouse, landing
        self.report = LoadReport(days=days)
        self.tallies: dict[str, Counter[str]] = {}
        self.reasons: dict[str, Counter[str]] = {}
        self.corrupt: dict[str, tuple[LandedFile, str]] = {}

    def batches(self, files: Sequence[LandedFile]) -> Iterator[tuple[pa.Table, int]]:
        """Arrow tables of lines, each about `BATCH_BYTES`, with how many files they reach.

        Files are read in pieces of whole lines (`CHUNK_BYTES`), so a file of any size is
        loaded in bounded memory; a batch may hold pieces of several files and days.
        """
        pending: list[pa.Table] = []
        size = 0
        for number, landed in enumerate(files, start=1):
            self.tallies[landed.relative_path] = Counter()
            self.reasons[landed.relative_path] = Counter()
            line = 1
            try:
                for piece in self.landing.read_chunks(landed, CHUNK_BYTES):
                    lines = lines_table(
                        landed.day, landed.relative_path, piece, line, file_start=line == 1
                    )
                    line += lines.num_rows
                    pending.append(lines)
                    size += len(piece)
                    if size >= BATCH_BYTES:
                        yield pa.concat_tables(pending), number
                        pending, size = [], 0
            except CorruptFileError as error:
                # Pieces read before the damage may be loaded already: `finish` removes them.
                self.corrupt[landed.relative_path] = (landed, str(error))
        if pending:
            yield pa.concat_tables(pending), len(files)

    def store(self, parts: Iterator[ValidatedLines]) -> None:
        """Append a batch's validated parts, and tally them per file.

        The parts of one batch are appended together: one INSERT of several Arrow batches,
        which the warehouse spreads over its cores, costs less than one INSERT per part.
        """
        validated = list(parts)
        self.warehouse.append(RAW_EVENTS, pa.concat_tables([v.rows for v in validated]))
        rejected = pa.concat_tables([v.rejected for v in validated])
        self.warehouse.append(REJECTED_EVENTS, rejected)
        by_file = pc.value_counts(
            pc.binary_join_element_wise(rejected["source_file"], rejected["reason"], "\n")
        ).to_pylist()
        for entry in by_file:
            source_file, reason = entry["values"].split("\n", 1)
            self.reasons[source_file][reason] += entry["counts"]
        for part in validated:  # a file may span parts: sum its tally
            for row in part.tally.to_pylist():
                self.tallies[row.pop("source_file")].update(row)

    def finish(self, files: Sequence[LandedFile]) -> None:
        """Remove what was loaded of corrupt files, then record every file and its tally."""
        records, rejected = [], []
        for landed in files:
            if landed.relative_path in self.corrupt:
                self._forget(landed)
                detail = self.corrupt[landed.relative_path][1]
                self.report.corrupt_files.append(landed.relative_path)
                rejected.append(_corrupt_row(landed, detail))
                records.append(_file_record(landed, "corrupt", {}))
                continue
            tally = self.tallies[landed.relative_path]
            records.append(_file_record(landed, "loaded", dict(tally)))
            self.report.lines_read += tally["lines_read"]
            self.report.blank_lines += tally["blank_lines"]
            self.report.rejected_by_reason.update(self.reasons[landed.relative_path])
        self.warehouse.append(
            REJECTED_EVENTS, pa.Table.from_pylist(rejected, schema=_REJECTED_SCHEMA)
        )
        self.warehouse.append(LANDED_FILES, pa.Table.from_pylist(records, schema=_FILE_SCHEMA))

    def _forget(self, landed: LandedFile) -> None:
        """A corrupt file loads none of its lines, even those read before the damage."""
        params = {"day": landed.day, "source_file": landed.relative_path}
        for table in (RAW_EVENTS, REJECTED_EVENTS):
            # Identifiers come from the table catalog, never from input; values are bound.
            self.warehouse.execute(
                _DELETE_FILE_ROWS.format(table=table.qualified, day=table.partition_column),
                params,
            )


def _corrupt_row(landed: LandedFile, detail: str) -> dict[str, Any]:
    return {
        "partition_date": landed.day,
        "source_file": landed.relative_path,
        "line_number": None,
        "raw_line": None,
        "reason": "corrupt_file",
        "detail": detail,
    }


def _list(landing: LandingZoneResource, window: DayWindow, report: LoadReport) -> list[LandedFile]:
    """Every file of the window's days, each day's digest recorded in `report`."""
    files: list[LandedFile] = []
    for day in window.days():
        listed = landing.list_files(day)
        # From the listing the load reads, taken before reading: a file that changes while it
        # loads then differs from this record, and the landing sensor loads its day again.
        report.digests[day.isoformat()] = folder_digest(listed)
        report.listed[day.isoformat()] = [f.relative_path for f in listed]
        files.extend(listed)
    report.files = len(files)
    return files


def _load_here(
    warehouse: Warehouse,
    landing: LandingZoneResource,
    window: DayWindow,
    progress: Callable[[str], None],
    memory_limit: str | None,
) -> LoadReport:
    """Read and validate in this process; the warehouse appends what the validator returns."""
    for table in RAW_TABLES:
        warehouse.lock_window(table, window)
        warehouse.delete_window(table, window)
    load = _Load(warehouse, landing, days=len(window.days()))
    files = _list(landing, window, load.report)
    shown = LoadProgress(window, files, progress)
    with LineValidator(memory_limit) as validator:
        for batch, reached in load.batches(files):
            load.store(validator.stream(batch))
            shown.batch(batch.num_rows, reached)
    load.finish(files)
    return load.report


def _load_on_workers(
    warehouse: LoadsOnWorkers,
    landing: LandingZoneResource,
    window: DayWindow,
    progress: Callable[[str], None],
    memory_limit: str | None,
) -> LoadReport:
    """The warehouse's workers read and validate; the file records are made here, as above."""
    report = LoadReport(days=len(window.days()))
    files = _list(landing, window, report)
    progress(f"{len(files)} file(s) to read on the warehouse's workers")
    outcomes = warehouse.stage_landed(landing, files, memory_limit)
    records, rejected = [], []
    for landed in files:
        outcome = outcomes.get(landed.relative_path, FileOutcome())
        if outcome.corrupt is not None:
            report.corrupt_files.append(landed.relative_path)
            rejected.append(_corrupt_row(landed, outcome.corrupt))
            records.append(_file_record(landed, "corrupt", {}))
            continue
        records.append(_file_record(landed, "loaded", dict(outcome.tally)))
        report.lines_read += outcome.tally["lines_read"]
        report.blank_lines += outcome.tally["blank_lines"]
        report.rejected_by_reason.update(outcome.reasons)
    warehouse.replace_raw_window(
        window,
        pa.Table.from_pylist(rejected, schema=_REJECTED_SCHEMA),
        pa.Table.from_pylist(records, schema=_FILE_SCHEMA),
    )
    progress(f"{report.lines_read:,} lines loaded from {len(files)} file(s)")
    return report


def load_window(
    warehouse: Warehouse,
    landing: LandingZoneResource,
    window: DayWindow,
    progress: Callable[[str], None] = lambda _: None,
    memory_limit: str | None = None,
) -> LoadReport:
    """Replace the window's raw rows with what the landing zone holds now. Call in a transaction.

    `memory_limit` (DuckDB's syntax, e.g. `1GB`) caps the validator's engine like the
    warehouse's (a batch of lines up to 16 MiB long each needs room); by default DuckDB's own.
    """
    warehouse.create_tables(*RAW_TABLES)
    days = {"first_day": window.first, "end_day": window.end}
    previously_loaded = {row["source_file"] for row in warehouse.fetch_dicts(_PREVIOUS_FILES, days)}
    if isinstance(warehouse, LoadsOnWorkers):
        report = _load_on_workers(warehouse, landing, window, progress, memory_limit)
    else:
        report = _load_here(warehouse, landing, window, progress, memory_limit)
    # A file that was loaded before and is gone now takes its rows with it: say so by name.
    listed = {path for day in report.digests for path in report.listed.get(day, ())}
    report.removed_files = sorted(previously_loaded - listed)
    counted = warehouse.fetch_dicts(_COUNT_WINDOW, days)[0]
    report.rows_loaded, report.rows_rejected = int(counted["loaded"]), int(counted["rejected"])
    if not report.balanced:
        raise LostLinesError(
            f"{report.lines_read} lines read but {report.rows_loaded} loaded + "
            f"{report.rows_rejected} rejected; rolling back so nothing is lost silently."
        )
    return report
