"""The load of landed files on Spark's executors: the same landing code and the same validator
as on every backend, run inside `mapInArrow`.

The driver lists the files (a small table: day, path, size, modification time, ETag) and hands
it to Spark, one file per row, spread over the executors. Each executor task opens its files
through `LandingZoneResource` (a local folder, or S3 through boto3), reads them in pieces of
whole lines, builds Arrow lines (`lines_table`) and runs `LineValidator.stream` on them: the
contract has one implementation, whatever engine runs it. It yields Arrow record batches of one
combined schema (`COMBINED`): a `kind` column says what each record is,

- `row`: a usable line, in `raw.events`' columns (`partition_date`, `line_number` are its
  `event_date`, `source_line`);
- `rejected`: a rejected line, in `raw.rejected_events`' columns;
- `tally`: one part's per-file counts (lines read, blank, loaded, rejected);
- `corrupt`: a file that could not be read to its end (`detail` says why). The rows it gave
  before the damage are staged too, and left out when the tables are written.

The output is written once, partitioned by `kind`, to a staging folder under the warehouse;
the driver reads the small parts (tallies, reasons, corrupt files) back and the backend replaces
the raw tables' window from the staged rows. Nothing of a file's content passes the driver.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING

import pyarrow as pa

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

    from event_analytics.landing import LandedFile

FILES_SCHEMA = "day DATE, relative_path STRING, size_bytes BIGINT, modified_ns BIGINT, etag STRING"

COMBINED = pa.schema(
    [
        ("kind", pa.string()),
        ("partition_date", pa.date32()),
        ("source_file", pa.string()),
        ("line_number", pa.int64()),
        ("raw_line", pa.string()),
        ("reason", pa.string()),
        ("detail", pa.string()),
        ("event_id", pa.string()),
        ("user_id", pa.string()),
        ("event_type", pa.string()),
        ("occurred_at", pa.timestamp("us")),
        ("revenue", pa.decimal128(18, 4)),
        ("properties", pa.string()),
        ("extra", pa.string()),
        ("lines_read", pa.int64()),
        ("blank_lines", pa.int64()),
        ("rows_loaded", pa.int64()),
        ("rows_rejected", pa.int64()),
    ]
)
#: Spark's name of each Arrow type in COMBINED.
_SPARK_TYPES = {
    pa.string(): "STRING",
    pa.date32(): "DATE",
    pa.int64(): "BIGINT",
    pa.timestamp("us"): "TIMESTAMP_NTZ",
    pa.decimal128(18, 4): "DECIMAL(18,4)",
}
#: The same schema in Spark's DDL, for `mapInArrow`.
COMBINED_DDL = ", ".join(f"{field.name} {_SPARK_TYPES[field.type]}" for field in COMBINED)
# Validator column -> combined column, for a usable line.
_ROW_NAMES = {"event_date": "partition_date", "source_line": "line_number"}


def combined(kind: str, part: pa.Table) -> pa.RecordBatch:
    """`part` (rows, rejections or tallies) as one batch of the combined schema."""
    part = part.rename_columns([_ROW_NAMES.get(n, n) for n in part.column_names])
    count = part.num_rows
    arrays = []
    for column in COMBINED:
        if column.name == "kind":
            arrays.append(pa.array([kind] * count, pa.string()))
        elif column.name in part.column_names:
            arrays.append(part.column(column.name).cast(column.type).combine_chunks())
        else:
            arrays.append(pa.nulls(count, column.type))
    return pa.RecordBatch.from_arrays(arrays, schema=COMBINED)


def _corrupt(landed: LandedFile, detail: str) -> pa.RecordBatch:
    return pa.RecordBatch.from_pylist(
        [
            {
                "kind": "corrupt",
                "partition_date": landed.day,
                "source_file": landed.relative_path,
                "detail": detail,
            }
        ],
        schema=COMBINED,
    )


def validate_files(
    landing_url: str, memory_limit: str | None
) -> Callable[[Iterator[pa.RecordBatch]], Iterator[pa.RecordBatch]]:
    """The function `mapInArrow` runs on each executor: rows of `FILES_SCHEMA` in, combined
    records out (see the module's docstring)."""

    def run(files: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        # Imported on the executor: its Python has the platform installed (docs/spark.md).
        # The files are read in the driver-side load's pieces of whole lines.
        from event_analytics.ingest import CHUNK_BYTES
        from event_analytics.landing import CorruptFileError, LandedFile, LandingZoneResource
        from event_analytics.validator import LineValidator, lines_table

        landing = LandingZoneResource(url=landing_url)
        with LineValidator(memory_limit) as validator:
            for batch in files:
                for described in batch.to_pylist():
                    landed = LandedFile(
                        day=described["day"],
                        relative_path=described["relative_path"],
                        size_bytes=described["size_bytes"],
                        modified_ns=described["modified_ns"],
                        etag=described["etag"] or "",
                    )
                    line = 1
                    try:
                        for piece in landing.read_chunks(landed, CHUNK_BYTES):
                            lines = lines_table(
                                landed.day, landed.relative_path, piece, line, line == 1
                            )
                            line += lines.num_rows
                            for part in validator.stream(lines):
                                yield combined("row", part.rows)
                                yield combined("rejected", part.rejected)
                                yield combined("tally", part.tally)
                    except CorruptFileError as error:
                        yield _corrupt(landed, str(error))

    return run


def file_table(session: SparkSession, files: Sequence[LandedFile]) -> DataFrame:
    """The files to read, largest first, spread round-robin over as many tasks as there are
    files (up to four per core): a large file does not wait behind small ones."""
    ordered = sorted(files, key=lambda f: f.size_bytes, reverse=True)
    rows = [(f.day, f.relative_path, f.size_bytes, f.modified_ns, f.etag) for f in ordered]
    frame = session.createDataFrame(rows, schema=FILES_SCHEMA)
    tasks = max(1, min(len(rows), 4 * _cores(session)))
    return frame.repartition(tasks)


def _cores(session: SparkSession) -> int:
    try:
        return int(session.sparkContext.defaultParallelism)
    except Exception:  # Spark Connect has no SparkContext: ask the server
        return int(session.conf.get("spark.default.parallelism", "2") or 2)


def stage(
    session: SparkSession,
    files: Sequence[LandedFile],
    landing_url: str,
    memory_limit: str | None,
    staging: str,
) -> DataFrame:
    """Read and validate `files` on the executors into `staging` (Parquet, by `kind`); the
    staged records as a DataFrame."""
    frame = file_table(session, files)
    records = frame.mapInArrow(validate_files(landing_url, memory_limit), COMBINED_DDL)
    records.write.mode("overwrite").partitionBy("kind").parquet(staging)
    return session.read.schema(COMBINED_DDL).parquet(staging)
