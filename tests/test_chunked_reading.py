"""Big files are read in pieces of whole lines: the same tables as reading them whole.

`ingest.CHUNK_BYTES` bounds the memory a file takes while it loads (a 1 GB file is read in
16 MB pieces). Here the pieces are made tiny, so that every kind of line meets a piece
boundary: byte-order marks, CRLF, blank lines, gzip, invalid UTF-8, a last line without a line
break, and lines longer than a piece.
"""

from __future__ import annotations

import datetime as dt
import gzip
import io
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from event_analytics import ingest
from event_analytics.landing.files import line_chunks
from harness import Platform, metadata_of

DAY = dt.date(2025, 1, 2)


@pytest.mark.parametrize("chunk", [1, 7, 64, 1000])
def test_pieces_end_with_whole_lines_and_lose_nothing(chunk: int) -> None:
    content = b"\xef\xbb\xbfa\r\n\nbb\n" + b"c" * 150 + b"\nlast without break"
    pieces = [bytes(piece) for piece in line_chunks(io.BytesIO(content), chunk)]
    assert b"".join(pieces) == content
    assert all(piece.endswith(b"\n") for piece in pieces[:-1])
    assert all(pieces)
    # A piece is at most what one read gives plus the rest of a line begun before it.
    assert all(len(piece) <= chunk + 151 for piece in pieces)


def test_an_empty_stream_has_no_piece() -> None:
    assert list(line_chunks(io.BytesIO(b""), 16)) == []


def _load(platform: Platform) -> dict[str, list[tuple[object, ...]]]:
    result = platform.materialize(partition=DAY.isoformat(), assets=["raw_events"])
    assert result.success
    assert metadata_of(result, "raw_events")["lines_read"] > 0
    return platform.snapshot()


def test_a_day_read_in_tiny_pieces_loads_the_same_tables(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    whole = Platform(tmp_path / "whole")
    whole.generate(DAY, days=1, events_per_day=3000)  # BOM + CRLF, gzip, malformed lines
    pieces = Platform(tmp_path / "pieces")
    shutil.copytree(whole.landing_root, pieces.landing_root, dirs_exist_ok=True)
    expected = _load(whole)
    # Pieces of 97 bytes (most lines span two), batches of a few hundred lines.
    monkeypatch.setattr(ingest, "CHUNK_BYTES", 97)
    monkeypatch.setattr(ingest, "BATCH_BYTES", 50_000)
    assert _load(pieces) == expected


def test_a_gzip_file_damaged_after_many_pieces_loads_none_of_its_lines(
    platform: Platform,
    write_day: Callable[[str, str, bytes | str], Path],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    line = (
        '{"event_id":"e%d","user_id":"u","event_type":"page_view","occurred_at":"%sT10:00:00Z"}\n'
    )
    text = "".join(line % (i, DAY.isoformat()) for i in range(2000)).encode()
    write_day(DAY.isoformat(), "good.jsonl", line % (99999, DAY.isoformat()))
    # Cut off at 90%: the damage only shows after most of the file was read and loaded.
    compressed = gzip.compress(text)
    write_day(DAY.isoformat(), "cut.jsonl.gz", compressed[: len(compressed) * 9 // 10])
    monkeypatch.setattr(ingest, "CHUNK_BYTES", 4096)
    monkeypatch.setattr(ingest, "BATCH_BYTES", 8192)
    result = platform.materialize(partition=DAY.isoformat(), assets=["raw_events"])
    assert result.success
    metadata = metadata_of(result, "raw_events")
    assert metadata["corrupt_files"] == [f"events/date={DAY}/cut.jsonl.gz"]
    assert (metadata["lines_read"], metadata["rows_loaded"]) == (1, 1)
    assert platform.rows("SELECT event_id FROM raw.events") == [("e99999",)]
    assert platform.rows("SELECT source_file, line_number, reason FROM raw.rejected_events") == [
        (f"events/date={DAY}/cut.jsonl.gz", None, "corrupt_file")
    ]
    assert platform.rows(
        "SELECT source_file, status, lines_read FROM raw.landed_files ORDER BY source_file"
    ) == [
        (f"events/date={DAY}/cut.jsonl.gz", "corrupt", 0),
        (f"events/date={DAY}/good.jsonl", "loaded", 1),
    ]
