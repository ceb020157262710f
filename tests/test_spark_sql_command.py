"""`event-analytics sql` on a Spark warehouse: the platform's tables, read through the same
command, in the same dialect (DuckDB's, translated), with the same output as on DuckDB.

The tables are loaded by the platform itself (a real run on the shared local Spark session);
the command runs in this process, as in tests/test_sql_command.py, and once as a new user runs
it: a subprocess that starts its own Spark.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from event_analytics.cli import main
from harness import Platform
from spark_session import SparkPlatform

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("spark")]

CLI = Path(sys.executable).with_name("event-analytics")
QUERY = (
    "SELECT date, events, active_users, purchases, revenue, "
    "date_trunc('week', date) AS week FROM analytics.daily_summary ORDER BY date"
)


@pytest.fixture(scope="module")
def both(tmp_path_factory: pytest.TempPathFactory) -> tuple[Platform, SparkPlatform]:
    duck = Platform(tmp_path_factory.mktemp("sql-duckdb"))
    duck.generate(dt.date(2025, 1, 1), days=2, events_per_day=200, seed=4)
    on_spark = SparkPlatform(tmp_path_factory.mktemp("sql-spark"))
    shutil.copytree(duck.landing_root, on_spark.landing_root, dirs_exist_ok=True)
    for platform in (duck, on_spark):
        assert platform.materialize(partition_range=("2025-01-01", "2025-01-02")).success
    return duck, on_spark


def _sql(
    url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], *argv: str
) -> tuple[int, str, str]:
    monkeypatch.setenv("WAREHOUSE_URL", url)
    status = main(["sql", *argv])
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def test_sql_reads_spark_tables_as_it_reads_duckdbs(
    both: tuple[Platform, SparkPlatform],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    duck, on_spark = both
    outputs = {}
    for name, url in (("duckdb", f"duckdb:///{duck.db_path}"), ("spark", on_spark.url)):
        for output in ("jsonl", "csv", "table"):
            status, out, err = _sql(url, monkeypatch, capsys, "--format", output, QUERY)
            assert status == 0, err
            outputs[name, output] = out
    for output in ("jsonl", "csv", "table"):
        assert outputs["spark", output] == outputs["duckdb", output], output
    rows = [json.loads(line) for line in outputs["spark", "jsonl"].splitlines()]
    assert [r["date"] for r in rows] == ["2025-01-01", "2025-01-02"]
    assert all(isinstance(r["revenue"], str) and r["revenue"].count(".") == 1 for r in rows)


def test_sql_limits_rows_and_refuses_writes_on_spark(
    both: tuple[Platform, SparkPlatform],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    _, on_spark = both
    status, out, _ = _sql(
        on_spark.url, monkeypatch, capsys, "--limit", "3", "SELECT * FROM raw.events"
    )
    assert status == 0 and "(first 3 rows shown: there are more" in out
    status, _, err = _sql(on_spark.url, monkeypatch, capsys, "DELETE FROM raw.events")
    assert status == 2 and "only reads" in err
    status, _, err = _sql(on_spark.url, monkeypatch, capsys, "SELECT * FROM raw.nothing_here")
    assert status == 1 and "the query failed" in err


def test_sql_on_spark_from_a_new_process(both: tuple[Platform, SparkPlatform]) -> None:
    _, on_spark = both
    env = {**os.environ, "WAREHOUSE_URL": on_spark.url}
    done = subprocess.run(
        [
            str(CLI),
            "sql",
            "--format",
            "jsonl",
            "SELECT count(*) AS n FROM analytics.cleaned_events",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    [row] = [json.loads(line) for line in done.stdout.splitlines()]
    assert row["n"] == len(on_spark.rows("SELECT event_id FROM analytics.cleaned_events")) > 0


def test_summary_reads_spark_tables_as_it_reads_duckdbs(
    both: tuple[Platform, SparkPlatform],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    duck, on_spark = both
    outputs = []
    for url in (f"duckdb:///{duck.db_path}", on_spark.url):
        monkeypatch.setenv("WAREHOUSE_URL", url)
        status = main(
            ["summary", "--start", "2025-01-01", "--end", "2025-01-03", "--format", "jsonl"]
        )
        captured = capsys.readouterr()
        assert status == 0, captured.err
        outputs.append(captured.out)
    assert outputs[1] == outputs[0]
    assert len(outputs[0].splitlines()) == 3  # the third day: not computed yet
