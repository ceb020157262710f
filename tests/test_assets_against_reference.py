"""Each asset, on generated data, equals an independent plain-Python reading of the files."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from harness import Platform, metadata_of
from reference_model import clean, read_day, summarize

START = dt.date(2025, 1, 1)
DAYS = [START + dt.timedelta(days=i) for i in range(3)]


@pytest.fixture
def loaded(platform: Platform) -> Platform:
    platform.generate(START, days=len(DAYS), events_per_day=3000, seed=11)
    for day in DAYS:
        result = platform.materialize(partition=day.isoformat())
        assert result.success
    return platform


def _raw_key(row: dict) -> tuple:
    return (
        row["event_id"],
        row["user_id"],
        row["event_type"],
        row["occurred_at"],
        row["event_date"],
        row["revenue"],
        row["source_file"],
        row["source_line"],
    )


RAW_COLUMNS = (
    "event_id, user_id, event_type, occurred_at, event_date, revenue, source_file, source_line"
)


@pytest.mark.parametrize("day", DAYS, ids=str)
def test_raw_events_holds_exactly_the_usable_lines(loaded: Platform, day: dt.date) -> None:
    expected = read_day(loaded.landing_root, day)
    actual = loaded.rows(
        f"SELECT {RAW_COLUMNS} FROM raw.events WHERE event_date = ?",  # noqa: S608
        [day],
    )
    assert sorted(actual) == sorted(_raw_key(r) for r in expected.rows)
    assert expected.rejected, "the generator must produce some bad lines"


@pytest.mark.parametrize("day", DAYS, ids=str)
def test_every_bad_line_is_quarantined_with_its_reason(loaded: Platform, day: dt.date) -> None:
    expected = read_day(loaded.landing_root, day)
    actual = loaded.rows(
        "SELECT source_file, line_number, reason FROM raw.rejected_events WHERE partition_date = ?",
        [day],
    )
    assert sorted(actual, key=repr) == sorted(
        ((r.source_file, r.line_number, r.reason) for r in expected.rejected), key=repr
    )


def test_lines_read_equals_loaded_plus_rejected(platform: Platform) -> None:
    platform.generate(START, days=1, events_per_day=2000, seed=3)
    result = platform.materialize(partition=START.isoformat(), assets=["raw_events"])
    meta = metadata_of(result, "raw_events")
    expected = read_day(platform.landing_root, START)
    lines_read = meta["lines_read"]
    assert lines_read == expected.lines_read
    assert meta["rows_loaded"] == len(expected.rows)
    assert meta["rows_rejected"] == len(expected.rejected)
    assert lines_read == meta["rows_loaded"] + meta["rows_rejected"]
    assert meta["blank_lines"] == expected.blank_lines


@pytest.mark.parametrize("day", DAYS, ids=str)
def test_cleaned_events_match_reference(loaded: Platform, day: dt.date) -> None:
    expected = clean(read_day(loaded.landing_root, day).rows)
    actual = loaded.rows(
        f"SELECT {RAW_COLUMNS} FROM analytics.cleaned_events WHERE event_date = ?",  # noqa: S608
        [day],
    )
    assert sorted(actual) == sorted(_raw_key(r) for r in expected)
    assert len({row[0] for row in actual}) == len(actual)


@pytest.mark.parametrize("day", DAYS, ids=str)
def test_daily_summary_matches_reference_exactly(loaded: Platform, day: dt.date) -> None:
    expected = summarize(clean(read_day(loaded.landing_root, day).rows), day)
    [row] = loaded.rows(
        "SELECT date, events, active_users, purchases, revenue "
        "FROM analytics.daily_summary WHERE date = ?",
        [day],
    )
    assert row == (
        expected["date"],
        expected["events"],
        expected["active_users"],
        expected["purchases"],
        expected["revenue"],
    )
    assert isinstance(row[4], Decimal)
    assert expected["revenue"] > 0 and expected["purchases"] > 0


def test_summary_metadata_reports_plottable_figures(platform: Platform) -> None:
    platform.generate(START, days=1, events_per_day=1500, seed=5)
    result = platform.materialize(partition=START.isoformat())
    meta = metadata_of(result, "daily_summary")
    expected = summarize(clean(read_day(platform.landing_root, START).rows), START)
    assert meta["active_users"] == expected["active_users"]
    assert Decimal(meta["revenue_exact"]) == expected["revenue"]
    assert isinstance(meta["revenue"], float)
    assert meta["events"] == expected["events"]
