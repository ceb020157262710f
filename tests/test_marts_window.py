"""The partition window: built in Python from the run's time window, validated again by dbt.

The vars end up in SQL text (dbt renders them), so the dbt side refuses anything but an ISO
date or timestamp, and an empty window. The dbt tests compile one model in a subprocess, with
their own target folder so that the project's manifest is left alone.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
from pathlib import Path
from zoneinfo import ZoneInfo

import dagster as dg
import pytest

from event_analytics.dbt.environment import (
    DUCKDB_PATH_ENV,
    connect_attempts,
    dbt_environment,
)
from event_analytics.dbt.project import DBT_EXECUTABLE, DBT_PROJECT_DIR
from event_analytics.dbt.window import build_args, partition_vars
from event_analytics.partitions import daily_partitions
from event_analytics.process_environment import environment
from event_analytics.warehouse import WarehouseResource

UTC = dt.UTC


def _window(start: str, end: str, tz: dt.tzinfo = UTC) -> dg.TimeWindow:
    return dg.TimeWindow(
        dt.datetime.fromisoformat(start).replace(tzinfo=tz),
        dt.datetime.fromisoformat(end).replace(tzinfo=tz),
    )


def test_one_day_is_a_half_open_window() -> None:
    window = daily_partitions.time_window_for_partition_key("2025-01-02")
    assert partition_vars(window) == {
        "window_start": "2025-01-02T00:00:00",
        "window_end": "2025-01-03T00:00:00",
    }


def test_a_range_run_gets_the_whole_range() -> None:
    # What `context.partition_time_window` is in a single run over 2025-01-02..2025-01-04.
    window = _window("2025-01-02", "2025-01-05")
    assert partition_vars(window) == {
        "window_start": "2025-01-02T00:00:00",
        "window_end": "2025-01-05T00:00:00",
    }


def test_bounds_in_another_zone_are_converted_to_utc() -> None:
    window = _window("2025-01-02T01:00:00", "2025-01-03T01:00:00", ZoneInfo("Europe/Paris"))
    assert partition_vars(window) == {
        "window_start": "2025-01-02T00:00:00",
        "window_end": "2025-01-03T00:00:00",
    }


@pytest.mark.parametrize(
    ("start", "end", "tz", "message"),
    [
        ("2025-01-02", "2025-01-02", UTC, "Empty"),
        ("2025-01-03", "2025-01-02", UTC, "Empty"),
        ("2025-01-02", "2025-01-03", None, "time zone"),
    ],
)
def test_bad_windows_are_refused(start: str, end: str, tz: dt.tzinfo | None, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        partition_vars(_window(start, end, tz))  # type: ignore[arg-type]


def test_build_args() -> None:
    assert build_args(None) == ["build"]
    command, flag, text = build_args(_window("2025-01-02", "2025-01-03"))
    assert (command, flag) == ("build", "--vars")
    assert json.loads(text) == {
        "window_end": "2025-01-03T00:00:00",
        "window_start": "2025-01-02T00:00:00",
    }


def test_dbt_uses_the_warehouse_the_resource_names(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    warehouse = WarehouseResource(
        url="duckdb:///nested/w.duckdb", memory_limit="512MB", lock_timeout_seconds=300
    )
    assert dbt_environment(warehouse) == {
        "EVENT_ANALYTICS_DBT_TARGET": "duckdb",
        DUCKDB_PATH_ENV: str(tmp_path / "nested" / "w.duckdb"),
        "EVENT_ANALYTICS_DUCKDB_MEMORY_LIMIT": "512MB",
        "EVENT_ANALYTICS_DUCKDB_CONNECT_ATTEMPTS": "9",
    }
    assert (tmp_path / "nested").is_dir()


@pytest.mark.parametrize(
    ("seconds", "attempts"), [(0, 1), (1, 1), (3, 2), (7, 3), (8, 4), (300, 9)]
)
def test_dbt_waits_for_a_lock_about_as_long_as_the_resource(seconds: int, attempts: int) -> None:
    # dbt-duckdb sleeps 1, 2, 4, ... s between attempts: n attempts wait 2**n - 1 s in all.
    assert connect_attempts(seconds) == attempts
    assert 2 ** (attempts - 1) - 1 < seconds <= 2**attempts - 1 or seconds == 0


def test_environment_is_restored(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EA_TEST_SET", "before")
    monkeypatch.delenv("EA_TEST_UNSET", raising=False)
    with environment({"EA_TEST_SET": "during", "EA_TEST_UNSET": "during"}):
        assert os.environ["EA_TEST_SET"] == os.environ["EA_TEST_UNSET"] == "during"
    assert os.environ["EA_TEST_SET"] == "before"
    assert "EA_TEST_UNSET" not in os.environ


# --------------------------------------------------------------------------------------------
# The dbt side
# --------------------------------------------------------------------------------------------


def _compile(tmp_path: Path, dbt_vars: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "DBT_TARGET_PATH": str(tmp_path / "target"),
        "DBT_LOG_PATH": str(tmp_path / "logs"),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    }
    env.pop(DUCKDB_PATH_ENV, None)  # an in-memory DuckDB: compiling needs no data
    return subprocess.run(
        [
            DBT_EXECUTABLE,
            "compile",
            "--project-dir",
            str(DBT_PROJECT_DIR),
            "--profiles-dir",
            str(DBT_PROJECT_DIR),
            "--select",
            "purchase_funnel_daily",
            "--vars",
            dbt_vars,
        ],
        capture_output=True,
        text=True,
        env=env,
        check=False,
        timeout=300,
    )


@pytest.mark.slow
def test_dbt_renders_the_python_window(tmp_path: Path) -> None:
    [_build, _flag, dbt_vars] = build_args(_window("2025-01-02", "2025-01-05"))
    result = _compile(tmp_path, dbt_vars)
    assert result.returncode == 0, result.stdout
    [compiled] = (tmp_path / "target" / "compiled").rglob("purchase_funnel_daily.sql")
    sql = compiled.read_text()
    assert "activity_date >= cast('2025-01-02T00:00:00' as timestamp)" in sql
    assert "activity_date < cast('2025-01-05T00:00:00' as timestamp)" in sql


@pytest.mark.slow
@pytest.mark.parametrize(
    ("dbt_vars", "message"),
    [
        (
            {
                "window_start": "2025-01-02'; DROP TABLE analytics.cleaned_events; --",
                "window_end": "2025-01-03",
            },
            "must be an ISO date or timestamp",
        ),
        ({"window_end": "2025-01-03"}, "var 'window_start' is required"),
        ({"window_start": "2025-01-03", "window_end": "2025-01-02"}, "must be before"),
    ],
    ids=["injection", "missing", "inverted"],
)
def test_dbt_refuses_bad_window_vars(tmp_path: Path, dbt_vars: dict, message: str) -> None:
    result = _compile(tmp_path, json.dumps(dbt_vars))
    assert result.returncode != 0
    assert "Compilation Error" in result.stdout and message in result.stdout
    assert not list((tmp_path / "target").rglob("compiled/**/*.sql"))
