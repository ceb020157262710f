"""`event-analytics sql`: one read-only query against the configured warehouse, for people and
for scripts.

Every test runs the command against a real warehouse: a DuckDB file in tmp_path, and the same
tests against a real PostgreSQL server (tests/postgres_server.py) through the platform's
PostgreSQL backend. What is read-only is proven by the engines themselves refusing writes on
the command's session, not by the command looking at the SQL text.
"""

from __future__ import annotations

import csv
import io
import json
import os
import secrets
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from event_analytics.cli import main
from event_analytics.warehouse import WarehouseResource
from postgres_server import PostgresServer, fresh_database

BIN = Path(sys.executable).parent

# The figures every test reads: exact decimals beyond a float's precision, text that is
# hard to print (tabs, line breaks, rich markup, non-ASCII), and NULLs in every column.
CREATE = [
    "CREATE SCHEMA IF NOT EXISTS demo",
    "CREATE TABLE demo.figures (day DATE NOT NULL, label VARCHAR, events BIGINT, "
    "revenue DECIMAL(38,4), seen_at TIMESTAMP)",
]
INSERT = (
    "INSERT INTO demo.figures VALUES (CAST($day AS DATE), $label, $events, "
    "CAST($revenue AS DECIMAL(38,4)), CAST($seen_at AS TIMESTAMP))"
)
ROWS: list[dict[str, Any]] = [
    {
        "day": "2025-01-01",
        "label": "plain",
        "events": 3,
        "revenue": "12345678901234567890.1234",
        "seen_at": "2025-01-01 10:00:00",
    },
    {
        "day": "2025-01-02",
        "label": "tab\there\nnew line [bold]not markup[/bold] é",
        "events": 0,
        "revenue": "0.0001",
        "seen_at": None,
    },
    {"day": "2025-01-03", "label": None, "events": None, "revenue": None, "seen_at": None},
]
EXPECTED_JSON = [
    {
        "day": "2025-01-01",
        "label": "plain",
        "events": 3,
        "revenue": "12345678901234567890.1234",
        "seen_at": "2025-01-01T10:00:00",
    },
    {
        "day": "2025-01-02",
        "label": "tab\there\nnew line [bold]not markup[/bold] é",
        "events": 0,
        "revenue": "0.0001",
        "seen_at": None,
    },
    {"day": "2025-01-03", "label": None, "events": None, "revenue": None, "seen_at": None},
]
ALL = "SELECT * FROM demo.figures ORDER BY day"


@dataclass(frozen=True)
class Warehouse:
    """A warehouse holding `demo.figures`, and the environment that points the command at it."""

    url: str

    def env(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("WAREHOUSE_URL", self.url)
        monkeypatch.setenv("DUCKDB_LOCK_TIMEOUT_SECONDS", "0")

    def fill(self) -> None:
        with WarehouseResource(url=self.url).connect() as session, session.transaction():
            for statement in CREATE:
                session.execute(statement)
            for row in ROWS:
                session.execute(INSERT, row)

    def count(self) -> int:
        with WarehouseResource(url=self.url).connect(read_only=True) as session:
            [row] = session.fetch_dicts("SELECT count(*) AS n FROM demo.figures")
        return int(row["n"])


def _duckdb_warehouse(tmp_path: Path) -> Warehouse:
    return Warehouse(f"duckdb:///{tmp_path / 'warehouse.duckdb'}")


@pytest.fixture(params=["duckdb", "postgres"])
def warehouse(request: pytest.FixtureRequest, tmp_path: Path) -> Warehouse:
    """`demo.figures` in a DuckDB file, or in a fresh database on the PostgreSQL server."""
    if request.param == "duckdb":
        filled = _duckdb_warehouse(tmp_path)
    else:
        server: PostgresServer = request.getfixturevalue("postgres")
        filled = Warehouse(server.url(fresh_database(server), with_password=True))
    filled.fill()
    return filled


@pytest.fixture
def duck(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Warehouse:
    """The DuckDB warehouse only, with the environment pointing at it."""
    filled = _duckdb_warehouse(tmp_path)
    filled.fill()
    filled.env(monkeypatch)
    return filled


def sql(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    """Run `event-analytics sql ARGV...` in this process: (exit status, stdout, stderr)."""
    status = main(["sql", *argv])
    captured = capsys.readouterr()
    return status, captured.out, captured.err


# --- output -----------------------------------------------------------------------------------


def test_jsonl_is_one_object_per_row_with_exact_decimals_iso_dates_and_nulls(
    warehouse: Warehouse, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    warehouse.env(monkeypatch)
    status, out, err = sql(capsys, "--format", "jsonl", ALL)
    assert (status, err) == (0, "")
    lines = out.splitlines()
    assert [json.loads(line) for line in lines] == EXPECTED_JSON
    # Decimals are strings, so no JSON reader can round them.
    assert '"revenue": "12345678901234567890.1234"' in lines[0]
    assert '"events": 3' in lines[0]


def test_jsonl_has_no_row_limit(duck: Warehouse, capsys: pytest.CaptureFixture[str]) -> None:
    query = "SELECT range AS n FROM range(2500)"
    status, out, _ = sql(capsys, "--format", "jsonl", query)
    assert status == 0
    assert [json.loads(line)["n"] for line in out.splitlines()] == list(range(2500))
    status, out, _ = sql(capsys, "--format", "jsonl", "--limit", "3", query)
    assert [json.loads(line)["n"] for line in out.splitlines()] == [0, 1, 2]


def test_the_table_for_people_aligns_columns_and_shows_null_and_hidden_characters(
    warehouse: Warehouse, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    warehouse.env(monkeypatch)
    status, out, err = sql(capsys, ALL)
    assert (status, err) == (0, "")
    header, rule, *rows, footer = out.splitlines()
    assert header.split() == ["day", "label", "events", "revenue", "seen_at"]
    assert set(rule) == {"-", " "}
    assert len(rows) == 3
    assert footer == "(3 rows)"
    first, second, third = rows
    assert first.startswith("2025-01-01  plain ")
    assert "12345678901234567890.1234" in first and "2025-01-01 10:00:00" in first
    # A tab or a line break inside a value would break the table: shown escaped.
    assert r"tab\there\nnew line [bold]not markup[/bold] é" in second
    assert third.split() == ["2025-01-03", "NULL", "NULL", "NULL", "NULL"]
    # Numbers are right-aligned: each ends where its header does.
    events_end = header.index("events") + len("events")
    assert first[:events_end].endswith(" 3") and second[:events_end].endswith(" 0")
    revenue_end = header.index("revenue") + len("revenue")
    assert second[:revenue_end].endswith(" 0.0001")
    assert first[:revenue_end].endswith("12345678901234567890.1234")


def test_the_table_shows_the_first_rows_and_says_there_are_more(
    duck: Warehouse, capsys: pytest.CaptureFixture[str]
) -> None:
    query = "SELECT range AS n FROM range(250) ORDER BY n DESC"
    status, out, _ = sql(capsys, query)
    assert status == 0
    *_, last_row, footer = out.splitlines()
    assert len(out.splitlines()) == 2 + 100 + 1  # header, rule, the default 100 rows, footer
    assert last_row.strip() == "150"
    assert footer == "(first 100 rows shown: there are more; --limit N to see N, 0 for all)"

    status, out, _ = sql(capsys, "--limit", "2", query)
    assert out.splitlines()[2:] == [
        "249",
        "248",
        "(first 2 rows shown: there are more; --limit N to see N, 0 for all)",
    ]
    status, out, _ = sql(capsys, "--limit", "0", query)
    assert out.splitlines()[-1] == "(250 rows)"
    status, out, _ = sql(capsys, "--limit", "250", query)
    assert out.splitlines()[-1] == "(250 rows)"  # exactly the limit: nothing more to say
    status, out, _ = sql(capsys, "SELECT 1 AS one WHERE false")
    assert out.splitlines() == ["one", "---", "(0 rows)"]


def test_a_terminal_gets_a_rich_table_that_never_reads_values_as_markup() -> None:
    import pyarrow as pa
    from rich.console import Console

    from event_analytics.sql_command.output import write_table

    table = pa.table({"label": ["[bold]x[/bold]", None], "n": [1, 22]})
    buffer = io.StringIO()
    console = Console(file=buffer, force_terminal=True, color_system=None, width=60)
    write_table(table, buffer, more_rows=False, console=console)
    shown = buffer.getvalue()
    assert "[bold]x[/bold]" in shown and "NULL" in shown and "(2 rows)" in shown
    assert any(mark in shown for mark in "─━│┃")  # drawn as a table, not plain text


def test_csv_has_a_header_and_exact_values(
    warehouse: Warehouse, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    warehouse.env(monkeypatch)
    status, out, _ = sql(capsys, "--format", "csv", ALL)
    assert status == 0
    rows = list(csv.reader(io.StringIO(out)))
    assert rows[0] == ["day", "label", "events", "revenue", "seen_at"]
    assert rows[1] == [
        "2025-01-01",
        "plain",
        "3",
        "12345678901234567890.1234",
        "2025-01-01T10:00:00",
    ]
    assert rows[2][1] == "tab\there\nnew line [bold]not markup[/bold] é"
    assert rows[3] == ["2025-01-03", "", "", "", ""]


def test_the_engines_other_types_come_out_exact_in_jsonl(
    duck: Warehouse, capsys: pytest.CaptureFixture[str]
) -> None:
    query = (
        "SELECT 170141183460469231731687303715884105727::HUGEINT AS huge, "
        "[1, 2] AS list, {'a': 1.5::DECIMAL(4,2)} AS struct, MAP([1], ['x']) AS map, "
        "'\\x00ab'::BLOB AS blob, '10:00:01'::TIME AS time, "
        "'2025-01-01 10:00:00+02'::TIMESTAMPTZ AS tz, "
        "INTERVAL 1 MONTH + INTERVAL 3 DAY + INTERVAL 1500 MILLISECOND AS span, "
        "'nan'::DOUBLE AS nan, '-inf'::DOUBLE AS neg_inf, 0.1::DOUBLE AS dbl, true AS yes, "
        "'0bb74d9a-8bf6-4d4c-bcbe-7b53ded5e2ab'::UUID AS id, '{\"k\": [1]}'::JSON AS doc"
    )
    status, out, err = sql(capsys, "--format", "jsonl", query)
    assert (status, err) == (0, "")
    assert json.loads(out) == {
        "huge": "170141183460469231731687303715884105727",
        "list": [1, 2],
        "struct": {"a": "1.50"},
        "map": [[1, "x"]],
        "blob": "\\x006162",
        "time": "10:00:01",
        "tz": "2025-01-01T08:00:00+00:00",
        "span": "P1M3DT1.5S",
        "nan": "NaN",
        "neg_inf": "-Infinity",
        "dbl": 0.1,
        "yes": True,
        "id": "0bb74d9a-8bf6-4d4c-bcbe-7b53ded5e2ab",
        "doc": '{"k": [1]}',
    }


def test_repeated_column_names_stay_apart_in_every_format(
    duck: Warehouse, capsys: pytest.CaptureFixture[str]
) -> None:
    query = "SELECT 1 AS a, 2 AS a, 3 AS a_1"
    for limit in ("0", "5"):  # run as written, and inside the limiting query
        status, out, _ = sql(capsys, "--format", "jsonl", "--limit", limit, query)
        assert (status, json.loads(out)) == (0, {"a": 1, "a_1": 2, "a_1_1": 3}), limit
    status, out, _ = sql(capsys, "--format", "csv", "--limit", "0", query)
    assert out.splitlines()[0] == "a,a_1,a_1_1"


# --- read-only, one query ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "statement",
    [
        "INSERT INTO demo.figures (day) VALUES (DATE '2025-02-01')",
        "CREATE TABLE demo.other (x INTEGER)",
        "DELETE FROM demo.figures",
        "DROP TABLE demo.figures",
    ],
)
def test_the_engine_refuses_writes_on_the_commands_session(
    warehouse: Warehouse, monkeypatch: pytest.MonkeyPatch, statement: str
) -> None:
    """The guarantee is the session, not a look at the text: the engine itself refuses."""
    from event_analytics.sql_command.session import read_only_session

    warehouse.env(monkeypatch)
    with read_only_session() as session, pytest.raises(Exception) as refused:
        session.execute(statement)
    assert "read-only" in str(refused.value).lower().replace("read only", "read-only")
    assert warehouse.count() == 3


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("INSERT INTO demo.figures (day) VALUES (DATE '2025-02-01')", "INSERT statement"),
        ("CREATE TABLE demo.other AS SELECT 1", "CREATE statement"),
        ("COPY demo.figures TO 'out.csv'", "COPY statement"),
        ("ATTACH 'other.duckdb' AS other", "ATTACH statement"),
        ("SET memory_limit = '1GB'", "SET statement"),
        ("SELECT 1; SELECT 2", "2 statements"),
        ("SELECT 1; DELETE FROM demo.figures", "2 statements"),
        ("", "no query"),
        ("  -- only a comment\n", "no query"),
        ("SELECT * FROM demo.figures WHERE day = $day", "parameters ($day)"),
    ],
)
def test_anything_but_one_query_is_a_usage_error(
    duck: Warehouse, capsys: pytest.CaptureFixture[str], text: str, why: str
) -> None:
    status, out, err = sql(capsys, text)
    assert status == 2
    assert out == ""
    assert err.startswith("event-analytics sql: error: ") and why in err
    assert duck.count() == 3


@pytest.mark.parametrize(
    "text",
    [
        "SELECT * FROM demo.figures ORDER BY day;",
        "SELECT * FROM demo.figures ORDER BY day ; -- the last word\n",
        "SELECT * FROM demo.figures -- a comment at the end\nORDER BY day",
        "WITH f AS (SELECT * FROM demo.figures) SELECT * FROM f ORDER BY day",
        "FROM demo.figures ORDER BY day",
    ],
)
def test_one_query_may_end_with_a_semicolon_or_a_comment(
    duck: Warehouse, capsys: pytest.CaptureFixture[str], text: str
) -> None:
    for fmt in ("table", "jsonl"):
        status, out, err = sql(capsys, "--format", fmt, text)
        assert (status, err) == (0, ""), text
    assert [json.loads(line) for line in out.splitlines()] == EXPECTED_JSON


def test_describe_show_and_summarize_are_queries(
    duck: Warehouse, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out, _ = sql(capsys, "DESCRIBE demo.figures")
    assert status == 0 and "revenue" in out and "DECIMAL(38,4)" in out
    status, out, _ = sql(capsys, "--format", "jsonl", "SHOW TABLES FROM demo")
    assert status == 0 and json.loads(out)["name"] == "figures"
    status, out, _ = sql(capsys, "SUMMARIZE demo.figures")
    assert status == 0 and "(5 rows)" in out


def test_text_with_percent_signs_and_quotes_is_sent_as_written(
    warehouse: Warehouse, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    warehouse.env(monkeypatch)
    query = "SELECT label, 'it''s 100%' AS note FROM demo.figures WHERE label LIKE '%lai%'"
    status, out, err = sql(capsys, "--format", "jsonl", query)
    assert (status, err) == (0, "")
    assert json.loads(out) == {"label": "plain", "note": "it's 100%"}


# --- errors a script can tell apart -----------------------------------------------------------


def test_a_failing_query_exits_1_with_the_engines_message(
    warehouse: Warehouse, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    warehouse.env(monkeypatch)
    status, out, err = sql(capsys, "SELECT no_such_column FROM demo.figures")
    assert (status, out) == (1, "")
    assert err.startswith("event-analytics sql: error: the query failed: ")
    assert "no_such_column" in err
    status, _, err = sql(capsys, "SELECT * FROM demo.no_such_table")
    assert status == 1 and "no_such_table" in err
    status, _, err = sql(capsys, "SELEC 1")
    assert status == 1 and "syntax error" in err.lower()


def test_a_warehouse_that_cannot_be_opened_exits_1_naming_the_setting(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("WAREHOUSE_URL", f"duckdb:///{tmp_path / 'never-written.duckdb'}")
    status, out, err = sql(capsys, "SELECT 1")
    assert (status, out) == (1, "")
    assert "cannot open the warehouse" in err and "WAREHOUSE_URL" in err
    assert not (tmp_path / "never-written.duckdb").exists()  # reading never creates it

    monkeypatch.setenv("WAREHOUSE_URL", "mysql://reader:S3cret-0451@db.example/warehouse")
    status, _, err = sql(capsys, "SELECT 1")
    assert status == 1 and "WAREHOUSE_URL" in err and "S3cret-0451" not in err


def test_a_wrong_password_is_an_error_that_never_shows_the_password(
    postgres: PostgresServer, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    wrong = "Wr0ng-pw-0451-" + secrets.token_hex(4)
    url = postgres.url(with_password=True).replace(postgres.password, wrong)
    monkeypatch.setenv("WAREHOUSE_URL", url)
    monkeypatch.delenv("PGPASSWORD", raising=False)
    status, out, err = sql(capsys, "SELECT 1")
    assert (status, out) == (1, "")
    assert "cannot open the warehouse" in err and "WAREHOUSE_URL" in err
    assert wrong not in err and postgres.password not in err


def test_a_locked_duckdb_file_waits_then_exits_1_naming_the_timeout(
    duck: Warehouse,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A run writing the file holds DuckDB's lock: the command waits as long as
    DUCKDB_LOCK_TIMEOUT_SECONDS says, then says so."""
    path = duck.url.removeprefix("duckdb:///")
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import duckdb, sys; con = duckdb.connect(sys.argv[1]); print('held', flush=True); "
            "sys.stdin.read()",
            path,
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "held\n"
        monkeypatch.setenv("DUCKDB_LOCK_TIMEOUT_SECONDS", "1")
        began = time.monotonic()
        status, out, err = sql(capsys, "SELECT 1")
        waited = time.monotonic() - began
    finally:
        assert holder.stdin is not None
        holder.stdin.close()
        holder.wait(timeout=30)
    assert (status, out) == (1, "")
    assert "locked by another process" in err and "DUCKDB_LOCK_TIMEOUT_SECONDS=1" in err
    assert waited >= 0.5  # it did wait for the lock before giving up
    status, out, _ = sql(capsys, "SELECT 1 AS one")  # lock released: reads at once
    assert status == 0 and "(1 row)" in out


def test_usage_errors_exit_2_and_help_has_an_example(
    duck: Warehouse, capsys: pytest.CaptureFixture[str]
) -> None:
    assert sql(capsys)[0] == 2  # no query
    status, _, err = sql(capsys, "--format", "xml", "SELECT 1")
    assert status == 2 and "xml" in err
    status, _, err = sql(capsys, "--limit", "-1", "SELECT 1")
    assert status == 2 and "--limit" in err
    status, out, _ = sql(capsys, "--help")
    assert status == 0
    assert "event-analytics sql" in out and "--format jsonl" in out and "Exit status" in out


def test_the_command_line_parser_loads_neither_dagster_nor_a_warehouse_driver() -> None:
    """Every command builds the parser, `sql` included: `generate --help` must stay quick."""
    probe = (
        "import sys; from event_analytics.cli import build_parser; build_parser(); "
        "print(sorted(m for m in ('dagster', 'duckdb', 'pyarrow', 'psycopg') if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert (done.returncode, done.stdout) == (0, "[]\n"), done.stderr


# --- as a script runs it ----------------------------------------------------------------------


def test_the_installed_command_reads_stdin_and_exits_with_its_status(duck: Warehouse) -> None:
    env = {**os.environ, "WAREHOUSE_URL": duck.url, "DUCKDB_LOCK_TIMEOUT_SECONDS": "0"}
    command = [str(BIN / "event-analytics"), "sql", "--format", "jsonl", "-"]
    done = subprocess.run(command, input=ALL, env=env, capture_output=True, text=True)
    assert (done.returncode, done.stderr) == (0, "")
    assert [json.loads(line) for line in done.stdout.splitlines()] == EXPECTED_JSON
    # Not a terminal: the table is plain text, safe to pipe.
    done = subprocess.run([*command[:2], ALL], env=env, capture_output=True, text=True)
    assert done.returncode == 0 and done.stdout.splitlines()[-1] == "(3 rows)"
    failed = subprocess.run([*command[:2], "SELECT nope"], env=env, capture_output=True)
    refused = subprocess.run(
        [*command[:2], "DROP TABLE demo.figures"], env=env, capture_output=True
    )
    assert (failed.returncode, refused.returncode) == (1, 2)


def test_a_reader_that_stops_early_ends_the_command_quietly(duck: Warehouse) -> None:
    env = {**os.environ, "WAREHOUSE_URL": duck.url}
    query = "SELECT range AS n, repeat('x', 200) AS pad FROM range(200000)"
    shell = f'{BIN / "event-analytics"} sql --format jsonl "{query}" | head -n 1'
    done = subprocess.run(
        ["bash", "-o", "pipefail", "-c", shell], env=env, capture_output=True, text=True
    )
    assert json.loads(done.stdout)["n"] == 0
    assert "Traceback" not in done.stderr and "BrokenPipe" not in done.stderr
