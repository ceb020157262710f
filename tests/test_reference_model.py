"""Tests for the plain-Python reference model of the landing-zone contract."""

from __future__ import annotations

import gzip
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from reference_model import (
    CORRUPT_FILE,
    REASON_CODES,
    Rejection,
    clean,
    read_day,
    reason_for,
    summarize,
)

DAY = date(2025, 1, 1)
FOLDER = "events/date=2025-01-01"
VALID = (
    '{"event_id": "e1", "user_id": "u1", "event_type": "page_view", '
    '"occurred_at": "2025-01-01T10:00:00Z"'
)


def line(tail: str = "") -> str:
    """A valid event line with ``tail`` (e.g. ``', "revenue": 1'``) added before the brace."""
    return VALID + tail + "}"


def write(root: Path, name: str, content: bytes | str, day: date = DAY) -> Path:
    """Write one file into ``day``'s folder under ``root`` and return its path."""
    folder = root / "events" / f"date={day.isoformat()}"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
    return path


def event(
    event_id: str,
    user_id: str | None,
    occurred_at: str,
    source_line: int,
    source_file: str = f"{FOLDER}/a.jsonl",
    event_type: str = "page_view",
    revenue: str = "0",
) -> dict[str, object]:
    """A loaded row as :func:`reference_model.read_day` returns it (for clean/summarize)."""
    return {
        "event_id": event_id,
        "user_id": user_id,
        "event_type": event_type,
        "occurred_at": datetime.fromisoformat(occurred_at),
        "event_date": DAY,
        "revenue": Decimal(revenue).quantize(Decimal("0.0001")),
        "properties": None,
        "extra": None,
        "source_file": source_file,
        "source_line": source_line,
    }


# One handcrafted line per reason code (the first rule it breaks is the expected one).
REASON_CASES: list[tuple[bytes | str, str]] = [
    (
        b'{"event_id": "e1\xff", "event_type": "x", "occurred_at": "2025-01-01T10:00:00Z"}',
        "invalid_utf8",
    ),
    ('{"event_id": "e1", "event_type": "page_view"', "invalid_json"),
    ("[1, 2, 3]", "not_an_object"),
    (line(', "event_type": "purchase"'), "duplicate_key"),
    (
        '{"user_id": "u1", "event_type": "x", "occurred_at": "2025-01-01T10:00:00Z"}',
        "missing_event_id",
    ),
    (
        '{"event_id": 42, "event_type": "x", "occurred_at": "2025-01-01T10:00:00Z"}',
        "invalid_event_id",
    ),
    (
        '{"event_id": "e1", "user_id": 7, "event_type": "x", '
        '"occurred_at": "2025-01-01T10:00:00Z"}',
        "invalid_user_id",
    ),
    ('{"event_id": "e1", "occurred_at": "2025-01-01T10:00:00Z"}', "missing_event_type"),
    (
        '{"event_id": "e1", "event_type": "", "occurred_at": "2025-01-01T10:00:00Z"}',
        "invalid_event_type",
    ),
    ('{"event_id": "e1", "event_type": "x"}', "missing_occurred_at"),
    (
        '{"event_id": "e1", "event_type": "x", "occurred_at": "2025-01-01T10:00:00"}',
        "invalid_occurred_at",
    ),
    (
        '{"event_id": "e1", "event_type": "x", "occurred_at": "2024-12-31T23:59:59Z"}',
        "occurred_at_outside_partition",
    ),
    (line(', "revenue": "19.99"'), "invalid_revenue"),
    (line(', "revenue": -0.01'), "negative_revenue"),
    (line(', "revenue": 100000000000000'), "revenue_out_of_range"),
    (line(', "revenue": 1.00001'), "revenue_too_precise"),
    (line(', "properties": "path=/home"'), "invalid_properties"),
]


def test_every_reason_code_has_a_case() -> None:
    assert [reason for _, reason in REASON_CASES] == list(REASON_CODES)


@pytest.mark.parametrize(("text", "reason"), REASON_CASES, ids=[r for _, r in REASON_CASES])
def test_each_reason_code(text: bytes | str, reason: str) -> None:
    assert reason_for(text, DAY) == reason


@pytest.mark.parametrize(
    ("tail", "reason"),
    [
        (', "event_id": null', "duplicate_key"),
        (', "revenue": NaN', "invalid_revenue"),
        (', "revenue": Infinity', "invalid_revenue"),
        (', "revenue": -Infinity', "invalid_revenue"),
        (', "revenue": true', "invalid_revenue"),
        (', "revenue": {"amount": 1}', "invalid_revenue"),
        (', "revenue": 1e14', "revenue_out_of_range"),
        (', "revenue": -1e20', "negative_revenue"),
        (', "revenue": 1e-5', "revenue_too_precise"),
        (', "revenue": 1.00000000000000000000000000000001', "revenue_too_precise"),
        (', "revenue": -0.00001', "negative_revenue"),
        (', "properties": [1]', "invalid_properties"),
        (', "properties": 3', "invalid_properties"),
    ],
)
def test_more_field_rules(tail: str, reason: str) -> None:
    assert reason_for(line(tail), DAY) == reason


@pytest.mark.parametrize(
    ("occurred_at", "reason"),
    [
        ("2025-01-01T10:00:00+05:30", None),
        ("2025-01-01 10:00:00.1-0800", None),
        ("2025-01-01T10:00:00.123456Z", None),
        ("2025-01-01T00:00:01-08:00", None),
        ("2025-01-02T05:29:59+05:30", None),
        ("2025-01-01T00:00:01+05:30", "occurred_at_outside_partition"),
        ("2024-12-31T16:00:00-08:00", None),
        ("2025-01-01T10:00:00.1234567Z", "invalid_occurred_at"),
        ("2025-01-01T10:00:00.Z", "invalid_occurred_at"),
        ("2025-01-01t10:00:00Z", "invalid_occurred_at"),
        ("2025-01-01T10:00Z", "invalid_occurred_at"),
        ("2025-02-30T10:00:00Z", "invalid_occurred_at"),
        ("2025-01-01T24:00:00Z", "invalid_occurred_at"),
        ("2025-01-01T10:00:00+5:30", "invalid_occurred_at"),
        ("2025-01-01T10:00:00+05:60", "invalid_occurred_at"),
        ("2025-01-01T10:00:00 +05:30", "invalid_occurred_at"),
        ("2025-01-01T10:00:00+05", "invalid_occurred_at"),
    ],
)
def test_timestamp_rules(occurred_at: str, reason: str | None) -> None:
    text = f'{{"event_id": "e1", "event_type": "x", "occurred_at": "{occurred_at}"}}'
    assert reason_for(text, DAY) == reason


def test_non_string_timestamp_is_invalid() -> None:
    text = '{"event_id": "e1", "event_type": "x", "occurred_at": 1735725600}'
    assert reason_for(text, DAY) == "invalid_occurred_at"


def test_first_failing_rule_wins() -> None:
    text = '{"event_type": 5, "occurred_at": "nope", "revenue": "x", "properties": 1}'
    assert reason_for(text, DAY) == "missing_event_id"
    assert reason_for(line(', "revenue": -1.000001'), DAY) == "negative_revenue"
    assert reason_for(line(', "revenue": "x", "properties": 1'), DAY) == "invalid_revenue"


def test_valid_line_is_loaded_with_converted_fields(tmp_path: Path) -> None:
    text = (
        '{"event_id": "e1", "user_id": "", "event_type": "purchase", '
        '"occurred_at": "2025-01-01 05:30:00.5+05:30", "revenue": 12.50, '
        '"properties": {"price": 1.5, "tags": [1]}, "app_version": "3.2.1", "x": null}\n'
    )
    write(tmp_path, "a.jsonl", text)
    result = read_day(tmp_path, DAY)
    assert result.rejected == []
    assert result.rows == [
        {
            "event_id": "e1",
            "user_id": None,
            "event_type": "purchase",
            "occurred_at": datetime(2025, 1, 1, 0, 0, 0, 500000),
            "event_date": DAY,
            "revenue": Decimal("12.5000"),
            "properties": {"price": Decimal("1.5"), "tags": [Decimal(1)]},
            "extra": {"app_version": "3.2.1", "x": None},
            "source_file": f"{FOLDER}/a.jsonl",
            "source_line": 1,
        }
    ]
    assert str(result.rows[0]["revenue"]) == "12.5000"


@pytest.mark.parametrize(
    ("tail", "revenue"),
    [
        ("", "0"),
        (', "revenue": null', "0"),
        (', "revenue": -0', "0"),
        (', "revenue": 1.50000', "1.5"),
        (', "revenue": 1E+2', "100"),
        (', "revenue": 99999999999999.9999', "99999999999999.9999"),
        (', "revenue": 0.0001', "0.0001"),
    ],
)
def test_accepted_revenue(tmp_path: Path, tail: str, revenue: str) -> None:
    write(tmp_path, "a.jsonl", line(tail))
    (row,) = read_day(tmp_path, DAY).rows
    assert row["revenue"] == Decimal(revenue)
    assert row["revenue"].as_tuple().exponent == -4


def test_nested_duplicate_keys_and_user_id_forms(tmp_path: Path) -> None:
    lines = [
        '{"event_id": "e1", "event_type": "x", "occurred_at": "2025-01-01T01:00:00Z", '
        '"properties": {"a": 1, "a": 2}}',
        '{"event_id": "e2", "user_id": null, "event_type": "x", '
        '"occurred_at": "2025-01-01T01:00:00Z"}',
        '{"event_id": "e3", "user_id": "u9", "event_type": "x", '
        '"occurred_at": "2025-01-01T01:00:00Z", "properties": null}',
    ]
    write(tmp_path, "a.jsonl", "\n".join(lines))
    rows = read_day(tmp_path, DAY).rows
    assert [r["user_id"] for r in rows] == [None, None, "u9"]
    assert rows[0]["properties"] == {"a": Decimal(2)}
    assert rows[2]["properties"] is None


def test_bom_crlf_blank_lines_and_numbering(tmp_path: Path) -> None:
    content = (
        b"\xef\xbb\xbf" + line().encode() + b"\r\n"
        b"\r\n"
        b"   \t \r\n"
        b"not json\r\n"
        b"\n" + line().replace('"e1"', '"e2"').encode()  # last line without a newline
    )
    write(tmp_path, "a.jsonl", content)
    result = read_day(tmp_path, DAY)
    assert [(r["event_id"], r["source_line"]) for r in result.rows] == [("e1", 1), ("e2", 6)]
    assert result.rejected == [Rejection(f"{FOLDER}/a.jsonl", 4, "invalid_json")]
    assert result.blank_lines == 3
    assert result.lines_read == 3 == len(result.rows) + len(result.rejected)


def test_bom_only_at_file_start_and_trailing_newline(tmp_path: Path) -> None:
    write(tmp_path, "a.jsonl", line() + "\n\ufeff" + line() + "\n")
    result = read_day(tmp_path, DAY)
    assert result.lines_read == 2
    assert result.blank_lines == 0
    assert result.rejected == [Rejection(f"{FOLDER}/a.jsonl", 2, "invalid_json")]


def test_corrupt_gzip_is_one_rejection_and_the_day_still_loads(tmp_path: Path) -> None:
    good = gzip.compress((line() + "\n").encode())
    write(tmp_path, "a.jsonl.gz", good)
    write(tmp_path, "b.jsonl.gz", good[:-6])  # truncated stream
    write(tmp_path, "c.ndjson.gz", b"definitely not gzip")
    write(tmp_path, "d.json", line().replace('"e1"', '"e2"'))
    result = read_day(tmp_path, DAY)
    assert [r["source_file"] for r in result.rows] == [f"{FOLDER}/a.jsonl.gz", f"{FOLDER}/d.json"]
    assert result.rejected == [
        Rejection(f"{FOLDER}/b.jsonl.gz", None, CORRUPT_FILE),
        Rejection(f"{FOLDER}/c.ndjson.gz", None, CORRUPT_FILE),
    ]
    assert result.corrupt_files == [f"{FOLDER}/b.jsonl.gz", f"{FOLDER}/c.ndjson.gz"]
    assert result.lines_read == 2


def test_file_selection_and_order(tmp_path: Path) -> None:
    for name in ["b.jsonl", "a.ndjson", "_tmp.jsonl", ".hidden.jsonl", "notes.txt", "c.json.tmp"]:
        write(tmp_path, name, line())
    (tmp_path / FOLDER / "sub.jsonl").mkdir()
    result = read_day(tmp_path, DAY)
    assert result.files == [f"{FOLDER}/a.ndjson", f"{FOLDER}/b.jsonl"]
    assert result.lines_read_by_file == {f"{FOLDER}/a.ndjson": 1, f"{FOLDER}/b.jsonl": 1}


def test_missing_or_empty_folder_is_an_empty_day(tmp_path: Path) -> None:
    assert read_day(tmp_path, DAY).rows == []
    write(tmp_path, "empty.jsonl", b"")
    result = read_day(tmp_path, DAY)
    assert (result.rows, result.rejected, result.lines_read) == ([], [], 0)
    assert summarize(clean(result.rows), DAY) == {
        "date": DAY,
        "events": 0,
        "active_users": 0,
        "purchases": 0,
        "revenue": Decimal(0),
    }


def test_other_days_folders_are_not_read(tmp_path: Path) -> None:
    write(tmp_path, "a.jsonl", line(), day=date(2025, 1, 2))
    assert read_day(tmp_path, DAY).lines_read == 0


def test_clean_drops_unknown_users_and_keeps_earliest_copy() -> None:
    rows = [
        event("e1", "u1", "2025-01-01T10:00:05", 1),
        event("e1", "u1", "2025-01-01T10:00:00", 2),  # earlier: wins
        event("e2", None, "2025-01-01T09:00:00", 3),  # unknown user: dropped
        event("e2", "u2", "2025-01-01T11:00:00", 4),  # the only known copy
    ]
    assert [(r["event_id"], r["source_line"]) for r in clean(rows)] == [("e1", 2), ("e2", 4)]


def test_clean_tie_break_by_source_file_then_line() -> None:
    at = "2025-01-01T10:00:00"
    rows = [
        event("e1", "u1", at, 7, source_file=f"{FOLDER}/b.jsonl"),
        event("e1", "u1", at, 9, source_file=f"{FOLDER}/a.jsonl"),
        event("e1", "u1", at, 3, source_file=f"{FOLDER}/a.jsonl"),
    ]
    (kept,) = clean(rows)
    assert (kept["source_file"], kept["source_line"]) == (f"{FOLDER}/a.jsonl", 3)


def test_summarize_counts_and_exact_revenue() -> None:
    rows = [
        event("e1", "u1", "2025-01-01T10:00:00", 1, event_type="purchase", revenue="0.1"),
        event("e2", "u1", "2025-01-01T10:01:00", 2, event_type="purchase", revenue="0.2"),
        event("e3", "u2", "2025-01-01T10:02:00", 3, revenue="0.0001"),
    ]
    summary = summarize(clean(rows), DAY)
    assert summary == {
        "date": DAY,
        "events": 3,
        "active_users": 2,
        "purchases": 2,
        "revenue": Decimal("0.3001"),
    }
