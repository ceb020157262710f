"""The warehouse resource: URL parsing, bound parameters, transactions and lock waiting."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pyarrow as pa
import pytest

from event_analytics.ingest import LostLinesError
from event_analytics.warehouse import (
    WarehouseConfigError,
    WarehouseResource,
    faults,
    is_transient,
    parse_warehouse_url,
)
from event_analytics.warehouse.backend import Warehouse
from event_analytics.warehouse.duckdb_backend import DuckDBWarehouse, RetryPolicy, connect_duckdb
from event_analytics.warehouse.sql import query
from event_analytics.warehouse.tables import CLEANED_EVENTS, DAILY_SUMMARY
from event_analytics.warehouse.window import DayWindow


def duck(session: Warehouse) -> DuckDBWarehouse:
    """The DuckDB session behind the seam, for tests of DuckDB's own behaviour."""
    assert isinstance(session, DuckDBWarehouse)
    return session


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("duckdb:///data/warehouse.duckdb", Path("data/warehouse.duckdb")),
        ("duckdb:////tmp/x/w.duckdb", Path("/tmp/x/w.duckdb")),
        ("DUCKDB:///a.duckdb", Path("a.duckdb")),
        ("plain/path.duckdb", Path("plain/path.duckdb")),
    ],
)
def test_duckdb_urls(url: str, expected: Path) -> None:
    target = parse_warehouse_url(url)
    assert (target.backend, target.path) == ("duckdb", expected)


@pytest.mark.parametrize(
    ("url", "hint"),
    [
        ("", "WAREHOUSE_URL is empty"),
        ("duckdb://relative.duckdb", "three slashes"),
        ("duckdb:///", "must name a DuckDB file"),
        ("duckdb:///:memory:", "in-memory"),
        ("mysql://u@h/db", "not supported"),
        ("postgresql://user:secret@host", "names no database"),
    ],
)
def test_bad_urls_name_the_setting_and_the_fix(url: str, hint: str) -> None:
    with pytest.raises(WarehouseConfigError) as raised:
        parse_warehouse_url(url)
    message = str(raised.value)
    assert "WAREHOUSE_URL" in message and hint in message
    assert "secret" not in message


def test_parameters_are_bound_not_formatted(tmp_path: Path) -> None:
    warehouse = WarehouseResource(url=f"duckdb:///{tmp_path / 'w.duckdb'}")
    hostile = "x'); DROP TABLE t; --"
    with warehouse.connect() as connection, connection.transaction():
        connection.execute("CREATE TABLE t (v VARCHAR)")
        connection.execute("INSERT INTO t VALUES ($v)", {"v": hostile})
    rows = warehouse.query("SELECT v FROM t WHERE v = $v", {"v": hostile})
    assert rows == [{"v": hostile}]


def test_missing_parameter_is_an_error_not_a_null(tmp_path: Path) -> None:
    warehouse = WarehouseResource(url=f"duckdb:///{tmp_path / 'w.duckdb'}")
    with pytest.raises(KeyError, match="limit_value"):
        warehouse.query("SELECT $limit_value AS x")


def test_failed_transaction_leaves_nothing_behind(tmp_path: Path) -> None:
    warehouse = WarehouseResource(url=f"duckdb:///{tmp_path / 'w.duckdb'}")
    with warehouse.connect() as connection:
        connection.execute("CREATE TABLE t (v INTEGER)")
    with (
        pytest.raises(duckdb.ConversionException),
        warehouse.connect() as connection,
        connection.transaction(),
    ):
        connection.execute("INSERT INTO t VALUES (1)")
        connection.execute("INSERT INTO t VALUES ('not a number')")
    assert warehouse.query("SELECT count(*) AS n FROM t") == [{"n": 0}]


_HOLD_LOCK = """
import duckdb, sys, time
con = duckdb.connect(sys.argv[1])
con.execute("CREATE TABLE IF NOT EXISTS t (v INTEGER)")
print("locked", flush=True)
sys.stdin.readline()  # hold the lock until told to let go (or until stdin closes)
time.sleep(float(sys.argv[2]))
"""


def _hold_lock(path: Path, seconds: float) -> subprocess.Popen[str]:
    """A process holding `path`'s write lock until a line arrives on its stdin, then `seconds`."""
    holder = subprocess.Popen(
        [sys.executable, "-c", _HOLD_LOCK, str(path), str(seconds)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
    return holder


def test_waits_out_another_process_lock(tmp_path: Path) -> None:
    path = tmp_path / "w.duckdb"
    holder = _hold_lock(path, 0.5)
    assert holder.stdin is not None
    waits: list[float] = []

    def on_wait(_error: BaseException, delay: float) -> None:
        if not waits:  # met the lock: now let the holder go, half a second later
            assert holder.stdin is not None
            holder.stdin.write("go\n")
            holder.stdin.flush()
        waits.append(delay)

    try:
        con = connect_duckdb(path, RetryPolicy(timeout_seconds=60), on_wait=on_wait)
        con.execute("INSERT INTO t VALUES (1)")
        con.close()
    finally:
        holder.stdin.close()  # lets the holder go even if it was never told to
        holder.wait(timeout=30)
    assert waits, "the first attempt should have met the lock and waited"


def test_gives_up_after_the_timeout_with_the_lock_error(tmp_path: Path) -> None:
    path = tmp_path / "w.duckdb"
    holder = _hold_lock(path, 10)
    try:
        started = time.monotonic()
        with pytest.raises(duckdb.IOException) as raised:
            connect_duckdb(path, RetryPolicy(timeout_seconds=0.5))
        assert time.monotonic() - started < 8
        assert is_transient(raised.value)
    finally:
        holder.kill()
        holder.wait()


def test_data_errors_are_not_transient() -> None:
    with pytest.raises(duckdb.Error) as raised:
        duckdb.connect().execute("SELECT CAST('x' AS INTEGER)")
    assert not is_transient(raised.value)


def test_retry_delays_grow_with_jitter_and_respect_the_timeout() -> None:
    delays = list(RetryPolicy(timeout_seconds=3, first_delay_seconds=0.1).delays())
    assert sum(delays) == pytest.approx(3, abs=1e-9)
    assert all(d >= 0 for d in delays)


# --- errors surface as they happened ----------------------------------------------------------

# DuckDB streams a query's rows: `execute` computes the first vector (2048 rows), so an error in
# a later row is raised only when the rows are fetched. `error()` raises InvalidInputException.
_FAILS_WHILE_FETCHING = (
    "SELECT CASE WHEN i = 100000 THEN error('row 100000 is bad') ELSE i END "
    "FROM range(100001) AS r(i)"
)


def test_an_error_raised_while_fetching_is_not_taken_for_no_rows(tmp_path: Path) -> None:
    warehouse = WarehouseResource(url=f"duckdb:///{tmp_path / 'w.duckdb'}")
    with warehouse.connect() as connection:
        # The scenario holds: the statement starts without error and fails on fetch.
        started = duck(connection).con.execute(_FAILS_WHILE_FETCHING)
        with pytest.raises(duckdb.InvalidInputException, match="row 100000 is bad"):
            started.fetchall()
        with pytest.raises(duckdb.InvalidInputException, match="row 100000 is bad"):
            connection.execute(_FAILS_WHILE_FETCHING)
        with pytest.raises(duckdb.InvalidInputException, match="row 100000 is bad"):
            connection.fetch_dicts(_FAILS_WHILE_FETCHING)


def test_statements_without_rows_give_no_rows_and_queries_their_rows(tmp_path: Path) -> None:
    warehouse = WarehouseResource(url=f"duckdb:///{tmp_path / 'w.duckdb'}")
    with warehouse.connect() as connection:
        session = duck(connection)
        assert session.rows("CREATE TABLE t (v INTEGER)") == []
        with session.transaction():
            assert session.rows("SET TimeZone = 'UTC'") == []
            assert session.rows("INSERT INTO t VALUES (1), (2)") == [(2,)]  # a count
            assert session.rows("DELETE FROM t WHERE v = 1") == [(1,)]
        assert session.rows("SELECT v FROM t") == [(2,)]
        assert session.fetch_dicts("SELECT v FROM t WHERE v > 5") == []


def test_a_failed_rollback_never_replaces_the_error_that_caused_it(tmp_path: Path) -> None:
    warehouse = WarehouseResource(url=f"duckdb:///{tmp_path / 'w.duckdb'}")
    with warehouse.connect() as connection:
        connection.execute("CREATE TABLE t (v INTEGER)")
        with pytest.raises(duckdb.ConversionException) as raised, connection.transaction():
            # The transaction ends under the block, so DuckDB refuses the ROLLBACK that follows
            # the block's real error ("no transaction is active").
            connection.execute("COMMIT")
            connection.execute("INSERT INTO t VALUES ('not a number')")
    notes = " ".join(getattr(raised.value, "__notes__", []))
    assert "rollback" in notes.lower() and "no transaction is active" in notes


def test_a_data_error_on_a_lost_connection_stays_a_data_error(tmp_path: Path) -> None:
    """The block's error is raised even when the connection died under it (closed or invalidated
    by DuckDB): a ROLLBACK's connection error in its place would be retried as transient."""
    warehouse = WarehouseResource(url=f"duckdb:///{tmp_path / 'w.duckdb'}")
    with (
        pytest.raises(LostLinesError) as raised,
        warehouse.connect() as connection,
        connection.transaction(),
    ):
        connection.execute("CREATE TABLE t (v INTEGER)")
        duck(connection).con.close()
        raise LostLinesError("3 lines read but 2 loaded + 0 rejected")
    assert not is_transient(raised.value)
    notes = " ".join(getattr(raised.value, "__notes__", []))
    assert "ConnectionException" in notes and "closed" in notes


def test_closing_a_dead_connection_never_replaces_the_error_that_ended_the_block(
    tmp_path: Path,
) -> None:
    """`connect()` closes the session after any block; when the connection died under the
    block in a way that makes closing fail too, that failure is noted, not raised."""
    warehouse = WarehouseResource(url=f"duckdb:///{tmp_path / 'w.duckdb'}")

    def close_fails() -> None:
        raise duckdb.ConnectionException("Connection already closed!")

    with pytest.raises(LostLinesError) as raised, warehouse.connect() as connection:
        duck(connection).con.register("batch", pa.table({"v": [1, 2]}))
        duck(connection).close = close_fails  # type: ignore[method-assign]
        raise LostLinesError("3 lines read but 2 loaded + 0 rejected")
    notes = " ".join(getattr(raised.value, "__notes__", []))
    assert "Closing the warehouse connection failed too" in notes


# --- fault points (the crash tests kill the process at them) ------------------------------------


def test_fault_points_mark_the_transaction_and_every_write_in_order(tmp_path: Path) -> None:
    warehouse = WarehouseResource(url=f"duckdb:///{tmp_path / 'w.duckdb'}")
    reached: list[str] = []
    with warehouse.connect() as connection:
        connection.create_tables(CLEANED_EVENTS, DAILY_SUMMARY)
        with faults.installed(reached.append):
            with connection.transaction():
                window = DayWindow.of_days(dt.date(2025, 1, 1))
                connection.replace_window(DAILY_SUMMARY, query("daily_summary"), window)
            with pytest.raises(duckdb.CatalogException), connection.transaction():
                connection.execute("SELECT * FROM no_such_table")
    assert reached == [
        "before_begin",
        "after_begin",
        "after delete analytics.daily_summary",
        "after insert analytics.daily_summary",
        "before_commit",
        "after_commit",
        # the failed transaction never reaches its commit
        "before_begin",
        "after_begin",
    ]


def test_an_error_at_a_fault_point_before_commit_rolls_back(tmp_path: Path) -> None:
    warehouse = WarehouseResource(url=f"duckdb:///{tmp_path / 'w.duckdb'}")

    def fail_before_commit(point: str) -> None:
        if point == "before_commit":
            raise RuntimeError("stopped before COMMIT")

    with warehouse.connect() as connection:
        connection.execute("CREATE TABLE t (v INTEGER)")
        with (
            faults.installed(fail_before_commit),
            pytest.raises(RuntimeError, match="stopped before COMMIT"),
            connection.transaction(),
        ):
            connection.execute("INSERT INTO t VALUES (1)")
        assert connection.fetch_dicts("SELECT count(*) AS n FROM t") == [{"n": 0}]
        with connection.transaction():  # the connection is usable: nothing was left open
            connection.execute("INSERT INTO t VALUES (2)")
    assert warehouse.query("SELECT v FROM t") == [{"v": 2}]
