"""The contenders that are a few lines of Python, run in a fresh process each.

``python -m bench.workers NAME SPEC.json`` runs the worker ``NAME`` on the files the spec
names and prints one line ``BENCH-RESULT {json}`` with ``compute_s`` (the job alone, timed
inside the process: interpreter start-up and imports excluded) and the figures the worker
computed itself, if any. Workers whose output is a table leave the figures to the bench,
which reads that table after the process has exited (see :mod:`bench.contenders`).

Adding a worker: a function ``(spec) -> WorkerResult`` decorated with ``@worker("name")``;
keep its imports inside the function, so each process pays only for its own.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO, cast

#: Marks the result line in a worker's output.
RESULT_PREFIX = "BENCH-RESULT "

# The landing-zone contract's six columns, as a lenient reader sees them. Literal SQL: the
# file list is the only value, and it is bound.
SCAN_FLOOR_SQL = """
SELECT count(*) AS lines, sum(revenue) AS raw_revenue, count(DISTINCT user_id) AS active_users
FROM read_json($files, format = 'newline_delimited', columns = {
    event_id: 'VARCHAR', user_id: 'VARCHAR', event_type: 'VARCHAR',
    occurred_at: 'VARCHAR', revenue: 'DECIMAL(18,4)', properties: 'JSON'
})
"""
LENIENT_LOAD_SQL = """
CREATE TABLE events AS
SELECT * FROM read_json($files, format = 'newline_delimited', columns = {
    event_id: 'VARCHAR', user_id: 'VARCHAR', event_type: 'VARCHAR',
    occurred_at: 'VARCHAR', revenue: 'DECIMAL(18,4)', properties: 'JSON'
})
"""


@dataclass(frozen=True)
class WorkerSpec:
    """What a worker reads and where it writes."""

    files: list[str]
    database: str | None = None
    memory_limit: str = "1GB"
    # The files' day (the validator's workers need it; the others ignore it).
    day: str = "2025-06-01"

    @classmethod
    def load(cls, path: Path) -> WorkerSpec:
        return cls(**json.loads(path.read_text()))


@dataclass(frozen=True)
class WorkerResult:
    """A worker's own timing of its job, and any figures it computed (exact text)."""

    compute_s: float
    figures: dict[str, str] = field(default_factory=dict)


Worker = Callable[[WorkerSpec], WorkerResult]
WORKERS: dict[str, Worker] = {}


def worker(name: str) -> Callable[[Worker], Worker]:
    """Register a worker under ``name`` (see the module docstring)."""

    def register(function: Worker) -> Worker:
        WORKERS[name] = function
        return function

    return register


@worker("pandas")
def pandas_approach(spec: WorkerSpec) -> WorkerResult:
    """The guide's approach: DataFrames all the way, the result written back to DuckDB.

    Every file through ``read_json(lines=True)``; rows without a user dropped, then duplicate
    event ids; the day's events, distinct users, purchases and revenue (a float, as pandas
    holds it); the cleaned events and the summary written to a DuckDB file.
    """
    import duckdb
    import pandas as pd

    began = time.perf_counter()
    events = pd.concat([pd.read_json(f, lines=True) for f in spec.files], ignore_index=True)
    cleaned = events.dropna(subset=["user_id"]).drop_duplicates(["event_id"])
    cleaned = cleaned.assign(
        date=cleaned["occurred_at"].dt.date,
        is_purchase=cleaned["event_type"].eq("purchase"),
    )
    summary = (
        cleaned.groupby("date")
        .agg(
            events=("event_id", "size"),
            active_users=("user_id", "nunique"),
            purchases=("is_purchase", "sum"),
            revenue=("revenue", "sum"),
        )
        .reset_index()
    )
    assert spec.database is not None, "the pandas worker writes a database"
    with duckdb.connect(spec.database) as con:
        con.register("cleaned_frame", cleaned)
        con.register("summary_frame", summary)
        con.execute("CREATE TABLE cleaned_events AS SELECT * FROM cleaned_frame")
        con.execute("CREATE TABLE daily_summary AS SELECT * FROM summary_frame")
    return WorkerResult(time.perf_counter() - began)


@worker("scan_floor")
def scan_floor(spec: WorkerSpec) -> WorkerResult:
    """One DuckDB pass over the files: lines, revenue, distinct users. Nothing is written."""
    import duckdb

    with duckdb.connect(config={"memory_limit": spec.memory_limit}) as con:
        began = time.perf_counter()
        row = con.execute(SCAN_FLOOR_SQL, {"files": spec.files}).fetchone()
        compute_s = time.perf_counter() - began
    assert row is not None
    lines, revenue, users = row
    figures = {"lines": str(lines), "raw_revenue": str(revenue), "active_users": str(users)}
    return WorkerResult(compute_s, figures)


@worker("lenient_load")
def lenient_load(spec: WorkerSpec) -> WorkerResult:
    """The files into a fresh DuckDB table as DuckDB's JSON reader sees them, unvalidated."""
    import duckdb

    assert spec.database is not None, "the lenient load writes a database"
    with duckdb.connect(spec.database, config={"memory_limit": spec.memory_limit}) as con:
        began = time.perf_counter()
        con.execute(LENIENT_LOAD_SQL, {"files": spec.files})
        compute_s = time.perf_counter() - began
    return WorkerResult(compute_s)


@worker("validator")
def validator(spec: WorkerSpec) -> WorkerResult:
    """The landing-line validator alone, as `raw_events` runs it: each file read in pieces of
    whole lines, batched, judged against the contract; the verdicts are counted, not stored.
    """
    import gzip

    import pyarrow as pa

    from event_analytics.ingest import BATCH_BYTES, CHUNK_BYTES
    from event_analytics.landing.files import line_chunks
    from event_analytics.validator import LineValidator
    from event_analytics.validator.lines import lines_table

    day = dt.date.fromisoformat(spec.day)
    loaded = rejected = 0
    began = time.perf_counter()
    with LineValidator(spec.memory_limit) as judge:

        def judge_batch(batch: list[pa.Table]) -> None:
            nonlocal loaded, rejected
            for part in judge.stream(pa.concat_tables(batch)):
                loaded += part.rows.num_rows
                rejected += part.rejected.num_rows

        pending: list[pa.Table] = []
        size = 0
        for path in spec.files:
            line = 1
            # gzip as raw_events reads it: decompressed on the fly.
            with open(path, "rb") as raw:
                stream = cast(BinaryIO, gzip.GzipFile(fileobj=raw)) if path.endswith(".gz") else raw
                for piece in line_chunks(stream, CHUNK_BYTES):
                    lines = lines_table(day, path, piece, line, file_start=line == 1)
                    line += lines.num_rows
                    pending.append(lines)
                    size += len(piece)
                    if size >= BATCH_BYTES:
                        judge_batch(pending)
                        pending, size = [], 0
        if pending:
            judge_batch(pending)
    compute_s = time.perf_counter() - began
    return WorkerResult(compute_s, {"lines": str(loaded + rejected)})


def parse_result(output: str) -> WorkerResult:
    """The result a worker printed (its last ``BENCH-RESULT`` line)."""
    lines = [line for line in output.splitlines() if line.startswith(RESULT_PREFIX)]
    if not lines:
        raise ValueError("the worker printed no result line")
    data = json.loads(lines[-1][len(RESULT_PREFIX) :])
    return WorkerResult(float(data["compute_s"]), dict(data["figures"]))


def main(argv: list[str]) -> int:
    """``NAME SPEC.json``: run the worker, print its result line."""
    name, spec_path = argv
    result = WORKERS[name](WorkerSpec.load(Path(spec_path)))
    payload = {"compute_s": result.compute_s, "figures": result.figures}
    print(RESULT_PREFIX + json.dumps(payload), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
