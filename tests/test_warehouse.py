"""The warehouse resource: URL parsing, bound parameters, transactions and lock waiting."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from event_analytics.warehouse import (
    WarehouseConfigError,
    WarehouseResource,
    is_transient,
    parse_warehouse_url,
)
from event_analytics.warehouse.connection import RetryPolicy, connect_duckdb


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
        ("postgresql://user:secret@host/db", "DuckDB only"),
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
    frame = warehouse.query("SELECT v FROM t WHERE v = $v", {"v": hostile})
    assert frame["v"].tolist() == [hostile]


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
    assert warehouse.query("SELECT count(*) AS n FROM t")["n"].tolist() == [0]


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
