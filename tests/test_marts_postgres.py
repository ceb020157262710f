"""The marts on PostgreSQL, for real: the platform loads, cleans and summarizes the landing
zone into a PostgreSQL warehouse (`WAREHOUSE_URL=postgresql://...`), and dbt-postgres builds
the marts there through Dagster, equal to the plain-Python oracle.

Everything is what production runs: the dbt target follows the warehouse URL (no second
setting), the daily marts run as one range run (each partition replaced by the
`window_replace` strategy), then the history marts, and every dbt test is an asset check.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
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
)
from postgres_server import PostgresPlatform, PostgresServer

pytestmark = pytest.mark.slow


@dataclass(frozen=True)
class BuiltOnPostgres:
    platform: PostgresPlatform
    marts: dict[str, list[tuple[Any, ...]]]
    expected: dict[str, list[tuple[Any, ...]]]
    checks: dict[str, bool]
    column_types: dict[tuple[str, str], str]


def _fetch_marts(platform: PostgresPlatform) -> dict[str, list[tuple[Any, ...]]]:
    # PostgreSQL has no ORDER BY ALL; rows are put in one order before comparing.
    return {
        name: platform.rows(re.sub(r"\s+ORDER BY .*$", "", sql.strip(), flags=re.DOTALL))
        for name, sql in MART_QUERIES.items()
    }


@pytest.fixture(scope="module")
def built(postgres: PostgresServer, tmp_path_factory: pytest.TempPathFactory) -> BuiltOnPostgres:
    platform = PostgresPlatform(tmp_path_factory.mktemp("marts-pg"), postgres)
    daily, history = build_marts(platform)
    column_types = {
        (table, column): kind
        for table, column, kind in platform.rows(
            "SELECT table_name, column_name, data_type FROM information_schema.columns "
            "WHERE table_schema = 'marts'"
        )
    }
    return BuiltOnPostgres(
        platform,
        _fetch_marts(platform),
        expected_marts(platform),
        check_outcomes(daily, history),
        column_types,
    )


def test_the_marts_are_written_to_postgres_not_duckdb(built: BuiltOnPostgres) -> None:
    assert {table for table, _ in built.column_types} == set(MART_QUERIES)


@pytest.mark.parametrize("mart", list(MART_QUERIES))
def test_mart_on_postgres_equals_the_plain_python_computation(
    built: BuiltOnPostgres, mart: str
) -> None:
    actual = built.marts[mart]
    assert actual, mart
    assert normalized(actual) == normalized(built.expected[mart])


def test_every_dbt_check_ran_and_passed_on_postgres(built: BuiltOnPostgres) -> None:
    assert built.checks, "no dbt test ran"
    assert all(built.checks.values()), [n for n, ok in built.checks.items() if not ok]
    assert sum(name.startswith("matches_daily_summary_") for name in built.checks) == 3


def test_money_is_exact_numeric_on_postgres(built: BuiltOnPostgres) -> None:
    money = {key: kind for key, kind in built.column_types.items() if "revenue" in key[1]}
    assert len(money) == 4
    assert set(money.values()) == {"numeric"}


def test_rerunning_a_day_on_postgres_changes_nothing(
    built: BuiltOnPostgres, tmp_path_factory: pytest.TempPathFactory
) -> None:
    # Another deployment (another folder) on the same warehouse: the URL alone says where.
    platform = PostgresPlatform(
        tmp_path_factory.mktemp("marts-pg-rerun"), built.platform.server, built.platform.database
    )
    day = DAYS[4].isoformat()
    run_marts(platform, partitions=(day, day))
    after = _fetch_marts(platform)
    assert {name: normalized(rows) for name, rows in after.items()} == {
        name: normalized(rows) for name, rows in built.marts.items()
    }
