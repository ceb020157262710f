"""Partitions replace atomically, re-runs change nothing, ranges equal single days."""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Callable
from pathlib import Path

from harness import TABLES, Platform

START = dt.date(2025, 1, 1)
# The column that holds each table's UTC day.
DAY_COLUMNS = {
    "raw.events": "event_date",
    "raw.rejected_events": "partition_date",
    "raw.landed_files": "partition_date",
    "analytics.cleaned_events": "event_date",
    "analytics.daily_summary": "date",
}


def test_rematerializing_twice_leaves_identical_tables(platform: Platform) -> None:
    platform.generate(START, days=2, events_per_day=1500)
    assert platform.materialize(partition="2025-01-01").success
    assert platform.materialize(partition="2025-01-02").success
    first = platform.snapshot()
    assert all(first.values()), "every table has rows to compare"
    assert platform.materialize(partition="2025-01-02").success
    assert platform.materialize(partition="2025-01-02").success
    assert platform.snapshot() == first


def test_range_run_equals_one_run_per_day(tmp_path: Path) -> None:
    per_day, ranged = Platform(tmp_path / "per_day"), Platform(tmp_path / "ranged")
    per_day.generate(START, days=4, events_per_day=1200, seed=9)
    # The same files, modification times included (raw.landed_files records them).
    shutil.copytree(per_day.landing_root, ranged.landing_root, dirs_exist_ok=True)
    for i in range(4):
        assert per_day.materialize(partition=str(START + dt.timedelta(days=i))).success
    result = ranged.materialize(partition_range=("2025-01-01", "2025-01-04"))
    assert result.success
    assert ranged.snapshot() == per_day.snapshot()
    assert len(ranged.rows("SELECT * FROM analytics.daily_summary")) == 4


def test_replacing_a_day_leaves_other_days_untouched(platform: Platform) -> None:
    platform.generate(START, days=3, events_per_day=1000)
    assert platform.materialize(partition_range=("2025-01-01", "2025-01-03")).success
    before = platform.snapshot()
    folder = platform.landing_root / "events" / "date=2025-01-02"
    removed = sorted(folder.iterdir())[0]
    removed.unlink()
    assert platform.materialize(partition="2025-01-02").success
    after = platform.snapshot()
    assert set(DAY_COLUMNS) == set(TABLES)
    for table, rows in before.items():
        idx = _column_index(platform, table, DAY_COLUMNS[table])
        others_before = [r for r in rows if str(r[idx]) != "2025-01-02"]
        others_after = [r for r in after[table] if str(r[idx]) != "2025-01-02"]
        assert others_before, table
        assert others_after == others_before, table
    removed_name = removed.relative_to(platform.landing_root).as_posix()
    for count in (
        "SELECT count(*) FROM raw.events WHERE source_file = ?",
        "SELECT count(*) FROM raw.landed_files WHERE source_file = ?",
    ):
        assert platform.rows(count, [removed_name]) == [(0,)], count
    assert after["analytics.daily_summary"] != before["analytics.daily_summary"]


def _column_index(platform: Platform, table: str, column: str) -> int:
    schema, name = table.split(".")
    cols = platform.rows(
        "SELECT column_name FROM information_schema.columns "
        "WHERE table_schema = ? AND table_name = ? ORDER BY ordinal_position",
        [schema, name],
    )
    return [c[0] for c in cols].index(column)


def test_missing_folder_is_a_day_of_zeros(platform: Platform) -> None:
    result = platform.materialize(partition="2025-03-01")
    assert result.success
    assert platform.rows("SELECT count(*) FROM raw.events") == [(0,)]
    [row] = platform.rows(
        "SELECT events, active_users, purchases, revenue FROM analytics.daily_summary"
    )
    assert row[:3] == (0, 0, 0) and row[3] == 0


def test_empty_folder_is_a_day_of_zeros(
    platform: Platform, write_day: Callable[[str, str, bytes | str], Path]
) -> None:
    write_day("2025-03-02", "empty.jsonl", "")
    assert platform.materialize(partition="2025-03-02").success
    assert platform.rows("SELECT events FROM analytics.daily_summary") == [(0,)]
    assert platform.rows("SELECT status, lines_read FROM raw.landed_files") == [("loaded", 0)]
