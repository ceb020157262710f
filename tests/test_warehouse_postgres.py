"""The PostgreSQL warehouse, on a real private server: URL, DDL, bulk rows, reads, transactions,
window locks, every query the platform runs, and the password kept out of sight.

Each test works in a database of its own on the session's server (`postgres` fixture); where
PostgreSQL is not installed these tests are skipped, except in CI, where that is a failure.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import dagster as dg
import psycopg
import pyarrow as pa
import pytest

from event_analytics.config_check import configuration_problems
from event_analytics.dbt.environment import dbt_environment
from event_analytics.ingest import LostLinesError
from event_analytics.instance import prepare_instance
from event_analytics.landing import LandingZoneResource
from event_analytics.warehouse import (
    WarehouseConfigError,
    WarehouseResource,
    faults,
    is_transient,
    parse_warehouse_url,
)
from event_analytics.warehouse import duckdb_backend as duckdb_module
from event_analytics.warehouse.backend import Warehouse
from event_analytics.warehouse.postgres_backend import PostgresWarehouse, window_lock_key
from event_analytics.warehouse.sql import query
from event_analytics.warehouse.tables import (
    CLEANED_EVENTS,
    DAILY_SUMMARY,
    TABLES,
    Column,
    Kind,
    Table,
)
from event_analytics.warehouse.window import DayWindow
from harness import QUALITY_CHECKS, Platform
from hostile_corpus import CONTROL_TEXT, SQL_TEXT
from network import free_loopback_port
from postgres_server import PostgresPlatform, PostgresServer, fresh_database

PROJECT_ROOT = Path(__file__).resolve().parents[1]
SECRET = "pw-Pg-0451-S3CRET"


@pytest.fixture
def database(postgres: PostgresServer) -> str:
    return fresh_database(postgres)


@pytest.fixture
def warehouse(postgres: PostgresServer, database: str) -> WarehouseResource:
    return WarehouseResource(url=postgres.url(database, with_password=True))


def pg(session: Warehouse) -> PostgresWarehouse:
    assert isinstance(session, PostgresWarehouse)
    return session


# --- WAREHOUSE_URL ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("postgresql://analyst@db.internal/events", ("db.internal", 5432, "analyst", "events")),
        ("postgres://analyst@db.internal:6543/events", ("db.internal", 6543, "analyst", "events")),
        ("POSTGRESQL://a%40b@10.0.0.5:5433/ev%2Dents", ("10.0.0.5", 5433, "a@b", "ev-ents")),
        ("postgresql://analyst@[::1]:5432/events", ("::1", 5432, "analyst", "events")),
    ],
)
def test_postgres_urls(url: str, expected: tuple[str, int, str, str]) -> None:
    target = parse_warehouse_url(url)
    assert target.backend == "postgres"
    assert (target.host, target.port, target.user, target.database) == expected
    assert target.password is None


def test_the_password_of_the_url_is_kept_but_never_shown() -> None:
    target = parse_warehouse_url(f"postgresql://analyst:{SECRET}@db/events?sslmode=require")
    assert target.password == SECRET
    assert target.options == (("sslmode", "require"),)
    for shown in (target.describe(), repr(target), str(target)):
        assert SECRET not in shown
    assert target.describe() == "postgresql://analyst@db:5432/events?sslmode=require"


@pytest.mark.parametrize(
    ("url", "hint"),
    [
        (f"postgresql://analyst:{SECRET}@/events", "names no host"),
        (f"postgresql://:{SECRET}@db/events", "names no user"),
        (f"postgresql://analyst:{SECRET}@db", "names no database"),
        (f"postgresql://analyst:{SECRET}@db/", "names no database"),
        (f"postgresql://analyst:{SECRET}@db/a/b", "one database"),
        (f"postgresql://analyst:{SECRET}@db:99999/events", "port"),
        (f"postgresql://analyst:{SECRET}@db:http/events", "port"),
        (f"postgresql://analyst:{SECRET}@db/events?sslmode=sometimes", "sslmode"),
        (f"postgresql://analyst:{SECRET}@db/events?search_path=x", "search_path"),
        (f"postgresql://analyst:{SECRET}@db/events#frag", "fragment"),
        (f"postgresql+psycopg://analyst:{SECRET}@db/events", "postgresql://"),
    ],
)
def test_bad_postgres_urls_name_the_fix_never_the_password(url: str, hint: str) -> None:
    with pytest.raises(WarehouseConfigError) as raised:
        parse_warehouse_url(url)
    message = str(raised.value)
    assert "WAREHOUSE_URL" in message and hint in message
    assert SECRET not in message


# --- DDL ----------------------------------------------------------------------------------------

EVERY_KIND = Table(
    "kinds",
    "every_kind",
    (
        Column("text_value", Kind.TEXT),
        Column("big", Kind.BIGINT),
        Column("day", Kind.DATE, nullable=False),
        Column("moment", Kind.TIMESTAMP),
        Column("money", Kind.MONEY),
        Column("money_sum", Kind.MONEY_SUM),
        Column("doc", Kind.JSON),
    ),
    partition_column="day",
)
ARROW_TYPES = {
    Kind.TEXT: pa.string(),
    Kind.BIGINT: pa.int64(),
    Kind.DATE: pa.date32(),
    Kind.TIMESTAMP: pa.timestamp("us"),
    Kind.MONEY: pa.decimal128(18, 4),
    Kind.MONEY_SUM: pa.decimal128(38, 4),
    Kind.JSON: pa.string(),
}
SCHEMA = pa.schema([(c.name, ARROW_TYPES[c.kind]) for c in EVERY_KIND.columns])
HOSTILE_TEXT = [
    "",
    None,
    "plain",
    'quote " and "" two',
    "comma, comma",
    "line\nbreak",
    "carriage\rreturn\r\n",
    "a\n\\.\nb",  # COPY's end-of-data marker on a line of its own, inside a value
    "\\.",
    "back\\slash \\N \\x00",
    "NULL",
    "é 🎉 مستخدم vue_de_la_pa\u0301ge \u2028",
    SQL_TEXT,
    CONTROL_TEXT.replace("\u0000", ""),
    "x" * 100_000,
]
DOCS = [
    '{"ratio": NaN, "max": Infinity}',  # the contract loads these; PostgreSQL's json refuses them
    '{"a":"\\u0000"}',
    '{"spaced" :  1.10 }',
    '{"big": 1e400, "id": 123456789012345678901234567890}',
    None,
]
MONEY = [
    Decimal("99999999999999.9999"),
    Decimal("0.0001"),
    Decimal("0.0000"),
    Decimal("12.3400"),
    None,
]
MONEY_SUM = [Decimal("9" * 34 + ".9999"), Decimal("0.0001"), Decimal(0), None, Decimal("-1.5")]


def _every_kind_rows() -> pa.Table:
    n = len(HOSTILE_TEXT)
    return pa.table(
        {
            "text_value": HOSTILE_TEXT,
            "big": [None, 0, -(2**63), 2**63 - 1, *range(n - 4)],
            "day": [dt.date(2025, 1, 1) + dt.timedelta(days=i % 3) for i in range(n)],
            "moment": [
                None,
                dt.datetime(2025, 1, 1, 0, 0, 0, 1),
                dt.datetime(1970, 1, 1),
                *[dt.datetime(2025, 1, 2, 23, 59, 59, 999999)] * (n - 3),
            ],
            "money": [MONEY[i % len(MONEY)] for i in range(n)],
            "money_sum": [MONEY_SUM[i % len(MONEY_SUM)] for i in range(n)],
            "doc": [DOCS[i % len(DOCS)] for i in range(n)],
        },
        schema=SCHEMA,
    )


def _columns(warehouse: WarehouseResource, table: Table) -> list[tuple[str, str, str, str]]:
    with warehouse.connect(read_only=True) as session:
        return [
            tuple(row.values())
            for row in session.fetch_dicts(
                "SELECT column_name, data_type, coalesce(collation_name, '') AS collation, "
                "is_nullable FROM information_schema.columns "
                "WHERE table_schema = $schema AND table_name = $name ORDER BY ordinal_position",
                {"schema": table.schema, "name": table.name},
            )
        ]


def test_tables_are_created_once_with_postgres_types(warehouse: WarehouseResource) -> None:
    with warehouse.connect() as session:
        session.create_tables(*TABLES, EVERY_KIND)
        session.create_tables(*TABLES, EVERY_KIND)  # idempotent: changes nothing
        assert all(session.table_exists(table) for table in (*TABLES, EVERY_KIND))
    assert _columns(warehouse, EVERY_KIND) == [
        # Strings compare byte by byte (collation "C"), as DuckDB's do.
        ("text_value", "character varying", "C", "YES"),
        ("big", "bigint", "", "YES"),
        ("day", "date", "", "NO"),
        ("moment", "timestamp without time zone", "", "YES"),
        ("money", "numeric", "", "YES"),
        ("money_sum", "numeric", "", "YES"),
        # JSON is kept as the validator's text: `json` would refuse the NaN the contract loads.
        ("doc", "text", "", "YES"),
    ]
    with warehouse.connect(read_only=True) as session:
        precision = session.fetch_dicts(
            "SELECT column_name, numeric_precision AS p, numeric_scale AS s "
            "FROM information_schema.columns WHERE table_schema = 'kinds' "
            "AND data_type = 'numeric' ORDER BY column_name"
        )
    assert precision == [
        {"column_name": "money", "p": 18, "s": 4},
        {"column_name": "money_sum", "p": 38, "s": 4},
    ]


def test_runs_that_create_the_tables_at_once_all_succeed(warehouse: WarehouseResource) -> None:
    """Without care, two `CREATE TABLE IF NOT EXISTS` at once fail on PostgreSQL's catalog."""
    errors: list[BaseException] = []
    start = threading.Barrier(6)

    def create() -> None:
        try:
            with warehouse.connect() as session, session.transaction():
                start.wait(timeout=30)
                session.create_tables(*TABLES)
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=create) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    with warehouse.connect() as session:
        assert all(session.table_exists(table) for table in TABLES)


# --- rows in, rows out ----------------------------------------------------------------------------


def test_append_round_trips_every_kind_exactly(warehouse: WarehouseResource) -> None:
    rows = _every_kind_rows()
    with warehouse.connect() as session:
        session.create_tables(EVERY_KIND)
        with session.transaction():
            session.append(EVERY_KIND, rows)
        back = session.fetch_arrow("SELECT * FROM kinds.every_kind ORDER BY big NULLS FIRST")
    assert back.schema == SCHEMA
    assert back.to_pylist() == rows.sort_by([("big", "ascending", "at_start")]).to_pylist()


def test_reads_have_duckdbs_arrow_types_and_python_values(
    warehouse: WarehouseResource, tmp_path: Path
) -> None:
    rows = _every_kind_rows()
    duck = WarehouseResource(url=f"duckdb:///{tmp_path / 'w.duckdb'}")
    sql = (
        "SELECT day, count(*) AS n, sum(money) AS money, max(moment) AS latest, "
        "min(text_value) AS first_text, CAST(sum(money) AS DECIMAL(38,4)) AS total "
        "FROM kinds.every_kind GROUP BY day ORDER BY day"
    )
    results = []
    for resource in (warehouse, duck):
        with resource.connect() as session:
            session.create_tables(EVERY_KIND)
            with session.transaction():
                session.append(EVERY_KIND, rows)
            whole = session.fetch_arrow("SELECT * FROM kinds.every_kind")
            results.append((whole.schema, session.fetch_arrow(sql), session.fetch_dicts(sql)))
    (pg_schema, pg_arrow, pg_dicts), (duck_schema, duck_arrow, duck_dicts) = results
    assert pg_schema == duck_schema == SCHEMA
    assert pg_dicts == duck_dicts
    assert pg_arrow.to_pylist() == duck_arrow.to_pylist()
    assert pg_arrow.schema.field("total").type == duck_arrow.schema.field("total").type


def test_rows_arrive_by_copy_never_one_insert_per_row(
    postgres: PostgresServer, database: str, warehouse: WarehouseResource
) -> None:
    with postgres.connect(database) as admin:
        admin.execute("CREATE EXTENSION pg_stat_statements")
        admin.execute("SELECT pg_stat_statements_reset()")
    rows = pa.concat_tables([_every_kind_rows()] * 2000)  # 30,000 rows
    with warehouse.connect() as session:
        session.create_tables(EVERY_KIND)
        with session.transaction():
            session.append(EVERY_KIND, rows)
        assert session.fetch_dicts("SELECT count(*) AS n FROM kinds.every_kind") == [
            {"n": rows.num_rows}
        ]
    with postgres.connect(database) as admin:
        sent = admin.execute(
            "SELECT query, calls, rows FROM pg_stat_statements s "
            "JOIN pg_database d ON d.oid = s.dbid WHERE d.datname = %s",
            (database,),
        ).fetchall()
    writes = [(q, calls, n) for q, calls, n in sent if "every_kind" in q and "SELECT" not in q]
    assert [q.split(" (")[0] for q, _, _ in writes if not q.startswith("CREATE")] == [
        "COPY kinds.every_kind"
    ]
    assert not any("INSERT" in q for q, _, _ in writes)


def test_text_postgres_cannot_hold_is_refused_before_the_server_sees_it(
    warehouse: WarehouseResource,
) -> None:
    rows = _every_kind_rows().set_column(
        0, "text_value", pa.array(["nul\u0000", *HOSTILE_TEXT[1:]], pa.string())
    )
    with warehouse.connect() as session:
        session.create_tables(EVERY_KIND)
        with pytest.raises(ValueError, match=r"kinds\.every_kind\.text_value.*NUL"):
            session.append(EVERY_KIND, rows)


# --- transactions --------------------------------------------------------------------------------


def test_parameters_are_bound_not_formatted(warehouse: WarehouseResource) -> None:
    hostile = "x'); DROP TABLE t; -- 100% %(v)s $v"
    with warehouse.connect() as session, session.transaction():
        session.execute("CREATE TABLE t (v VARCHAR)")
        session.execute("INSERT INTO t VALUES ($v)", {"v": hostile})
    assert warehouse.query("SELECT v, '%' AS pct FROM t WHERE v = $v", {"v": hostile}) == [
        {"v": hostile, "pct": "%"}
    ]


def test_failed_transaction_leaves_nothing_behind(warehouse: WarehouseResource) -> None:
    with warehouse.connect() as session:
        session.execute("CREATE TABLE t (v INTEGER)")
    with (
        pytest.raises(psycopg.errors.InvalidTextRepresentation),
        warehouse.connect() as session,
        session.transaction(),
    ):
        session.execute("INSERT INTO t VALUES (1)")
        session.execute("INSERT INTO t VALUES (CAST($v AS INTEGER))", {"v": "not a number"})
    assert warehouse.query("SELECT count(*) AS n FROM t") == [{"n": 0}]


def test_a_data_error_on_a_lost_connection_stays_a_data_error(
    postgres: PostgresServer, database: str, warehouse: WarehouseResource
) -> None:
    """The server drops the connection under the block: its ROLLBACK fails, and the block's
    own error is still the one raised (a connection error in its place would be retried)."""
    with (
        pytest.raises(LostLinesError) as raised,
        warehouse.connect() as session,
        session.transaction(),
    ):
        session.execute("CREATE TABLE t (v INTEGER)")
        pid = session.fetch_dicts("SELECT pg_backend_pid() AS pid")[0]["pid"]
        with postgres.connect(database) as admin:
            admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
        raise LostLinesError("3 lines read but 2 loaded + 0 rejected")
    assert not is_transient(raised.value)
    notes = " ".join(getattr(raised.value, "__notes__", []))
    assert "rollback" in notes.lower()
    assert warehouse.query(
        "SELECT count(*) AS n FROM information_schema.tables WHERE table_name = 't'"
    ) == [{"n": 0}]


def test_connection_errors_are_transient_data_errors_are_not(
    warehouse: WarehouseResource,
) -> None:
    closed = WarehouseResource(url=f"postgresql://u@127.0.0.1:{free_loopback_port()}/db")
    with pytest.raises(psycopg.OperationalError) as refused, closed.connect():
        pass
    assert is_transient(refused.value)
    with pytest.raises(psycopg.Error) as bad, warehouse.connect() as session:
        session.execute("SELECT CAST($v AS INTEGER)", {"v": "x"})
    assert not is_transient(bad.value)


def test_fault_points_mark_the_transaction_and_every_write_in_order(
    warehouse: WarehouseResource,
) -> None:
    reached: list[str] = []
    with warehouse.connect() as session:
        session.create_tables(CLEANED_EVENTS, DAILY_SUMMARY)
        with faults.installed(reached.append), session.transaction():
            window = DayWindow.of_days(dt.date(2025, 1, 1))
            session.replace_window(DAILY_SUMMARY, query("daily_summary"), window)
            session.append(CLEANED_EVENTS, pa.table({c: [] for c in CLEANED_EVENTS.column_names}))
    assert reached == [
        "before_begin",
        "after_begin",
        "after delete analytics.daily_summary",
        "after insert analytics.daily_summary",
        "before_commit",
        "after_commit",
    ]


def test_a_read_only_session_cannot_write(warehouse: WarehouseResource) -> None:
    with warehouse.connect() as session:
        session.create_tables(DAILY_SUMMARY)
    with warehouse.connect(read_only=True) as session:
        assert session.fetch_arrow("SELECT count(*) AS n FROM analytics.daily_summary").num_rows
        with pytest.raises(psycopg.errors.ReadOnlySqlTransaction):
            session.execute("DELETE FROM analytics.daily_summary")


# --- window locks ---------------------------------------------------------------------------------


def test_lock_keys_are_the_table_and_the_day() -> None:
    day = dt.date(2025, 1, 2)
    key = window_lock_key(DAILY_SUMMARY, day)
    assert key == window_lock_key(DAILY_SUMMARY, day)
    assert key[1] == day.toordinal()
    assert key != window_lock_key(CLEANED_EVENTS, day)
    assert key != window_lock_key(DAILY_SUMMARY, day + dt.timedelta(days=1))
    assert 0 <= key[0] < 2**31  # pg_locks shows it as an unsigned oid: kept positive


def _hold_window(
    warehouse: WarehouseResource, window: DayWindow, held: threading.Event, go: threading.Event
) -> None:
    with warehouse.connect() as session, session.transaction():
        session.lock_window(DAILY_SUMMARY, window)
        held.set()
        go.wait(timeout=60)


def test_writers_of_the_same_day_take_turns_other_days_do_not_wait(
    warehouse: WarehouseResource,
) -> None:
    with warehouse.connect() as session:
        session.create_tables(CLEANED_EVENTS, DAILY_SUMMARY)
    held, go = threading.Event(), threading.Event()
    # A range run holds 2025-01-01...2025-01-03.
    holder = threading.Thread(
        target=_hold_window,
        args=(warehouse, DayWindow(dt.date(2025, 1, 1), dt.date(2025, 1, 4)), held, go),
    )
    holder.start()
    try:
        assert held.wait(timeout=30)
        with warehouse.connect() as other, other.transaction():
            other.lock_window(DAILY_SUMMARY, DayWindow.of_days(dt.date(2025, 1, 4)))  # no wait
            other.lock_window(CLEANED_EVENTS, DayWindow.of_days(dt.date(2025, 1, 2)))  # no wait
        waiting_done = threading.Event()
        overlap_held = threading.Event()
        same_day = threading.Thread(
            target=_hold_window,
            args=(warehouse, DayWindow.of_days(dt.date(2025, 1, 3)), overlap_held, waiting_done),
        )
        same_day.start()
        assert not overlap_held.wait(timeout=2), "a run of an overlapping day did not wait"
        go.set()
        assert overlap_held.wait(timeout=30), "it went on once the range run ended"
        waiting_done.set()
        same_day.join(timeout=30)
    finally:
        go.set()
        holder.join(timeout=30)


# --- every query the platform runs ---------------------------------------------------------------


@pytest.fixture(scope="module")
def platform_queries(tmp_path_factory: pytest.TempPathFactory) -> list[tuple[str, dict[str, Any]]]:
    """Every statement the platform sent the warehouse (DuckDB's dialect) while it loaded,
    cleaned and summarized three days and ran every check, with its parameters."""
    sent: dict[str, dict[str, Any]] = {}
    original = duckdb_module.params_for

    def record(statement: str, params: dict[str, Any]) -> dict[str, Any]:
        bound = original(statement, params)
        sent.setdefault(statement, bound)
        return bound

    platform = Platform(tmp_path_factory.mktemp("queries"))
    platform.generate(dt.date(2025, 1, 1), days=3, events_per_day=200)
    duckdb_module.params_for = record
    try:
        assert platform.materialize(partition_range=("2025-01-01", "2025-01-03"), checks=True)
    finally:
        duckdb_module.params_for = original
    return list(sent.items())


def test_every_query_the_platform_runs_translates_and_plans_on_postgres(
    platform_queries: list[tuple[str, dict[str, Any]]], warehouse: WarehouseResource
) -> None:
    assert len(platform_queries) >= 15
    with warehouse.connect() as session:
        session.create_tables(*TABLES)
        for sql, params in platform_queries:
            if sql.lstrip().upper().startswith(("CREATE", "SET", "BEGIN", "COMMIT", "ROLLBACK")):
                continue  # DDL and sessions are each backend's own
            if "incoming_rows" in sql:
                continue  # DuckDB's way of appending Arrow; PostgreSQL's is COPY
            # Planned with its parameters bound, never run: each one's result is compared with
            # DuckDB's in test_parity.py.
            text, bound = pg(session)._statement(sql, params)
            try:
                with pg(session).con.cursor() as cursor:
                    cursor.execute(f"EXPLAIN {text}", bound)
            except psycopg.Error as error:
                pytest.fail(f"{type(error).__name__}: {error}\nin:\n{text}")


# --- the platform on PostgreSQL -------------------------------------------------------------------


def test_policies_and_instance_need_no_pool_on_postgres(tmp_path: Path) -> None:
    from event_analytics.policies import warehouse_pool

    assert warehouse_pool("postgres") is None
    home = tmp_path / "home"
    home.mkdir()
    # No concurrency section at all: fine for PostgreSQL, which needs no pool.
    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    with dg.DagsterInstance.from_config(str(home)) as instance:
        assert prepare_instance(instance, backend="postgres") == {}
        assert instance.event_log_storage.get_pool_limits() == []


def test_the_dbt_target_follows_the_warehouse_url(postgres: PostgresServer, database: str) -> None:
    environment = dbt_environment(WarehouseResource(url=postgres.url(database, with_password=True)))
    assert environment["EVENT_ANALYTICS_DBT_TARGET"] == "postgres"
    assert environment["EVENT_ANALYTICS_PG_HOST"] == postgres.host
    assert environment["EVENT_ANALYTICS_PG_PORT"] == str(postgres.port)
    assert environment["EVENT_ANALYTICS_PG_DATABASE"] == database
    assert environment["EVENT_ANALYTICS_PG_PASSWORD"] == postgres.password


def test_check_config_logs_in_through_the_warehouse(
    postgres: PostgresServer,
    database: str,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    (tmp_path / "landing").mkdir()
    monkeypatch.setenv("EVENTS_LANDING_URL", str(tmp_path / "landing"))
    monkeypatch.delenv("PGPASSWORD", raising=False)
    monkeypatch.setenv("WAREHOUSE_URL", postgres.url(database, with_password=True))
    assert configuration_problems() == []
    monkeypatch.setenv("WAREHOUSE_URL", postgres.url(database))
    monkeypatch.setenv("PGPASSWORD", SECRET)
    [refused] = configuration_problems()
    assert "WAREHOUSE_URL" in refused and "password authentication failed" in refused
    assert postgres.user in refused and SECRET not in refused
    monkeypatch.setenv("PGPASSWORD", postgres.password)
    assert configuration_problems() == []
    port = free_loopback_port()
    monkeypatch.setenv("WAREHOUSE_URL", f"postgresql://u:{SECRET}@127.0.0.1:{port}/db")
    [unreachable] = configuration_problems()
    assert f"127.0.0.1:{port}" in unreachable and SECRET not in unreachable


def test_the_platform_runs_on_postgres_with_checks(
    postgres: PostgresServer, tmp_path: Path
) -> None:
    platform = PostgresPlatform(tmp_path, postgres)
    platform.generate(dt.date(2025, 1, 1), days=2, events_per_day=300)
    result = platform.materialize(partition_range=("2025-01-01", "2025-01-02"), checks=True)
    assert result.success
    evaluations = result.get_asset_check_evaluations()
    assert {(e.check_name, e.partition) for e in evaluations} >= {
        (name, day)
        for name in ("event_id_unique_per_day", "reconciles_with_cleaned_events")
        for day in ("2025-01-01", "2025-01-02")
    }
    # The blocking checks pass (the sample's share of malformed lines exceeds the 1% alert).
    assert all(e.passed for e in evaluations if e.blocking)
    assert platform.rows("SELECT count(*) FROM analytics.daily_summary") == [(2,)]
    # Running a day again changes nothing.
    before = platform.snapshot()
    assert platform.materialize(partition="2025-01-02").success
    assert platform.snapshot() == before


# --- secrets --------------------------------------------------------------------------------------

_RESOURCE_CONFIG = """
query Resource($name: String!) {
  topLevelResourceDetailsOrError(resourceSelector: {
    repositoryLocationName: "event_analytics", repositoryName: "__repository__",
    resourceName: $name
  }) {
    ... on ResourceDetails { name configuredValues { key value type } }
  }
}
"""


@pytest.mark.slow
def test_the_password_never_shows_in_logs_metadata_errors_or_graphql(
    postgres: PostgresServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capfd: pytest.CaptureFixture[str],
) -> None:
    """Runs with the password in the URL, in PGPASSWORD, and a wrong one: a successful run
    (metadata, previews), a refused login (the error), then a real webserver's GraphQL."""
    user = "keeper"
    with postgres.connect() as admin:
        if not admin.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (user,)).fetchone():
            # A role of its own, whose password is SECRET (identifiers are constants here).
            admin.execute(f"CREATE ROLE {user} LOGIN PASSWORD '{SECRET}'")
    database = fresh_database(postgres)
    with postgres.connect() as admin:
        admin.execute(f"ALTER DATABASE {database} OWNER TO {user}")
    home = tmp_path / "dagster_home"
    home.mkdir()
    shutil.copy(PROJECT_ROOT / "dagster_home" / "dagster.yaml", home / "dagster.yaml")
    platform = Platform(tmp_path / "platform")
    platform.generate(dt.date(2025, 1, 1), days=1, events_per_day=300)
    with_password = f"postgresql://{user}:{SECRET}@{postgres.host}:{postgres.port}/"
    without = f"postgresql://{user}@{postgres.host}:{postgres.port}/"
    resources = {
        "warehouse": WarehouseResource(url=dg.EnvVar("WAREHOUSE_URL")),
        "landing": LandingZoneResource(url=str(platform.landing_root)),
    }
    assets = [platform.defs.get_assets_def(key) for key in ("raw_events", "cleaned_events")]
    texts: list[str] = []
    with dg.DagsterInstance.from_config(str(home)) as instance:
        runs = [
            ({"WAREHOUSE_URL": with_password + database}, True),
            ({"WAREHOUSE_URL": without + database, "PGPASSWORD": SECRET}, True),
            ({"WAREHOUSE_URL": without + database, "PGPASSWORD": SECRET + "x"}, False),
        ]
        for environ, succeeds in runs:
            monkeypatch.delenv("PGPASSWORD", raising=False)
            for name, value in environ.items():
                monkeypatch.setenv(name, value)
            result = dg.materialize(
                [*assets, *QUALITY_CHECKS[:2]],
                resources=resources,
                partition_key="2025-01-01",
                instance=instance,
                raise_on_error=False,
            )
            assert result.success is succeeds
        for run in instance.get_runs():
            texts.extend(repr(record) for record in instance.all_logs(run.run_id))
    env = {
        **os.environ,
        "DAGSTER_HOME": str(home),
        "WAREHOUSE_URL": with_password + database,
        "PGPASSWORD": SECRET,
        "EVENTS_LANDING_URL": str(platform.landing_root),
    }
    texts += _webserver_answers(env)
    captured = capfd.readouterr()
    everything = "\n".join([*texts, captured.out, captured.err])
    assert "password authentication failed" in everything  # the failure was explained...
    assert "rows_loaded" in everything  # ...the runs' metadata is there...
    assert SECRET not in everything  # ...and the password nowhere


def _webserver_answers(env: dict[str, str]) -> list[str]:
    """What a real webserver answers about the instance's runs, logs, metadata and resources."""
    from test_secrets import _LOGS, _METADATA, _RUNS, _graphql

    port = free_loopback_port()
    server = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "dagster-webserver"),
            "-w",
            "workspace.yaml",
            "-h",
            "127.0.0.1",
            "-p",
            str(port),
        ],
        cwd=PROJECT_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    texts: list[str] = []
    try:
        _wait_for(port, server)
        runs = _graphql(port, _RUNS)
        texts.append(runs)
        for run in json.loads(runs)["data"]["runsOrError"]["results"]:
            texts.append(_graphql(port, _LOGS, {"runId": run["runId"]}))
        answer = _graphql(port, _RESOURCE_CONFIG, {"name": "warehouse"})
        assert "ENV_VAR" in answer, answer  # shown as the variable's name, not its value
        texts += [answer, _graphql(port, _METADATA)]
    finally:
        os.killpg(server.pid, 15)
        texts.append(server.communicate(timeout=60)[0])
    return texts


def _wait_for(port: int, server: subprocess.Popen[str]) -> None:
    import urllib.request

    deadline = time.monotonic() + 120
    while True:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/server_info", timeout=2)
            return
        except OSError:
            assert server.poll() is None, "the webserver exited"
            assert time.monotonic() < deadline, "the webserver did not start"
            time.sleep(0.5)


@pytest.fixture(autouse=True)
def _no_fault_handler() -> Iterator[None]:
    yield
    faults.install(None)
