"""`event-analytics summary --start D --end D`: the daily figures for people and scripts.

Every test runs the command against a real warehouse: a DuckDB file in tmp_path, and the same
tests against a real PostgreSQL server (tests/postgres_server.py). The figures are written by
the platform's own table catalog, or by the platform itself (a real run, end to end).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pytest

from event_analytics.cli import main
from event_analytics.warehouse import WarehouseResource
from event_analytics.warehouse.tables import DAILY_SUMMARY
from harness import Platform
from postgres_server import PostgresServer, fresh_database

JAN_1, JAN_2, JAN_3 = dt.date(2025, 1, 1), dt.date(2025, 1, 2), dt.date(2025, 1, 3)
# Revenue beyond a float's precision, a day of zeros (computed, quiet) and a day with no row
# (JAN_3: not computed yet) must all come out as they are.
ROWS = [
    {"date": JAN_1, "events": 1203, "active_users": 71, "purchases": 9,
     "revenue": "12345678901234567890.1234"},
    {"date": JAN_2, "events": 0, "active_users": 0, "purchases": 0, "revenue": "0.0000"},
]  # fmt: skip
INSERT = (
    "INSERT INTO analytics.daily_summary (date, events, active_users, purchases, revenue) "
    "VALUES (CAST($date AS DATE), $events, $active_users, $purchases, "
    "CAST($revenue AS DECIMAL(38,4)))"
)
EXPECTED: list[dict[str, object]] = [
    {"date": "2025-01-01", "events": 1203, "active_users": 71, "purchases": 9,
     "revenue": "12345678901234567890.1234", "computed": True},
    {"date": "2025-01-02", "events": 0, "active_users": 0, "purchases": 0,
     "revenue": "0.0000", "computed": True},
    {"date": "2025-01-03", "events": None, "active_users": None, "purchases": None,
     "revenue": None, "computed": False},
]  # fmt: skip


@dataclass(frozen=True)
class Warehouse:
    url: str

    def env(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("WAREHOUSE_URL", self.url)
        monkeypatch.setenv("DUCKDB_LOCK_TIMEOUT_SECONDS", "0")

    def fill(self) -> None:
        with WarehouseResource(url=self.url).connect() as session, session.transaction():
            session.create_tables(DAILY_SUMMARY)
            for row in ROWS:
                session.execute(INSERT, row)


@pytest.fixture(params=["duckdb", "postgres"])
def warehouse(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Warehouse:
    """`analytics.daily_summary` with two days, in DuckDB or on the PostgreSQL server, and
    the environment pointing at it."""
    if request.param == "duckdb":
        filled = Warehouse(f"duckdb:///{tmp_path / 'warehouse.duckdb'}")
    else:
        server: PostgresServer = request.getfixturevalue("postgres")
        filled = Warehouse(server.url(fresh_database(server), with_password=True))
    filled.fill()
    filled.env(monkeypatch)
    return filled


def summary(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    """Run `event-analytics summary ARGV...` in this process: (exit status, stdout, stderr)."""
    status = main(["summary", *argv])
    captured = capsys.readouterr()
    return status, captured.out, captured.err


RANGE = ("--start", "2025-01-01", "--end", "2025-01-03")


def test_jsonl_gives_each_day_exact_figures_or_says_it_is_not_computed(
    warehouse: Warehouse, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out, err = summary(capsys, *RANGE, "--format", "jsonl")
    assert (status, err) == (0, "")
    assert [json.loads(line) for line in out.splitlines()] == EXPECTED


def test_csv_has_a_header_and_one_record_per_day(
    warehouse: Warehouse, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out, err = summary(capsys, *RANGE, "--format", "csv")
    assert (status, err) == (0, "")
    records = list(csv.reader(io.StringIO(out)))
    assert records == [
        ["date", "events", "active_users", "purchases", "revenue", "computed"],
        ["2025-01-01", "1203", "71", "9", "12345678901234567890.1234", "true"],
        ["2025-01-02", "0", "0", "0", "0.0000", "true"],
        ["2025-01-03", "", "", "", "", "false"],
    ]


def test_the_table_tells_a_quiet_day_from_one_not_computed(
    warehouse: Warehouse, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out, err = summary(capsys, *RANGE)
    assert (status, err) == (0, "")
    header, rule, first, second, third, footer = out.splitlines()
    assert header.split() == ["date", "events", "active_users", "purchases", "revenue", "status"]
    assert set(rule.replace(" ", "")) == {"-"}
    big = "12345678901234567890.1234"
    assert first.split() == ["2025-01-01", "1203", "71", "9", big, "computed"]
    assert second.split() == ["2025-01-02", "0", "0", "0", "0.0000", "computed"]
    assert third.startswith("2025-01-03") and third.endswith("not computed yet")
    assert "0" not in third.removeprefix("2025-01-03")  # no figure, not even a zero
    assert footer == "(3 rows)"


def test_one_day_by_default_and_the_end_is_included(
    warehouse: Warehouse, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out, _ = summary(capsys, "--start", "2025-01-02", "--format", "jsonl")
    assert status == 0 and [json.loads(line) for line in out.splitlines()] == [EXPECTED[1]]
    status, out, _ = summary(capsys, "--start", "2025-01-01", "--end", "2025-01-02", "--format=csv")
    assert status == 0 and len(out.splitlines()) == 3  # header, both days


def test_the_figures_are_the_platforms_after_a_real_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    platform = Platform(tmp_path)
    platform.generate(JAN_1, days=2, events_per_day=800, seed=4)
    assert platform.materialize(partition_range=("2025-01-01", "2025-01-02")).success
    monkeypatch.setenv("WAREHOUSE_URL", f"duckdb:///{platform.db_path}")
    status, out, _ = summary(capsys, *RANGE, "--format", "jsonl")
    assert status == 0
    printed = [json.loads(line) for line in out.splitlines()]
    table = platform.rows(
        "SELECT date, events, active_users, purchases, revenue FROM analytics.daily_summary "
        "ORDER BY date"
    )
    assert [
        (dt.date.fromisoformat(p["date"]), p["events"], p["active_users"], p["purchases"],
         Decimal(p["revenue"]))
        for p in printed[:2]
    ] == table  # fmt: skip
    assert all(p["computed"] for p in printed[:2]) and not printed[2]["computed"]


def test_a_warehouse_nothing_was_materialized_into_has_no_day_computed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"duckdb:///{tmp_path / 'fresh.duckdb'}"
    with WarehouseResource(url=url).connect() as session:
        session.execute("CREATE SCHEMA IF NOT EXISTS analytics")
    monkeypatch.setenv("WAREHOUSE_URL", url)
    status, out, err = summary(capsys, "--start", "2025-01-01", "--format", "jsonl")
    assert (status, err) == (0, "")
    assert [json.loads(line) for line in out.splitlines()] == [EXPECTED[2] | {"date": "2025-01-01"}]


# --- failures a script can rely on -------------------------------------------------------------


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--end", "2025-01-02"], "--start"),
        (["--start", "2025-01-32"], "YYYY-MM-DD"),
        (["--start", "2025-01-03", "--end", "2025-01-01"], "before --start"),
        (["--start", "2025-01-01", "--format", "xml"], "invalid choice"),
    ],
)
def test_usage_errors_exit_2_before_the_warehouse_is_opened(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    argv: list[str],
    message: str,
) -> None:
    missing = tmp_path / "nowhere" / "warehouse.duckdb"
    monkeypatch.setenv("WAREHOUSE_URL", f"duckdb:///{missing}")
    status, out, err = summary(capsys, *argv)
    assert status == 2 and out == ""
    assert message in err and "Traceback" not in err


def test_a_warehouse_that_cannot_be_opened_exits_1_naming_the_setting(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "warehouse.duckdb"
    monkeypatch.setenv("WAREHOUSE_URL", f"duckdb:///{missing}")
    status, out, err = summary(capsys, "--start", "2025-01-01")
    assert status == 1 and out == ""
    assert err.startswith("event-analytics summary: error: ") and "WAREHOUSE_URL" in err
    assert not missing.exists()  # read-only: the command never creates a warehouse


def test_a_bad_setting_exits_1_naming_it(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("WAREHOUSE_URL", "mysql://user:hunter2@db/x")
    status, _, err = summary(capsys, "--start", "2025-01-01")
    assert status == 1 and "WAREHOUSE_URL" in err and "hunter2" not in err


def test_the_postgres_password_never_shows(
    postgres: PostgresServer, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    url = postgres.url("no_such_database", with_password=True)
    monkeypatch.setenv("WAREHOUSE_URL", url)
    status, _, err = summary(capsys, "--start", "2025-01-01")
    assert status == 1 and "WAREHOUSE_URL" in err
    assert postgres.password not in err
