"""A corpus of broken and hostile landing files, each with its outcome written from the contract.

Every case is one file of one day's folder: its lines (raw bytes) and, for each line, what
docs/landing-zone.md says must happen to it: ``LOADED``, ``BLANK`` or the reason code it is
rejected with. A file the loader cannot read at all is ``corrupt``: one ``corrupt_file`` row,
none of its lines. Large inputs (the 10 MB line, deep nesting) and the gzip cases are built
here at test time; nothing binary is stored in the repository.

The "Hostile input: what happens" table of docs/landing-zone.md lists the same cases.
"""

from __future__ import annotations

import datetime as dt
import gzip
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cache
from typing import Any

DAY = "2025-01-01"
LOADED = "loaded"
BLANK = "blank"
BOM = b"\xef\xbb\xbf"
#: Sizes of the generated giants.
HUGE_LINE_BYTES = 10 * 1024 * 1024
DEEP_LEVELS = 10_000
#: The contract's longest line (bytes, line break excluded) and deepest nesting.
MAX_LINE_BYTES = 16 * 1024 * 1024
#: Strings producers should never send, each of which must still be stored verbatim.
SQL_TEXT = "'; DROP TABLE raw.events; --"
SQL_TEXT_2 = 'x") OR 1=1; DELETE FROM raw.rejected_events WHERE (""="'
CONTROL_TEXT = "esc\u001b[31m tab\t bell\u0007 del\u007f"
#: U+0000: no text column of PostgreSQL can hold it, so no field stored as text may have it;
#: inside `properties` and `extra` it stays the JSON escape `\u0000`, and is loaded.
NUL_TEXT = "nul\u0000"


def line(**fields: Any) -> bytes:
    """A valid event for ``DAY`` with ``fields`` replaced (a ``None`` value drops the field)."""
    event: dict[str, Any] = {
        "event_id": "e1",
        "user_id": "u1",
        "event_type": "page_view",
        "occurred_at": f"{DAY}T10:00:00Z",
    }
    event.update(fields)
    return json.dumps({k: v for k, v in event.items() if v is not None}).encode()


def raw_line(tail: str, **fields: Any) -> bytes:
    """A valid event with raw JSON text ``tail`` (e.g. ``', "revenue": NaN'``) before the ``}``."""
    return line(**fields)[:-1] + tail.encode() + b"}"


def nested(levels: int, leaf: str = "1") -> str:
    """``levels`` arrays and objects, alternating, around ``leaf``."""
    return (
        "".join("[" if i % 2 else '{"k":' for i in range(levels))
        + leaf
        + "".join("]" if i % 2 else "}" for i in reversed(range(levels)))
    )


@dataclass(frozen=True)
class Case:
    """One landed file and what the contract says must come of each of its lines."""

    name: str
    file_name: str
    lines: tuple[tuple[bytes, str], ...] = ()
    prefix: bytes = b""
    newline: bytes = b"\n"
    final_newline: bool = True
    encode: Callable[[bytes], bytes] | None = None
    corrupt: bool = False
    #: Column values of loaded lines, by line number (a subset of the row's columns).
    values: dict[int, dict[str, Any]] = field(default_factory=dict)
    #: Substrings the ``detail`` of rejected lines must contain, by line number.
    details: dict[int, str] = field(default_factory=dict)
    note: str = ""

    def content(self) -> bytes:
        body = self.newline.join(text for text, _ in self.lines)
        if self.lines and self.final_newline:
            body += self.newline
        data = self.prefix + body
        return self.encode(data) if self.encode else data

    @property
    def path(self) -> str:
        """The file's ``source_file``: its path relative to the landing root."""
        return f"events/date={DAY}/{self.file_name}"

    def outcomes(self) -> dict[int, str]:
        """Line number -> expected outcome (empty for a corrupt file: no line is read)."""
        return {} if self.corrupt else {n: o for n, (_, o) in enumerate(self.lines, start=1)}


def _truncated_gzip(data: bytes) -> bytes:
    packed = gzip.compress(data)
    return packed[: len(packed) // 2]


def _bad_crc_gzip(data: bytes) -> bytes:
    packed = bytearray(gzip.compress(data))
    packed[-8] ^= 0xFF  # the CRC-32 of the trailer
    return bytes(packed)


def _not_gzip(data: bytes) -> bytes:
    return data


def _empty(_: bytes) -> bytes:
    return b""


def _huge_properties() -> bytes:
    return line(event_id="huge", properties={"blob": "x" * HUGE_LINE_BYTES})


def _line_of(size: int) -> bytes:
    """A valid event of exactly ``size`` bytes."""
    empty = line(event_id=f"size-{size}", properties={"blob": ""})
    return line(event_id=f"size-{size}", properties={"blob": "x" * (size - len(empty))})


AT = dt.datetime(2025, 1, 1, 10, 0)


@cache
def corpus() -> tuple[Case, ...]:
    """Every case, built once per test session."""
    ok = line()
    return (
        Case(
            "non-UTF-8 bytes",
            "non-utf8.jsonl",
            (
                (line(event_id="e\udcff1").replace(b"\\udcff", b"\xff"), "invalid_utf8"),
                (line(user_id="caf\u00e9").replace(b"\\u00e9", b"\xe9"), "invalid_utf8"),
                (b'{"event_id": "\xc0\xaf"}', "invalid_utf8"),  # overlong "/"
                (b'{"event_id": "\xed\xa0\x80"}', "invalid_utf8"),  # an encoded surrogate
                (b"\xf4\x90\x80\x80", "invalid_utf8"),  # beyond U+10FFFF
                (b"\xff\xfe{\x00}\x00", "invalid_utf8"),  # UTF-16
                (ok, LOADED),
            ),
        ),
        Case(
            "byte-order mark",
            "bom.jsonl",
            ((ok, LOADED), (line(event_id="e2"), LOADED), (BOM + ok, "invalid_json")),
            prefix=BOM,
            note="a BOM starts the file (ignored); a BOM starting line 3 is not JSON",
        ),
        Case(
            "CRLF line endings",
            "crlf.jsonl",
            ((ok, LOADED), (b"", BLANK), (ok + b"\r", LOADED), (b"   \t", BLANK), (ok, LOADED)),
            newline=b"\r\n",
            final_newline=False,
            note="line 3 ends in \\r\\r\\n: one \\r is the line break, the other JSON space",
        ),
        Case("empty file", "empty.jsonl", ()),
        Case("empty gzip stream", "empty-stream.jsonl.gz", (), encode=gzip.compress),
        Case(
            "zero-byte .gz file",
            "zero-bytes.jsonl.gz",
            ((ok, LOADED),),
            encode=_empty,
            corrupt=True,
        ),
        Case(
            "truncated .gz",
            "truncated.jsonl.gz",
            tuple((line(event_id=f"t{i}"), LOADED) for i in range(2000)),
            encode=_truncated_gzip,
            corrupt=True,
        ),
        Case(
            "gzip with a bad CRC",
            "bad-crc.jsonl.gz",
            ((ok, LOADED),),
            encode=_bad_crc_gzip,
            corrupt=True,
        ),
        Case(
            "plain text named .gz",
            "not-gzip.jsonl.gz",
            ((ok, LOADED),),
            encode=_not_gzip,
            corrupt=True,
        ),
        Case(
            "good gzip, CRLF",
            "good.ndjson.gz",
            ((ok, LOADED), (line(event_id="e2"), LOADED)),
            newline=b"\r\n",
            encode=gzip.compress,
        ),
        Case(
            "a single 10 MB line",
            "huge-line.jsonl",
            ((_huge_properties(), LOADED), (b"[" * HUGE_LINE_BYTES, "invalid_json"), (ok, LOADED)),
            values={1: {"event_id": "huge"}},
        ),
        Case(
            "lines at and over the 16 MiB limit",
            "long-lines.jsonl",
            ((_line_of(MAX_LINE_BYTES), LOADED), (_line_of(MAX_LINE_BYTES + 1), "invalid_json")),
            values={1: {"event_id": f"size-{MAX_LINE_BYTES}"}},
            details={2: "over the 16 MiB"},
        ),
        Case(
            "deeply nested JSON",
            "deep.jsonl",
            (
                (raw_line(', "properties": ' + nested(DEEP_LEVELS)), "invalid_json"),
                (raw_line(', "properties": ' + nested(99)), LOADED),  # 100 levels in all
                (raw_line(', "properties": ' + nested(100)), "invalid_json"),  # 101
                (raw_line(', "x": "' + "[" * DEEP_LEVELS + '"'), LOADED),  # brackets in a string
                (b"[" * DEEP_LEVELS, "invalid_json"),
            ),
            details={1: "more than 100 levels", 3: "more than 100 levels"},
        ),
        Case(
            "NaN and Infinity",
            "nan.jsonl",
            (
                (raw_line(', "revenue": NaN'), "invalid_revenue"),
                (raw_line(', "revenue": Infinity'), "invalid_revenue"),
                (raw_line(', "revenue": -Infinity'), "invalid_revenue"),
                (raw_line(', "revenue": nan'), "invalid_json"),
                (raw_line(', "revenue": -NaN'), "invalid_json"),
                (raw_line(', "revenue": inf'), "invalid_json"),
                (raw_line(', "properties": {"ratio": NaN, "max": Infinity}'), LOADED),
                (b'{"event_id": NaN}', "invalid_event_id"),
                (b"NaN", "not_an_object"),
            ),
        ),
        Case(
            "numbers beyond range",
            "big-numbers.jsonl",
            (
                (raw_line(', "revenue": 1e400'), "revenue_out_of_range"),
                (raw_line(', "revenue": -1e400'), "negative_revenue"),
                (raw_line(', "revenue": 100000000000000'), "revenue_out_of_range"),
                (raw_line(', "revenue": 1e14'), "revenue_out_of_range"),
                (raw_line(', "revenue": 99999999999999.9999'), LOADED),
                (raw_line(', "revenue": 123456789012345678901234567890'), "revenue_out_of_range"),
                (raw_line(', "revenue": 18446744073709551616'), "revenue_out_of_range"),
                (raw_line(', "revenue": 1e99999999999999999999'), "revenue_out_of_range"),
                (raw_line(', "revenue": 1' + "0" * 45 + "e-40"), LOADED),  # 100000
                (
                    raw_line(
                        ', "properties": {"big": 1e400, "id": 123456789012345678901234567890}'
                    ),
                    LOADED,
                ),
            ),
            values={
                5: {"revenue": Decimal("99999999999999.9999")},
                9: {"revenue": Decimal("100000")},
            },
        ),
        Case(
            "revenue precision and exponents",
            "precision.jsonl",
            (
                (raw_line(', "revenue": 19.99999'), "revenue_too_precise"),
                (raw_line(', "revenue": 1.2345678901234567890123456'), "revenue_too_precise"),
                (raw_line(', "revenue": 1.0000000000000000000000001'), "revenue_too_precise"),
                (raw_line(', "revenue": 1.5e-3'), LOADED),
                (raw_line(', "revenue": 1e-30'), "revenue_too_precise"),
                (raw_line(', "revenue": 0.00005'), "revenue_too_precise"),
                (raw_line(', "revenue": 12.30000000000000000000'), LOADED),
                (raw_line(', "revenue": 100e-6'), LOADED),
                (raw_line(', "revenue": -1e-400'), "negative_revenue"),
                (raw_line(', "revenue": -0.0'), LOADED),
                (raw_line(', "revenue": "19.99"'), "invalid_revenue"),
                (
                    raw_line(', "revenue": 5, "properties": {"revenue": 1.000000000000000000001}'),
                    LOADED,
                ),
                (raw_line(', "rev\\u0065nue": 1.00001'), "revenue_too_precise"),
                # "revenue": inside a key and inside a string value are not the revenue
                (raw_line(', "x\\"revenue": 5, "revenue": 1.00001'), "revenue_too_precise"),
                (raw_line(', "revenue": 1, "note": "\\"revenue\\": 1.000001"'), LOADED),
                (raw_line(', "revenue": 1e-99999999999999999999'), "revenue_too_precise"),
            ),
            values={
                4: {"revenue": Decimal("0.0015")},
                7: {"revenue": Decimal("12.3")},
                8: {"revenue": Decimal("0.0001")},
                10: {"revenue": Decimal("0")},
                12: {"revenue": Decimal("5")},
            },
        ),
        Case(
            "timestamps",
            "timestamps.jsonl",
            (
                (line(occurred_at=f"{DAY}T10:00:00"), "invalid_occurred_at"),  # no offset
                (line(occurred_at="2025-01-02T00:00:00Z"), "occurred_at_outside_partition"),
                (line(occurred_at="2024-12-31T23:59:59.999999Z"), "occurred_at_outside_partition"),
                (line(occurred_at="2024-12-31T23:30:00-01:00"), LOADED),  # 00:30 UTC
                (line(occurred_at=f"{DAY}T23:30:00-01:00"), "occurred_at_outside_partition"),
                (line(occurred_at="1825-01-01T10:00:00Z"), "occurred_at_outside_partition"),
                (line(occurred_at="2525-01-01T10:00:00Z"), "occurred_at_outside_partition"),
                (line(occurred_at="0000-02-29T10:00:00Z"), "occurred_at_outside_partition"),
                (line(occurred_at="2025-02-30T10:00:00Z"), "invalid_occurred_at"),
                (line(occurred_at=f"{DAY}T24:00:00Z"), "invalid_occurred_at"),
                (line(occurred_at=f"{DAY}T10:00:60Z"), "invalid_occurred_at"),
                (line(occurred_at=f"{DAY}T10:00:00.1234567Z"), "invalid_occurred_at"),
                (line(occurred_at=f"{DAY}T10:00:00+24:00"), "invalid_occurred_at"),
                (line(occurred_at=f"{DAY}t10:00:00z"), "invalid_occurred_at"),
                (line(occurred_at=""), "invalid_occurred_at"),
                (line(occurred_at=20250101), "invalid_occurred_at"),
                (line(occurred_at=f"{DAY} 10:00:00.123+0000"), LOADED),
            ),
            values={
                4: {"occurred_at": dt.datetime(2025, 1, 1, 0, 30)},
                17: {"occurred_at": dt.datetime(2025, 1, 1, 10, 0, 0, 123000)},
            },
            details={2: "2025-01-02 00:00:00 UTC, not on 2025-01-01"},
        ),
        Case(
            "SQL text and control characters in every string field",
            "sql-and-control.jsonl",
            (
                (
                    line(
                        event_id=SQL_TEXT,
                        user_id=SQL_TEXT_2,
                        event_type=SQL_TEXT,
                        properties={SQL_TEXT: SQL_TEXT_2},
                        **{SQL_TEXT_2: SQL_TEXT},
                    ),
                    LOADED,
                ),
                (
                    line(
                        event_id=CONTROL_TEXT,
                        user_id=CONTROL_TEXT,
                        event_type=CONTROL_TEXT,
                        properties={"c": CONTROL_TEXT + NUL_TEXT},
                        **{NUL_TEXT: NUL_TEXT},
                    ),
                    LOADED,
                ),
                (line(occurred_at=SQL_TEXT), "invalid_occurred_at"),
                (line(occurred_at=CONTROL_TEXT), "invalid_occurred_at"),
                (line(event_id="raw\x01control").replace(b"\\u0001", b"\x01"), "invalid_json"),
                (line(event_id="raw\x00nul").replace(b"\\u0000", b"\x00"), "invalid_json"),
                (line(event_id=NUL_TEXT), "invalid_event_id"),
                (line(user_id=NUL_TEXT), "invalid_user_id"),
                (line(event_type=NUL_TEXT), "invalid_event_type"),
            ),
            values={
                1: {
                    "event_id": SQL_TEXT,
                    "user_id": SQL_TEXT_2,
                    "event_type": SQL_TEXT,
                    "properties": {SQL_TEXT: SQL_TEXT_2},
                    "extra": {SQL_TEXT_2: SQL_TEXT},
                },
                2: {
                    "event_id": CONTROL_TEXT,
                    "user_id": CONTROL_TEXT,
                    "event_type": CONTROL_TEXT,
                    "properties": {"c": CONTROL_TEXT + NUL_TEXT},
                    "extra": {NUL_TEXT: NUL_TEXT},
                },
            },
            details={
                7: "event_id must not contain the NUL character",
                8: "user_id must not contain the NUL character",
                9: "event_type must not contain the NUL character",
            },
        ),
        Case(
            "duplicate keys",
            "duplicates.jsonl",
            (
                (raw_line(', "event_id": "e2"'), "duplicate_key"),
                (raw_line(', "\\u0065vent_id": "e2"'), "duplicate_key"),  # same key, escaped
                (raw_line(', "revenue": 1, "revenue": 2'), "duplicate_key"),
                (raw_line(', "x": 1, "x": 1'), "duplicate_key"),
                (b'{"event_id": null, "event_id": null}', "duplicate_key"),
                (raw_line(', "properties": {"a": 1, "a": 2}'), LOADED),  # only top level counts
                (raw_line(', "Event_id": "e2"'), LOADED),  # keys are case-sensitive
            ),
        ),
        Case(
            "JSON that is not an object",
            "not-objects.jsonl",
            (
                (b"null", "not_an_object"),
                (b"[]", "not_an_object"),
                (b'"str"', "not_an_object"),
                (b"123", "not_an_object"),
                (b"true", "not_an_object"),
                (b"{}", "missing_event_id"),
            ),
        ),
        Case(
            "not quite JSON",
            "lenient-syntax.jsonl",
            (
                (raw_line(","), "invalid_json"),  # trailing comma
                (raw_line(', "properties": {"a": [1,]}'), "invalid_json"),
                (raw_line(" /* comment */"), "invalid_json"),
                (b"{'event_id': 'e1'}", "invalid_json"),
                (ok + b" trailing", "invalid_json"),
                (ok + ok, "invalid_json"),
                (ok[:-10], "invalid_json"),  # truncated line
                (raw_line(', "x": "\\ud800"'), "invalid_json"),  # half a surrogate pair
                (raw_line(', "x": 01'), "invalid_json"),
                (b"  " + ok + b" \t", LOADED),  # JSON whitespace around is fine
            ),
        ),
        Case(
            "a very long event_id",
            "long-id.jsonl",
            ((line(event_id="e" * 1_000_000), LOADED),),
            values={1: {"event_id": "e" * 1_000_000}},
        ),
        Case(
            "unicode",
            "unicode.jsonl",
            (
                (
                    line(
                        event_id="🎉-e1",
                        user_id="مستخدم",
                        event_type="vue_de_la_pa\u0301ge",
                        properties={"rtl": "\u202eevil", "lines": "\u2028\u2029"},
                    ),
                    LOADED,
                ),
                (
                    json.dumps(
                        {"event_id": "😀", "event_type": "x", "occurred_at": f"{DAY}T10:00:00Z"},
                        ensure_ascii=False,
                    ).encode(),
                    LOADED,
                ),
                (raw_line(', "x": "\\ud83d\\ude00"'), LOADED),  # an escaped surrogate pair
            ),
            values={
                1: {"event_id": "🎉-e1", "user_id": "مستخدم", "event_type": "vue_de_la_pa\u0301ge"},
                2: {"event_id": "😀", "user_id": None},
                3: {"extra": {"x": "😀"}},
            },
        ),
        Case(
            "only blank lines",
            "blank-only.jsonl",
            ((b"", BLANK), (b" ", BLANK), (b"\t\r", BLANK), (b"", BLANK)),
        ),
        Case("just a newline", "newline-only.jsonl", ((b"", BLANK),)),
        Case(
            "a lone \\r mid-line",
            "lone-cr.jsonl",
            (
                (ok.replace(b", ", b",\r"), LOADED),  # \r between tokens is JSON whitespace
                (line(event_id="e\r1").replace(b"\\r", b"\r"), "invalid_json"),  # inside a string
                (b"\r", BLANK),
            ),
            final_newline=False,
        ),
    )


#: Files in the day's folder the contract says are not read at all.
IGNORED_FILES = {"_part-001.jsonl.tmp": b"not read", ".hidden.jsonl": b"{", "notes.txt": b"{"}
