"""The dbt project's `postgres` target, for real: the same marts, built through Dagster by
dbt-postgres on a real PostgreSQL server, equal the plain-Python oracle.

The platform's Python assets compute in DuckDB in this release, so `cleaned_events` and
`daily_summary` are built there and copied into PostgreSQL's `analytics` schema, where a
production deployment's platform would write them. Everything from there on is what
production runs: `DBT_TARGET=postgres`, libpq's variables, the daily marts as one range run
(each partition replaced by the `window_replace` strategy), the history marts, and every
dbt test as an asset check.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import psycopg
import pytest

from event_analytics.dbt.environment import environment
from harness import Platform
from marts_harness import (
    DAYS,
    LAST,
    MART_QUERIES,
    check_outcomes,
    expected_marts,
    generate_days,
    run_marts,
    run_platform,
)
from postgres_server import PostgresServer

pytestmark = pytest.mark.slow

# The platform's tables as PostgreSQL types (DuckDB's VARCHAR, TIMESTAMP, DECIMAL, JSON).
ANALYTICS_DDL = """
CREATE SCHEMA analytics;
CREATE TABLE analytics.cleaned_events (
    event_id VARCHAR NOT NULL, user_id VARCHAR NOT NULL, event_type VARCHAR NOT NULL,
    occurred_at TIMESTAMP NOT NULL, event_date DATE NOT NULL, revenue DECIMAL(18,4) NOT NULL,
    properties JSON, extra JSON, source_file VARCHAR NOT NULL, source_line BIGINT NOT NULL
);
CREATE TABLE analytics.daily_summary (
    date DATE NOT NULL, events BIGINT NOT NULL, active_users BIGINT NOT NULL,
    purchases BIGINT NOT NULL, revenue DECIMAL(38,4) NOT NULL
);
"""
# (read from DuckDB, write to PostgreSQL) for each table the marts read.
COPIES = [
    (
        "SELECT event_id, user_id, event_type, occurred_at, event_date, revenue, "
        "CAST(properties AS VARCHAR), CAST(extra AS VARCHAR), source_file, source_line "
        "FROM analytics.cleaned_events",
        "COPY analytics.cleaned_events (event_id, user_id, event_type, occurred_at, "
        "event_date, revenue, properties, extra, source_file, source_line) FROM STDIN",
    ),
    (
        "SELECT date, events, active_users, purchases, revenue FROM analytics.daily_summary",
        "COPY analytics.daily_summary (date, events, active_users, purchases, revenue) FROM STDIN",
    ),
]


def _sort_key(row: tuple[Any, ...]) -> tuple[tuple[bool, Any], ...]:
    return tuple((value is None, value) for value in row)


def _normalized(rows: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    """Rows in one order whatever the engine; floating-point rates compared to 12 places."""

    def value(v: Any) -> Any:
        return round(v, 12) if isinstance(v, float) else v

    return sorted((tuple(value(v) for v in row) for row in rows), key=_sort_key)


@dataclass(frozen=True)
class BuiltOnPostgres:
    server: PostgresServer
    marts: dict[str, list[tuple[Any, ...]]]
    expected: dict[str, list[tuple[Any, ...]]]
    checks: dict[str, bool]
    column_types: dict[tuple[str, str], str]


def _connect(server: PostgresServer) -> psycopg.Connection[tuple[Any, ...]]:
    """A connection that commits when its block ends without error, and then closes."""
    return psycopg.connect(
        host=server.host,
        port=server.port,
        user=server.user,
        password=server.password,
        dbname=server.database,
    )


def _copy_platform_tables(platform: Platform, server: PostgresServer) -> None:
    with _connect(server) as con, con.cursor() as cur:
        cur.execute(ANALYTICS_DDL)
        for read, write in COPIES:
            rows = platform.rows(read)
            assert rows, read
            with cur.copy(write) as copy:
                for row in rows:
                    copy.write_row(row)


def _fetch_marts(server: PostgresServer) -> dict[str, list[tuple[Any, ...]]]:
    result = {}
    with _connect(server) as con, con.cursor() as cur:
        for name, sql in MART_QUERIES.items():
            # PostgreSQL has no ORDER BY ALL; rows are put in one order before comparing.
            cur.execute(re.sub(r"\s+ORDER BY .*$", "", sql.strip(), flags=re.DOTALL))
            result[name] = cur.fetchall()
    return result


@pytest.fixture(scope="module")
def built(postgres: PostgresServer, tmp_path_factory: pytest.TempPathFactory) -> BuiltOnPostgres:
    server = postgres
    platform = Platform(tmp_path_factory.mktemp("marts-pg"))
    generate_days(platform)
    run_platform(platform, DAYS[0].isoformat(), LAST)
    _copy_platform_tables(platform, server)
    with environment({"DBT_TARGET": "postgres", **server.environment}):
        daily = run_marts(platform, partitions=(DAYS[0].isoformat(), LAST))
        history = run_marts(platform)
    with _connect(server) as con, con.cursor() as cur:
        cur.execute(
            "SELECT table_name, column_name, data_type FROM information_schema.columns "
            "WHERE table_schema = 'marts'"
        )
        column_types = {(table, column): kind for table, column, kind in cur.fetchall()}
    return BuiltOnPostgres(
        server,
        _fetch_marts(server),
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
    assert _normalized(actual) == _normalized(built.expected[mart])


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
    platform = Platform(tmp_path_factory.mktemp("marts-pg-rerun"))
    day = DAYS[4].isoformat()
    with environment({"DBT_TARGET": "postgres", **built.server.environment}):
        run_marts(platform, partitions=(day, day))
    after = _fetch_marts(built.server)
    assert {name: _normalized(rows) for name, rows in after.items()} == {
        name: _normalized(rows) for name, rows in built.marts.items()
    }
