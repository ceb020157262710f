"""Tests for the sample-data generator and the ``generate`` command.

The generated content is checked against the independent reference model of the contract,
so "about 0.5% malformed lines" means "about 0.5% of lines the contract rejects".
"""

from __future__ import annotations

import gzip
from collections import Counter
from datetime import date, datetime, time, timedelta
from pathlib import Path

import pytest

from event_analytics.cli import main
from event_analytics.landing import LandingZoneResource
from event_analytics.sample_data import (
    MALFORMED_REASONS,
    SAMPLE_MARKER,
    GenerationSummary,
    RefusedDestinationError,
    generate_landing_zone,
    plan_parts,
)
from reference_model import DayExpectation, read_day

START = date(2025, 1, 1)  # an even ordinal: its first part is a BOM + CRLF file
DAYS = 3
EVENTS = 4_000
SEED = 11


def snapshot(root: Path) -> dict[str, bytes]:
    """Every file under ``root`` by relative POSIX path, with its bytes."""
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def day_dir(root: Path, day: date) -> Path:
    """The landing folder of ``day``."""
    return root / "events" / f"date={day.isoformat()}"


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, GenerationSummary]:
    """Three days of 4,000 lines, generated once for the content tests."""
    root = tmp_path_factory.mktemp("landing")
    return root, generate_landing_zone(root, START, DAYS, EVENTS, SEED)


@pytest.fixture(scope="module")
def expected(generated: tuple[Path, GenerationSummary]) -> list[DayExpectation]:
    """What the reference model loads from each generated day."""
    root, _summary = generated
    return [read_day(root, START + timedelta(days=k)) for k in range(DAYS)]


# --------------------------------------------------------------------------------------------
# Determinism and layout
# --------------------------------------------------------------------------------------------


def test_same_arguments_give_identical_bytes(tmp_path: Path) -> None:
    generate_landing_zone(tmp_path / "a", START, 2, 1_500, SEED)
    generate_landing_zone(tmp_path / "b", START, 2, 1_500, SEED)
    first = snapshot(tmp_path / "a")
    assert first == snapshot(tmp_path / "b")
    generate_landing_zone(tmp_path / "a", START, 2, 1_500, SEED)  # re-run over existing files
    assert snapshot(tmp_path / "a") == first


def test_a_day_does_not_depend_on_the_other_days_generated(tmp_path: Path) -> None:
    generate_landing_zone(tmp_path / "one", START, 1, 1_500, SEED)
    generate_landing_zone(tmp_path / "three", START - timedelta(days=1), 3, 1_500, SEED)
    assert snapshot(day_dir(tmp_path / "one", START)) == snapshot(
        day_dir(tmp_path / "three", START)
    )


def test_the_seed_changes_the_content(tmp_path: Path) -> None:
    generate_landing_zone(tmp_path / "a", START, 1, 500, 1)
    generate_landing_zone(tmp_path / "b", START, 1, 500, 2)
    assert snapshot(tmp_path / "a") != snapshot(tmp_path / "b")


def test_layout_and_summary(generated: tuple[Path, GenerationSummary]) -> None:
    root, summary = generated
    assert (summary.days, summary.files, summary.lines_written) == (DAYS, 2 * DAYS, DAYS * EVENTS)
    assert summary.lines_per_day == {START + timedelta(days=k): EVENTS for k in range(DAYS)}
    written = sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())
    expected = sorted(p.relative_to(root).as_posix() for p in summary.paths)
    assert written == sorted([*expected, SAMPLE_MARKER])  # the marker, at the root
    for k in range(DAYS):
        day = START + timedelta(days=k)
        names = sorted(p.name for p in day_dir(root, day).iterdir())
        assert names == ["part-00000.jsonl", "part-00001.jsonl.gz"]
        gz = (day_dir(root, day) / "part-00001.jsonl.gz").read_bytes()
        assert gz[4:8] == b"\0\0\0\0"  # no mtime in the gzip header
        assert gzip.decompress(gz).count(b"\n") > 0


def test_windows_part_only_on_even_days(generated: tuple[Path, GenerationSummary]) -> None:
    root, _summary = generated
    for k in range(DAYS):
        day = START + timedelta(days=k)
        content = (day_dir(root, day) / "part-00000.jsonl").read_bytes()
        windows = day.toordinal() % 2 == 0
        assert content.startswith(b"\xef\xbb\xbf") == windows
        assert (content.count(b"\r\n") == content.count(b"\n")) == windows


def test_parts_split_large_days() -> None:
    parts = plan_parts(600_000, START)
    assert [p.name for p in parts] == [
        "part-00000.jsonl",
        "part-00001.jsonl",
        "part-00002.jsonl.gz",
    ]
    assert [p.count for p in parts] == [200_000, 200_000, 200_000]
    assert [p.first for p in parts] == [0, 200_000, 400_000]
    assert sum(p.count for p in plan_parts(7, START)) == 7


def test_rerun_replaces_its_own_files_only(tmp_path: Path) -> None:
    generate_landing_zone(tmp_path, START, 1, 200, SEED)
    folder = day_dir(tmp_path, START)
    (folder / "part-00007.jsonl").write_text("{}\n")
    (folder / ".part-00000.jsonl").write_text("half-written")
    (folder / "manual.jsonl").write_text("{}\n")
    generate_landing_zone(tmp_path, START, 1, 200, SEED)
    assert sorted(p.name for p in folder.iterdir()) == [
        "manual.jsonl",
        "part-00000.jsonl",
        "part-00001.jsonl.gz",
    ]


@pytest.mark.parametrize(
    ("start", "days", "events"),
    [(START, 0, 10), (START, 1, 0), (date(9999, 12, 31), 1, 10), (date(9999, 12, 29), 3, 10)],
)
def test_bad_arguments_raise(tmp_path: Path, start: date, days: int, events: int) -> None:
    with pytest.raises(ValueError, match="must"):
        generate_landing_zone(tmp_path, start, days, events, SEED)


# --------------------------------------------------------------------------------------------
# Content, read through the reference model
# --------------------------------------------------------------------------------------------


def test_every_line_is_accounted_for(
    generated: tuple[Path, GenerationSummary], expected: list[DayExpectation]
) -> None:
    _root, summary = generated
    for day_summary, result in zip(summary.per_day, expected, strict=True):
        assert result.corrupt_files == []
        assert result.lines_read == day_summary.lines == len(result.rows) + len(result.rejected)
        assert result.blank_lines == day_summary.blank_lines > 0
        assert len(result.rejected) == day_summary.malformed_lines


def test_rejected_share_and_every_claimed_reason(expected: list[DayExpectation]) -> None:
    for result in expected:
        assert 0.003 <= len(result.rejected) / result.lines_read <= 0.01
        assert {r.reason for r in result.rejected} == set(MALFORMED_REASONS)


def test_unknown_user_share(expected: list[DayExpectation]) -> None:
    rows = [row for result in expected for row in result.rows]
    share = sum(1 for row in rows if row["user_id"] is None) / len(rows)
    assert 0.02 <= share <= 0.045


def test_duplicates_share_and_later_copies(expected: list[DayExpectation]) -> None:
    for result in expected:
        copies = Counter(row["event_id"] for row in result.rows)
        resent = sum(count - 1 for count in copies.values())
        assert 0.01 <= resent / len(result.rows) <= 0.03
        first_seen: dict[str, datetime] = {}
        later = 0
        for row in result.rows:
            seen = first_seen.setdefault(row["event_id"], row["occurred_at"])
            later += row["occurred_at"] > seen
        assert later > 0


def test_event_ids_are_unique_across_days(expected: list[DayExpectation]) -> None:
    per_day = [{row["event_id"] for row in result.rows} for result in expected]
    assert sum(len(ids) for ids in per_day) == len(set().union(*per_day))


def test_events_near_midnight_with_offsets(
    generated: tuple[Path, GenerationSummary], expected: list[DayExpectation]
) -> None:
    root, _summary = generated
    for result in expected:
        clock = [row["occurred_at"].time() for row in result.rows]
        assert any(t < time(0, 0, 10) for t in clock)
        assert any(t >= time(23, 59, 50) for t in clock)
        text = b"".join(
            p.read_bytes() if p.suffix != ".gz" else gzip.decompress(p.read_bytes())
            for p in day_dir(root, result.day).iterdir()
        )
        before = (result.day - timedelta(days=1)).isoformat()
        after = (result.day + timedelta(days=1)).isoformat()
        assert f'"{before}T16:00:0'.encode() in text  # 00:00:0x UTC written at -08:00
        assert f'"{after}T05:29:5'.encode() in text  # 23:59:5x UTC written at +05:30


def test_realistic_fields(expected: list[DayExpectation]) -> None:
    rows = [row for result in expected for row in result.rows]
    types = Counter(row["event_type"] for row in rows)
    assert types["page_view"] > types["add_to_cart"] > types["purchase"] > 0
    for row in rows:
        if row["event_type"] == "purchase":
            assert row["revenue"] > 0
        else:
            assert row["revenue"] == 0
    assert any(row["extra"] and "app_version" in row["extra"] for row in rows)
    assert any(row["properties"] is None for row in rows)
    assert any(row["properties"] and "currency" in row["properties"] for row in rows)
    assert {row["user_id"][:2] for row in rows if row["user_id"]} == {"u_"}


# --------------------------------------------------------------------------------------------
# The command line
# --------------------------------------------------------------------------------------------


def test_cli_generates_into_a_file_url(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["generate", "--start", "2025-03-01", "--days", "2", "--events-per-day", "300"]
    assert main([*argv, "--seed", "5", "--out", f"file://{tmp_path}"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("2025-03-01: 300 lines")
    assert out[-1].startswith("generated 600 lines")
    assert len(list(tmp_path.glob("events/date=2025-03-0[12]/part-*"))) == 4


GENERATE = ["generate", "--start", "2025-01-01", "--days", "1", "--events-per-day", "50"]


def producer_zone(root: Path) -> dict[str, bytes]:
    """A real landing zone: a producer's `part-*` files (as Spark names them), no marker."""
    folder = day_dir(root, START)
    folder.mkdir(parents=True)
    (folder / "part-00000-c000.jsonl").write_text('{"event_id": "real-1"}\n')
    (folder / "part-00001.jsonl.gz").write_bytes(gzip.compress(b'{"event_id": "real-2"}\n'))
    return snapshot(root)


def test_generate_never_falls_back_to_the_landing_zone_of_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    real = tmp_path / "real"
    before = producer_zone(real)
    monkeypatch.setenv("EVENTS_LANDING_URL", str(real))
    monkeypatch.chdir(tmp_path)
    assert main([*GENERATE, "--seed", "5"]) == 2
    assert "--out" in capsys.readouterr().err
    assert snapshot(real) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["real"]


def test_generate_refuses_a_folder_it_did_not_create(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    real = tmp_path / "real"
    before = producer_zone(real)
    assert main([*GENERATE, "--seed", "5", "--out", str(real)]) == 1
    err = capsys.readouterr().err
    assert str(real) in err and SAMPLE_MARKER in err and "Traceback" not in err
    assert snapshot(real) == before  # nothing written, nothing deleted
    with pytest.raises(RefusedDestinationError, match="not empty"):
        generate_landing_zone(real, START, 1, 50, SEED)
    assert snapshot(real) == before


def test_generate_refuses_a_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "landing"
    target.write_text("not a folder")
    assert main([*GENERATE, "--seed", "5", "--out", str(target)]) == 1
    assert "not a folder" in capsys.readouterr().err
    assert target.read_text() == "not a folder"


def test_generate_writes_into_a_new_or_empty_folder_and_marks_it(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    new = tmp_path / "new" / "landing"
    for root in (empty, new):
        assert main([*GENERATE, "--seed", "5", "--out", str(root)]) == 0
        marker = (root / SAMPLE_MARKER).read_text()
        assert "event-analytics generate" in marker
        assert (day_dir(root, START) / "part-00000.jsonl").is_file()
    # Its own folder: a second run replaces its own day files.
    before = snapshot(new)
    assert main([*GENERATE, "--seed", "5", "--out", str(new)]) == 0
    assert snapshot(new) == before


def test_the_marker_is_never_read_as_landed_data(tmp_path: Path) -> None:
    generate_landing_zone(tmp_path, START, 1, 50, SEED)
    landing = LandingZoneResource(url=str(tmp_path))
    assert landing.list_days() == [START]
    names = [f.relative_path.rsplit("/", 1)[-1] for f in landing.list_files(START)]
    assert names == ["part-00000.jsonl", "part-00001.jsonl.gz"]


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"--days": "0"}, "must be at least 1"),
        ({"--events-per-day": "-3"}, "must be at least 1"),
        ({"--start": "2025-02-30"}, "YYYY-MM-DD"),
        ({"--start": "yesterday"}, "YYYY-MM-DD"),
        ({"--start": "9999-12-31"}, "must lie between"),
        ({"--seed": "x"}, "invalid int value"),
        ({"--out": "s3://bucket/landing"}, "local or mounted folder"),
        ({"--days": None}, "required"),
        ({"--out": None}, "required"),
    ],
)
def test_cli_argument_errors_exit_2(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    changes: dict[str, str | None],
    message: str,
) -> None:
    options: dict[str, str | None] = {
        "--start": "2025-01-01",
        "--days": "1",
        "--events-per-day": "10",
        "--seed": "1",
        "--out": str(tmp_path),
    }
    options.update(changes)
    argv = ["generate"]
    for flag, value in options.items():
        if value is not None:
            argv += [flag, value]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err
    assert "Traceback" not in err
    assert list(tmp_path.iterdir()) == []  # no marker, no events


def test_cli_without_subcommand_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 2
    assert "COMMAND" in capsys.readouterr().err
