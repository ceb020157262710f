"""The marts on Spark, for real: the platform loads, cleans and summarizes the landing zone
into a Spark warehouse folder (`WAREHOUSE_URL=spark:///...`, local mode), and dbt-spark (its
session method, a Spark session in dbt's own process) builds the marts there through Dagster,
equal to the plain-Python oracle, and so to what DuckDB and PostgreSQL build from the same
landing zone (tests/test_marts_build.py, tests/test_marts_postgres.py).

What differs on Spark is how a window is replaced (`insert_overwrite` of day partitions after
emptying the window's days, macros/window_replace_spark.sql) and how dbt's session learns the
tables (an on-run-start hook, macros/spark_catalog.sql): a re-run that changes nothing, a day
whose events all went away, and a second deployment process reading the same folder show both.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from marts_harness import (
    DAYS,
    MART_QUERIES,
    build_marts,
    check_outcomes,
    expected_marts,
    normalized,
    run_marts,
    run_platform,
)
from spark_session import SparkPlatform

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("spark")]


def _fetch_marts(platform: SparkPlatform) -> dict[str, list[tuple[Any, ...]]]:
    # Spark sorts by ALL too, but the comparison puts rows in one order anyway.
    return {name: normalized(platform.rows(sql)) for name, sql in MART_QUERIES.items()}


@dataclass(frozen=True)
class BuiltOnSpark:
    platform: SparkPlatform
    marts: dict[str, list[tuple[Any, ...]]]
    expected: dict[str, list[tuple[Any, ...]]]
    checks: dict[str, bool]


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> BuiltOnSpark:
    platform = SparkPlatform(tmp_path_factory.mktemp("marts-spark"))
    daily, history = build_marts(platform)
    return BuiltOnSpark(
        platform,
        _fetch_marts(platform),
        {name: normalized(rows) for name, rows in expected_marts(platform).items()},
        check_outcomes(daily, history),
    )


def test_the_marts_are_folders_of_the_spark_warehouse(built: BuiltOnSpark) -> None:
    marts = built.platform.warehouse_dir / "marts.db"
    assert {p.name for p in marts.iterdir() if p.is_dir()} == set(MART_QUERIES)
    # The daily marts are partitioned by day, as the platform's own tables.
    days = {p.name for p in (marts / "user_activity_daily").iterdir() if p.is_dir()}
    assert days == {f"activity_date={day.isoformat()}" for day in DAYS}
    assert (marts / "sessions" / f"session_date={DAYS[4].isoformat()}").is_dir()


@pytest.mark.parametrize("mart", list(MART_QUERIES))
def test_mart_on_spark_equals_the_plain_python_computation(built: BuiltOnSpark, mart: str) -> None:
    assert built.marts[mart], mart
    assert built.marts[mart] == built.expected[mart]


def test_every_dbt_check_ran_and_passed_on_spark(built: BuiltOnSpark) -> None:
    assert built.checks, "no dbt test ran"
    assert all(built.checks.values()), [n for n, ok in built.checks.items() if not ok]
    assert sum(name.startswith("matches_daily_summary_") for name in built.checks) == 3


def test_money_is_an_exact_decimal_on_spark(built: BuiltOnSpark) -> None:
    with built.platform.resources["warehouse"].connect(read_only=True) as session:
        revenue = session.fetch_arrow(
            "SELECT revenue FROM marts.user_activity_daily LIMIT 1"
        ).schema.field("revenue")
    assert str(revenue.type) == "decimal128(38, 4)"
    assert all(isinstance(row[-1], Decimal) for row in built.marts["users"])


def test_rerunning_a_day_on_spark_changes_nothing(
    built: BuiltOnSpark, tmp_path_factory: pytest.TempPathFactory
) -> None:
    # Another deployment (another folder for its landing zone) on the same warehouse folder.
    platform = SparkPlatform(tmp_path_factory.mktemp("marts-spark-rerun"))
    platform.warehouse_dir = built.platform.warehouse_dir
    day = DAYS[4].isoformat()
    run_marts(platform, partitions=(day, day))
    run_marts(platform)
    assert _fetch_marts(platform) == built.marts


def test_a_day_whose_events_went_away_is_emptied_on_spark(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    """insert_overwrite alone only replaces the days it has rows for: the pre-hook empties the
    window's days first, as window_replace's DELETE does on the other warehouses."""
    platform = SparkPlatform(tmp_path_factory.mktemp("marts-spark-gone"))
    first, second = DAYS[0].isoformat(), DAYS[1].isoformat()
    platform.generate(DAYS[0], days=2, events_per_day=120, seed=5)
    run_platform(platform, first, second)
    run_marts(platform, partitions=(first, second))
    assert _days(platform, "user_activity_daily", "activity_date") == {DAYS[0], DAYS[1]}
    assert _days(platform, "sessions", "session_date") == {DAYS[0], DAYS[1]}

    shutil.rmtree(Path(platform.landing_root) / "events" / f"date={second}")
    run_platform(platform, second, second)
    run_marts(platform, partitions=(second, second))
    assert _days(platform, "user_activity_daily", "activity_date") == {DAYS[0]}
    assert _days(platform, "sessions", "session_date") == {DAYS[0]}
    assert _days(platform, "active_users_daily", "activity_date") == {DAYS[0], DAYS[1]}
    with platform.resources["warehouse"].connect(read_only=True) as session:
        dau = session.fetch_arrow(
            "SELECT dau FROM marts.active_users_daily WHERE activity_date = $day",
            {"day": DAYS[1]},
        ).column("dau")
    assert dau.to_pylist() == [0]


def _days(platform: SparkPlatform, mart: str, column: str) -> set[Any]:
    # Names are this test's own constants.
    return {day for (day,) in platform.rows(f"SELECT DISTINCT {column} FROM marts.{mart}")}  # noqa: S608
