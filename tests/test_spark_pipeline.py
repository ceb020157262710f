"""The platform on Spark equals the platform on DuckDB: the same landing zone, the same tables
row for row, the same check verdicts; a range run equals single-day runs; a re-run changes
nothing; a day that lost its files is emptied.

The landing zone holds generated days (re-sends, unknown users, every rejection reason, events
near midnight, gzip and CRLF files), every file of the hostile corpus (non-UTF-8 bytes, 16 MiB
lines, NaN in properties, corrupt gzip, ...) and a file of the contract's edge cases written
here. Spark reads and validates it on its executors (`mapInArrow`), DuckDB in-process: one
validator, two engines.
"""

from __future__ import annotations

import datetime as dt
import gzip
import shutil
from decimal import Decimal
from pathlib import Path
from typing import Any

import dagster as dg
import pytest

from event_analytics.warehouse.tables import TABLES
from harness import Platform, metadata_of
from spark_session import SparkPlatform
from test_hostile_input import write_corpus

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("spark")]

FIRST = dt.date(2025, 1, 1)
DAYS = 3
LAST = (FIRST + dt.timedelta(days=DAYS - 1)).isoformat()
EDGE_DAY = "2025-01-02"
EDGES = [
    # Midnight with offsets: 23:30 on Jan 1 at -02:00 is 01:30 UTC on Jan 2 (this day);
    # 01:30 on Jan 2 at +02:00 is 23:30 UTC on Jan 1 (the wrong day: rejected).
    '{"event_id":"mid-1","user_id":"u-1","event_type":"page_view",'
    '"occurred_at":"2025-01-01T23:30:00-02:00"}',
    '{"event_id":"mid-2","user_id":"u-1","event_type":"page_view",'
    '"occurred_at":"2025-01-02T01:30:00+02:00"}',
    # Exact 4-digit decimals, and a fifth digit (rejected, never rounded).
    '{"event_id":"rev-1","user_id":"u-2","event_type":"purchase",'
    '"occurred_at":"2025-01-02T10:00:00Z","revenue":12345678901234.5678}',
    '{"event_id":"rev-2","user_id":"u-2","event_type":"purchase",'
    '"occurred_at":"2025-01-02T10:00:01Z","revenue":0.0001}',
    '{"event_id":"rev-3","user_id":"u-2","event_type":"purchase",'
    '"occurred_at":"2025-01-02T10:00:02Z","revenue":1.23456}',
    # Unknown users: missing, null, empty.
    '{"event_id":"anon-1","event_type":"page_view","occurred_at":"2025-01-02T11:00:00Z"}',
    '{"event_id":"anon-2","user_id":null,"event_type":"page_view",'
    '"occurred_at":"2025-01-02T11:00:00Z"}',
    '{"event_id":"anon-3","user_id":"","event_type":"page_view",'
    '"occurred_at":"2025-01-02T11:00:00Z"}',
    # A duplicate across files: the later copy here, the earlier one in edge-b.jsonl.gz.
    '{"event_id":"dup-1","user_id":"u-3","event_type":"add_to_cart",'
    '"occurred_at":"2025-01-02T12:00:05Z"}',
    "not json at all",
    "",
]
EDGES_B = [
    '{"event_id":"dup-1","user_id":"u-3","event_type":"add_to_cart",'
    '"occurred_at":"2025-01-02T12:00:00Z"}',
]


def _write_edges(landing_root: Path) -> None:
    folder = landing_root / "events" / f"date={EDGE_DAY}"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "edge-a.jsonl").write_bytes(("\r\n".join(EDGES) + "\r\n").encode())
    (folder / "edge-b.jsonl.gz").write_bytes(gzip.compress(("\n".join(EDGES_B) + "\n").encode()))
    # A gzip stream cut short: a corrupt file, none of its lines loaded.
    whole = gzip.compress(b"".join(f"{e}\n".encode() for e in EDGES[:3] * 50))
    (folder / "edge-truncated.jsonl.gz").write_bytes(whole[: len(whole) // 2])


def _verdicts(result: dg.ExecuteInProcessResult) -> dict[tuple[str, str | None], bool]:
    return {(e.check_name, e.partition): e.passed for e in result.get_asset_check_evaluations()}


def _duck_snapshot(platform: Platform) -> dict[str, list[tuple[Any, ...]]]:
    snapshot = {}
    for table in TABLES:
        # Names come from the table catalog, never from input.
        query = f"SELECT {', '.join(table.column_names)} FROM {table.qualified}"  # noqa: S608
        snapshot[table.qualified] = sorted(platform.rows(query), key=repr)
    return snapshot


@pytest.fixture(scope="module")
def loaded(
    spark: object, tmp_path_factory: pytest.TempPathFactory
) -> tuple[dict[str, Any], dict[str, Any]]:
    duck = Platform(tmp_path_factory.mktemp("spark-parity-duckdb"))
    duck.generate(FIRST, days=DAYS, events_per_day=400, seed=5)
    write_corpus(duck)  # the hostile corpus, into the first day's folder
    _write_edges(duck.landing_root)
    on_spark = SparkPlatform(tmp_path_factory.mktemp("spark-parity-spark"))
    shutil.copytree(duck.landing_root, on_spark.landing_root, dirs_exist_ok=True)
    results = {}
    for name, platform in (("duckdb", duck), ("spark", on_spark)):
        result = platform.materialize(partition_range=(FIRST.isoformat(), LAST), checks=True)
        assert result.success, name
        results[name] = result
    return (
        {"tables": _duck_snapshot(duck), "checks": _verdicts(results["duckdb"])},
        {
            "tables": on_spark.snapshot(),
            "checks": _verdicts(results["spark"]),
            "metadata": [
                {key: value.value for key, value in m.metadata.items()}
                for m in results["spark"].asset_materializations_for_node("raw_events")
            ],
        },
    )


@pytest.mark.parametrize("table", [t.qualified for t in TABLES])
def test_the_same_table_on_duckdb_and_spark_row_for_row(loaded: Any, table: str) -> None:
    duck, on_spark = loaded
    assert duck["tables"][table], f"{table} is empty: the scenario proves nothing"
    assert len(on_spark["tables"][table]) == len(duck["tables"][table])
    different = [
        (a, b)
        for a, b in zip(duck["tables"][table], on_spark["tables"][table], strict=True)
        if a != b
    ]
    assert not different, f"{len(different)} row(s) differ, the first: {different[0]}"


def test_the_same_check_verdicts_on_duckdb_and_spark(loaded: Any) -> None:
    duck, on_spark = loaded
    assert len(duck["checks"]) >= 6 * DAYS
    assert on_spark["checks"] == duck["checks"]


def test_the_contracts_edge_cases_on_spark(loaded: Any) -> None:
    _, on_spark = loaded
    raw = {row[0]: row for row in on_spark["tables"]["raw.events"]}
    cleaned = {row[0]: row for row in on_spark["tables"]["analytics.cleaned_events"]}
    rejected = {(row[1], row[2]): row[4] for row in on_spark["tables"]["raw.rejected_events"]}
    edge = f"events/date={EDGE_DAY}/edge-a.jsonl"
    assert raw["mid-1"][3] == dt.datetime(2025, 1, 2, 1, 30)  # stored in UTC
    assert "mid-2" not in raw and rejected[(edge, 2)] != ""
    assert raw["rev-1"][5] == Decimal("12345678901234.5678")
    assert raw["rev-2"][5] == Decimal("0.0001")
    assert "rev-3" not in raw and (edge, 5) in rejected
    assert all(raw[e][1] is None for e in ("anon-1", "anon-2", "anon-3"))
    assert not {"anon-1", "anon-2", "anon-3"} & set(cleaned)
    assert cleaned["dup-1"][3] == dt.datetime(2025, 1, 2, 12, 0)  # the earliest copy
    assert (edge, 10) in rejected  # not JSON
    truncated = f"events/date={EDGE_DAY}/edge-truncated.jsonl.gz"
    assert not [row for row in raw.values() if row[8] == truncated]
    assert rejected[(truncated, None)] == "corrupt_file"
    assert any(truncated in m["corrupt_files"] for m in on_spark["metadata"])


def test_lines_read_equal_rows_loaded_plus_rejected_for_every_file(loaded: Any) -> None:
    _, on_spark = loaded
    files = on_spark["tables"]["raw.landed_files"]
    assert files
    for (
        _day,
        source_file,
        _size,
        _modified,
        status,
        read,
        _blank,
        loaded_rows,
        rejected_rows,
    ) in files:
        assert read == loaded_rows + rejected_rows, source_file
        if status == "loaded":
            rows = [r for r in on_spark["tables"]["raw.events"] if r[8] == source_file]
            assert len(rows) == loaded_rows, source_file
    for metadata in on_spark["metadata"]:
        assert metadata["lines_read"] == metadata["rows_loaded"] + metadata["rows_rejected"]


def test_range_run_equals_single_day_runs_and_a_rerun_changes_nothing(
    spark: object, tmp_path: Path
) -> None:
    per_day, ranged = SparkPlatform(tmp_path / "per_day"), SparkPlatform(tmp_path / "ranged")
    per_day.generate(FIRST, days=3, events_per_day=300, seed=9)
    shutil.copytree(per_day.landing_root, ranged.landing_root, dirs_exist_ok=True)
    for i in range(3):
        assert per_day.materialize(partition=str(FIRST + dt.timedelta(days=i))).success
    assert ranged.materialize(partition_range=(FIRST.isoformat(), LAST)).success
    expected = per_day.snapshot()
    assert all(expected.values()), "every table has rows to compare"
    assert ranged.snapshot() == expected
    assert ranged.materialize(partition=EDGE_DAY).success
    assert ranged.snapshot() == expected


def test_a_day_whose_files_are_gone_is_emptied_and_other_days_kept(
    spark_platform: SparkPlatform,
) -> None:
    spark_platform.generate(FIRST, days=2, events_per_day=200, seed=3)
    assert spark_platform.materialize(partition_range=(FIRST.isoformat(), EDGE_DAY)).success
    before = spark_platform.snapshot()
    shutil.rmtree(spark_platform.landing_root / "events" / f"date={EDGE_DAY}")
    result = spark_platform.materialize(partition=EDGE_DAY)
    assert result.success
    after = spark_platform.snapshot()
    day = dt.date.fromisoformat(EDGE_DAY)
    assert not [r for r in after["raw.events"] if r[4] == day]
    assert not [r for r in after["analytics.cleaned_events"] if r[4] == day]
    assert [r for r in after["analytics.daily_summary"] if r[0] == day] == [
        (day, 0, 0, 0, Decimal("0.0000"))
    ]
    for table in ("raw.events", "analytics.cleaned_events"):
        assert [r for r in after[table] if r[4] == FIRST] == [
            r for r in before[table] if r[4] == FIRST
        ]
    assert metadata_of(result, "raw_events")["removed_files"]
