"""Hostile and broken landing data: the run succeeds and every line is accounted for.

All the files of `hostile_corpus` land in ONE day's folder, next to each other, and that
day is materialized once through the real `raw_events` asset into a real DuckDB file. Each
case then gets its own assertions: the exact reason of every rejected line, the lines
loaded (and, where the case says, their stored values), and read = loaded + rejected for the
file. Corrupt files are reported by name while every other file of the same day loads.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from pathlib import Path
from typing import Any

import dagster as dg
import pytest

from harness import PLATFORM_ASSETS, Platform, metadata_of
from hostile_corpus import BLANK, DAY, IGNORED_FILES, LOADED, Case, corpus
from reference_model import clean, read_day, summarize

CASES = corpus()
DAY_DATE = dt.date.fromisoformat(DAY)
CORRUPT = sorted(case.path for case in CASES if case.corrupt)


def write_corpus(platform: Platform) -> None:
    folder = platform.landing_root / "events" / f"date={DAY}"
    folder.mkdir(parents=True, exist_ok=True)
    for case in CASES:
        (folder / case.file_name).write_bytes(case.content())
    for name, content in IGNORED_FILES.items():
        (folder / name).write_bytes(content)


@pytest.fixture(scope="module")
def hostile_day(
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[Platform, dg.ExecuteInProcessResult]:
    platform = Platform(tmp_path_factory.mktemp("hostile"))
    write_corpus(platform)
    return platform, platform.materialize(partition=DAY, assets=["raw_events"])


def _expected_counts(cases: tuple[Case, ...]) -> dict[str, int]:
    outcomes = [o for case in cases for o in case.outcomes().values()]
    return {
        "lines_read": sum(o != BLANK for o in outcomes),
        "blank_lines": outcomes.count(BLANK),
        "rows_loaded": outcomes.count(LOADED),
        "rows_rejected": sum(o not in (LOADED, BLANK) for o in outcomes),
    }


def test_the_run_succeeds_and_every_line_is_accounted_for(
    hostile_day: tuple[Platform, dg.ExecuteInProcessResult],
) -> None:
    _, result = hostile_day
    assert result.success
    meta = metadata_of(result, "raw_events")
    expected = _expected_counts(CASES)
    assert {key: meta[key] for key in expected} == expected
    assert meta["lines_read"] == meta["rows_loaded"] + meta["rows_rejected"]
    assert meta["files"] == len(CASES)
    # a corrupt file has no line read: it is reported by name, not among the line counts
    assert meta["corrupt_files"] == CORRUPT
    reasons = Counter(
        o for case in CASES for o in case.outcomes().values() if o not in (LOADED, BLANK)
    )
    assert meta["rejected_by_reason"] == dict(reasons)


@pytest.mark.parametrize("case", [c for c in CASES if not c.corrupt], ids=lambda c: c.name)
def test_each_line_gets_the_documented_outcome(
    hostile_day: tuple[Platform, dg.ExecuteInProcessResult], case: Case
) -> None:
    platform, _ = hostile_day
    outcomes = case.outcomes()
    rejected = platform.rows(
        "SELECT line_number, reason FROM raw.rejected_events WHERE source_file = ?", [case.path]
    )
    loaded = platform.rows("SELECT source_line FROM raw.events WHERE source_file = ?", [case.path])
    assert sorted(rejected) == [(n, o) for n, o in outcomes.items() if o not in (LOADED, BLANK)]
    assert sorted(n for (n,) in loaded) == [n for n, o in outcomes.items() if o == LOADED]
    [tally] = platform.rows(
        "SELECT status, lines_read, blank_lines, rows_loaded, rows_rejected "
        "FROM raw.landed_files WHERE source_file = ?",
        [case.path],
    )
    status, read, blank, rows_loaded, rows_rejected = tally
    assert status == "loaded"
    assert read == rows_loaded + rows_rejected == sum(o != BLANK for o in outcomes.values())
    assert blank == sum(o == BLANK for o in outcomes.values())


def _stored(row: dict[str, Any]) -> dict[str, Any]:
    for column in ("properties", "extra"):
        if row[column] is not None:
            row[column] = json.loads(row[column])
    return row


@pytest.mark.parametrize("case", [c for c in CASES if c.values], ids=lambda c: c.name)
def test_loaded_values_are_stored_verbatim(
    hostile_day: tuple[Platform, dg.ExecuteInProcessResult], case: Case
) -> None:
    platform, _ = hostile_day
    columns = ("event_id", "user_id", "event_type", "occurred_at", "revenue", "properties", "extra")
    for number, expected in case.values.items():
        [row] = platform.rows(
            f"SELECT {', '.join(columns)} FROM raw.events "  # noqa: S608 - constant columns
            "WHERE source_file = ? AND source_line = ?",
            [case.path, number],
        )
        stored = _stored(dict(zip(columns, row, strict=True)))
        assert {key: stored[key] for key in expected} == expected, f"line {number}"


@pytest.mark.parametrize("case", [c for c in CASES if c.details], ids=lambda c: c.name)
def test_rejections_explain_themselves(
    hostile_day: tuple[Platform, dg.ExecuteInProcessResult], case: Case
) -> None:
    platform, _ = hostile_day
    for number, text in case.details.items():
        [(detail,)] = platform.rows(
            "SELECT detail FROM raw.rejected_events WHERE source_file = ? AND line_number = ?",
            [case.path, number],
        )
        assert text in detail


def test_rejected_lines_keep_their_raw_text(
    hostile_day: tuple[Platform, dg.ExecuteInProcessResult],
) -> None:
    platform, _ = hostile_day
    by_name = {case.file_name: case for case in CASES}
    sql = by_name["sql-and-control.jsonl"]
    [(raw,)] = platform.rows(
        "SELECT raw_line FROM raw.rejected_events WHERE source_file = ? AND line_number = 3",
        [sql.path],
    )
    assert raw.encode() == sql.lines[2][0]
    utf8 = by_name["non-utf8.jsonl"]
    [(raw,)] = platform.rows(
        "SELECT raw_line FROM raw.rejected_events WHERE source_file = ? AND line_number = 1",
        [utf8.path],
    )
    assert "e\\xFF1" in raw  # the undecodable byte, escaped


def test_a_corrupt_file_is_reported_by_name_and_the_rest_of_the_day_loads(
    hostile_day: tuple[Platform, dg.ExecuteInProcessResult],
) -> None:
    platform, _ = hostile_day
    rows = platform.rows(
        "SELECT source_file, line_number, reason, detail FROM raw.rejected_events "
        "WHERE reason = 'corrupt_file' ORDER BY source_file"
    )
    assert [(f, n, r) for f, n, r, _ in rows] == [(f, None, "corrupt_file") for f in CORRUPT]
    for source_file, _, _, detail in rows:
        assert Path(source_file).name in detail
    assert platform.rows(
        "SELECT count(*) FROM raw.events WHERE source_file IN (SELECT unnest(?))", [CORRUPT]
    ) == [(0,)]
    statuses = dict(platform.rows("SELECT source_file, status FROM raw.landed_files"))
    assert statuses == {c.path: "corrupt" if c.corrupt else "loaded" for c in CASES}
    loaded_files = {f for (f,) in platform.rows("SELECT DISTINCT source_file FROM raw.events")}
    assert loaded_files == {c.path for c in CASES if LOADED in c.outcomes().values()}


def test_sql_text_leaves_every_table_intact(
    hostile_day: tuple[Platform, dg.ExecuteInProcessResult],
) -> None:
    platform, _ = hostile_day
    tables = {
        f"{schema}.{name}"
        for schema, name in platform.rows(
            "SELECT schema_name, table_name FROM duckdb_tables() WHERE NOT temporary"
        )
    }
    assert {"raw.events", "raw.rejected_events", "raw.landed_files"} <= tables
    assert platform.rows("SELECT count(*) > 0 FROM raw.rejected_events") == [(True,)]


def test_the_reference_model_reads_the_corpus_the_same_way(
    hostile_day: tuple[Platform, dg.ExecuteInProcessResult],
) -> None:
    """The hand-written outcomes, the SQL and the oracle all agree on every line."""
    platform, _ = hostile_day
    expected = read_day(platform.landing_root, DAY_DATE)
    assert sorted(expected.corrupt_files) == CORRUPT
    written = {
        (case.path, number, outcome)
        for case in CASES
        for number, outcome in case.outcomes().items()
        if outcome != BLANK
    }
    modelled = {(r.source_file, r.line_number, r.reason) for r in expected.rejected}
    modelled |= {(row["source_file"], row["source_line"], LOADED) for row in expected.rows}
    corrupt = {(path, None, "corrupt_file") for path in CORRUPT}
    assert modelled == written | corrupt


def test_downstream_assets_survive_the_hostile_day(tmp_path: Path) -> None:
    platform = Platform(tmp_path)
    write_corpus(platform)
    result = platform.materialize(partition=DAY, assets=PLATFORM_ASSETS)
    assert result.success
    expected = summarize(clean(read_day(platform.landing_root, DAY_DATE).rows), DAY_DATE)
    [row] = platform.rows(
        "SELECT events, active_users, purchases, revenue FROM analytics.daily_summary"
    )
    assert row == (
        expected["events"],
        expected["active_users"],
        expected["purchases"],
        expected["revenue"],
    )
