"""Parity: one landing zone through DuckDB and through PostgreSQL gives the same tables, row
for row, and the same check verdicts.

The landing zone holds generated days (re-sends, unknown users, every rejection reason, events
near midnight, gzip and CRLF files) and, in its first day, every file of the hostile corpus
(non-UTF-8 bytes, 16 MiB lines, NaN in properties, SQL text, control characters, ...). Each
platform loads the same copy of it (modification times kept, so `raw.landed_files` can be
compared too) in one range run with every check, then builds the dbt marts as production
does: the daily ones as a range run, then the history ones. Every table is then read through
the warehouse seam on both sides and compared whole.
"""

from __future__ import annotations

import datetime as dt
import shutil
from dataclasses import dataclass
from typing import Any

import dagster as dg
import pytest

from harness import TABLES, Platform
from hostile_corpus import corpus
from marts_harness import MART_QUERIES, check_outcomes, run_marts
from postgres_server import PostgresPlatform, PostgresServer
from test_hostile_input import write_corpus

pytestmark = pytest.mark.slow

FIRST = dt.date(2025, 1, 1)
DAYS = 4
LAST = (FIRST + dt.timedelta(days=DAYS - 1)).isoformat()
MARTS = tuple(f"marts.{name}" for name in MART_QUERIES)


@dataclass(frozen=True)
class Loaded:
    """A platform after the runs: its tables, as the seam reads them, and its check verdicts."""

    tables: dict[str, list[tuple[Any, ...]]]
    checks: dict[tuple[str, str | None], bool]


def _verdicts(*results: dg.ExecuteInProcessResult) -> dict[tuple[str, str | None], bool]:
    return {
        (evaluation.check_name, evaluation.partition): evaluation.passed
        for result in results
        for evaluation in result.get_asset_check_evaluations()
    }


def _normalized(value: Any) -> Any:
    # The marts' rates (stickiness, conversion, retention) are floating-point divisions; the
    # engines may reach them through different intermediate types, so they are compared to 12
    # places, far below any figure's meaning. Every other value is compared exactly.
    return round(value, 12) if isinstance(value, float) else value


def _read(platform: Platform, table: str) -> list[tuple[Any, ...]]:
    # The table name comes from the constant lists above, never from input.
    rows = platform_rows(platform, f"SELECT * FROM {table}")  # noqa: S608
    return sorted((tuple(_normalized(v) for v in row) for row in rows), key=repr)


def platform_rows(platform: Platform, sql: str) -> list[tuple[Any, ...]]:
    """Rows through the warehouse seam, whatever the backend (DuckDB's reader included)."""
    with platform.resources["warehouse"].connect(read_only=True) as session:
        table = session.fetch_arrow(sql)
    return list(zip(*(column.to_pylist() for column in table.columns), strict=True))


def _load(platform: Platform) -> Loaded:
    load = platform.materialize(partition_range=(FIRST.isoformat(), LAST), checks=True)
    assert load.success
    daily = run_marts(platform, partitions=(FIRST.isoformat(), LAST))
    history = run_marts(platform)
    assert all(check_outcomes(daily, history).values())
    return Loaded(
        tables={table: _read(platform, table) for table in (*TABLES, *MARTS)},
        checks=_verdicts(load, daily, history),
    )


@pytest.fixture(scope="module")
def loaded(
    postgres: PostgresServer, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Loaded, Loaded]:
    duck = Platform(tmp_path_factory.mktemp("parity-duckdb"))
    duck.generate(FIRST, days=DAYS, events_per_day=1500, seed=11)
    write_corpus(duck)  # into the first day's folder, beside its generated files
    pg = PostgresPlatform(tmp_path_factory.mktemp("parity-postgres"), postgres)
    shutil.copytree(duck.landing_root, pg.landing_root, dirs_exist_ok=True)
    return _load(duck), _load(pg)


@pytest.mark.parametrize("table", [*TABLES, *MARTS])
def test_the_same_table_on_duckdb_and_postgres(loaded: tuple[Loaded, Loaded], table: str) -> None:
    duck, pg = loaded
    assert duck.tables[table], f"{table} is empty: the scenario proves nothing"
    assert len(pg.tables[table]) == len(duck.tables[table])
    different = [
        (on_duck, on_pg)
        for on_duck, on_pg in zip(duck.tables[table], pg.tables[table], strict=True)
        if on_duck != on_pg
    ]
    assert not different, f"{len(different)} row(s) differ, the first: {different[0]}"


def test_the_scenario_covers_hostile_and_rejected_lines(loaded: tuple[Loaded, Loaded]) -> None:
    duck, _ = loaded
    reasons = {row[4] for row in duck.tables["raw.rejected_events"]}
    assert len(reasons) >= 17  # every line reason, and the corrupt files
    assert any(
        row[3] and len(row[3]) >= 16 * 1024 * 1024 for row in duck.tables["raw.rejected_events"]
    )


def test_the_same_check_verdicts_on_duckdb_and_postgres(loaded: tuple[Loaded, Loaded]) -> None:
    duck, pg = loaded
    assert len(duck.checks) >= 5 * DAYS
    assert pg.checks == duck.checks


def test_revenue_is_the_same_to_the_cent_and_exact(loaded: tuple[Loaded, Loaded]) -> None:
    duck, pg = loaded
    revenue = [row[4] for row in pg.tables["analytics.daily_summary"]]
    assert revenue == [row[4] for row in duck.tables["analytics.daily_summary"]]
    assert all(value.as_tuple().exponent == -4 for value in revenue)  # DECIMAL(38,4) both


def test_a_raw_nul_byte_is_kept_as_its_escape_on_both(loaded: tuple[Loaded, Loaded]) -> None:
    """PostgreSQL's text cannot hold NUL: the rejected line keeps `\\x00` on every backend."""
    [case] = [c for c in corpus() if c.file_name == "sql-and-control.jsonl"]
    number = next(n for n, (raw, _) in enumerate(case.lines, start=1) if b"\x00" in raw)
    expected = case.lines[number - 1][0].decode().replace("\x00", "\\x00")
    for side in loaded:
        [raw_line] = [
            row[3]
            for row in side.tables["raw.rejected_events"]
            if (row[1], row[2]) == (case.path, number)
        ]
        assert raw_line == expected
