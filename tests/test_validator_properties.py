"""Property tests: the SQL line validator agrees with the reference model on any input.

Each hypothesis example is a batch of generated lines written as ONE landed file, loaded by
`load_window` (the real SQL, no Dagster) into a DuckDB file reused across examples (a load
replaces the day), and compared line by line with `reference_model.read_day`: the same
lines blank, the same reason for each rejected line, and for each loaded line the same
event_id, user_id, event_type, occurred_at, revenue, properties and extra.

Every `@example` below is a disagreement found while writing these tests (by them or by
hand); each was a bug on one side, fixed on that side (see docs/landing-zone.md).
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from event_analytics.ingest import load_window
from event_analytics.landing import LandingZoneResource
from event_analytics.warehouse import DayWindow, WarehouseResource
from reference_model import MAX_NESTING, read_day

DAY = dt.date(2025, 1, 1)
WINDOW = DayWindow.of_days(DAY)
FILE_NAME = "batch.jsonl"

# Keep the file under ~40 s on two cores: each example is one load of up to ~40 lines.
SETTINGS = settings(
    max_examples=100,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


# --------------------------------------------------------------------------------------------
# Running both sides
# --------------------------------------------------------------------------------------------


@dataclass
class Loader:
    """A landing zone and a DuckDB file shared by a module's examples."""

    root: Path

    @property
    def landing(self) -> LandingZoneResource:
        return LandingZoneResource(url=str(self.root / "landing"))

    @property
    def warehouse(self) -> WarehouseResource:
        return WarehouseResource(url=f"duckdb:///{self.root / 'warehouse.duckdb'}")

    def write(self, content: bytes) -> None:
        folder = self.root / "landing" / "events" / f"date={DAY.isoformat()}"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / FILE_NAME).write_bytes(content)


@pytest.fixture(scope="module")
def loader(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Loader]:
    yield Loader(tmp_path_factory.mktemp("validator"))


def _normal(value: Any) -> Any:
    """A JSON value with every number as a float (NaN as a marker): stored JSON keeps
    numbers at double precision, and NaN never equals itself."""
    if isinstance(value, dict):
        return {key: _normal(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_normal(item) for item in value]
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    number = float(value)
    return "<NaN>" if math.isnan(number) else number


def _stored_json(text: str | None) -> Any:
    return None if text is None else _normal(json.loads(text))


Verdicts = dict[int, tuple[Any, ...]]


def sql_verdicts(loader: Loader, content: bytes) -> tuple[Verdicts, int, int]:
    """Per line number: `("rejected", reason)` or `("loaded", fields...)`; lines read; blanks."""
    loader.write(content)
    with loader.warehouse.connect() as connection, connection.transaction():
        report = load_window(connection, loader.landing, WINDOW)
        rejected = connection.fetch_dicts("SELECT line_number, reason FROM raw.rejected_events")
        loaded = connection.fetch_dicts(
            "SELECT source_line, event_id, user_id, event_type, occurred_at, revenue, "
            "properties, extra FROM raw.events"
        )
    verdicts: Verdicts = {row["line_number"]: ("rejected", row["reason"]) for row in rejected}
    for number, *fields, properties, extra in (tuple(row.values()) for row in loaded):
        assert number not in verdicts, f"line {number} both loaded and rejected"
        verdicts[number] = ("loaded", *fields, _stored_json(properties), _stored_json(extra))
    assert report.balanced
    return verdicts, report.lines_read, report.blank_lines


def reference_verdicts(loader: Loader) -> tuple[Verdicts, int, int]:
    expected = read_day(loader.root / "landing", DAY)
    verdicts: Verdicts = {r.line_number or 0: ("rejected", r.reason) for r in expected.rejected}
    for row in expected.rows:
        verdicts[row["source_line"]] = (
            "loaded",
            row["event_id"],
            row["user_id"],
            row["event_type"],
            row["occurred_at"],
            row["revenue"],
            _normal(row["properties"]),
            _normal(row["extra"]),
        )
    return verdicts, expected.lines_read, expected.blank_lines


def assert_agree(loader: Loader, content: bytes) -> None:
    actual, actual_read, actual_blank = sql_verdicts(loader, content)
    expected, expected_read, expected_blank = reference_verdicts(loader)
    lines = content.removeprefix(b"\xef\xbb\xbf").split(b"\n")
    for number in sorted(set(actual) | set(expected)):
        line = lines[number - 1] if 0 < number <= len(lines) else b"?"
        assert actual.get(number) == expected.get(number), f"line {number}: {line[:300]!r}"
    assert (actual_read, actual_blank) == (expected_read, expected_blank)


def joined(lines: list[str] | list[bytes]) -> bytes:
    return b"\n".join(line.encode() if isinstance(line, str) else line for line in lines)


# --------------------------------------------------------------------------------------------
# Strategies: raw JSON text, so that anything (duplicates, NaN, odd spacing) can be written
# --------------------------------------------------------------------------------------------

NASTY_TEXT = [
    "",
    " ",
    "'; DROP TABLE raw.events; --",
    'Robert"); DROP TABLE raw.rejected_events;--',
    "\x00",
    "\x1b[31mred\x1b[0m",
    "tab\there",
    "line\nbreak\r\n",
    "\u2028\u2029",
    "😀🎉",
    "مرحبا بالعالم",
    "\u202eevil",
    "\ufeff",
    "\\",
    '"',
    "%s %d {0}",
    "NULL",
    "null",
    'x"revenue',
    '"revenue": 1.00001, "revenue": 2',
    "rev\\u0065nue",
]

json_strings = st.one_of(
    st.sampled_from(NASTY_TEXT), st.text(max_size=12), st.text(alphabet="ab", max_size=3)
).map(lambda text: json.dumps(text, ensure_ascii=False))
escaped_strings = st.one_of(st.sampled_from(NASTY_TEXT), st.text(max_size=12)).map(json.dumps)
raw_escapes = st.sampled_from(
    ['"\\ud800"', '"a\\udc00b"', '"\\ud83d\\ude00"', '"\\u0000"', '"\\/"', '"\\x"', '"\\u12"']
)
scalars = st.one_of(
    st.sampled_from(["null", "true", "false", "0", "-0", "1", "NaN", "Infinity", "-Infinity"]),
    st.sampled_from(["nan", "inf", "-inf", "-NaN", "INFINITY", "1e400", "-1e400", "1.", ".5"]),
    st.integers().map(str),
    st.floats(allow_nan=False, allow_infinity=False).map(repr),
    json_strings,
    escaped_strings,
    raw_escapes,
)


@st.composite
def decimal_text(draw: st.DrawFn) -> str:
    """A JSON number with random digits, fraction and exponent (sometimes a huge one)."""
    sign = draw(st.sampled_from(["", "", "-"]))
    whole = draw(st.one_of(st.just("0"), st.from_regex(r"[1-9][0-9]{0,19}", fullmatch=True)))
    fraction = draw(st.one_of(st.just(""), st.from_regex(r"\.[0-9]{1,30}", fullmatch=True)))
    exponent = draw(
        st.one_of(
            st.just(""),
            st.from_regex(r"[eE][+-]?[0-9]{1,3}", fullmatch=True),
            st.from_regex(r"[eE][+-]?[0-9]{19,25}", fullmatch=True),
        )
    )
    return sign + whole + fraction + exponent


revenues = st.one_of(
    decimal_text(),
    st.decimals(min_value=0, max_value=10**15, places=4).map(str),
    st.sampled_from(["NaN", "Infinity", "-Infinity", '"12.5"', "true", "{}", "[]", "null"]),
    st.sampled_from(["99999999999999.9999", "100000000000000", "0.00005", "1.5e-3", "1e-30"]),
)


@st.composite
def timestamp_text(draw: st.DrawFn) -> str:
    """A timestamp near the day's edges in a random zone, in any contract form or broken."""
    instant = dt.datetime(2025, 1, 1) + dt.timedelta(
        seconds=draw(st.integers(-2 * 86400, 3 * 86400)),
        microseconds=draw(st.integers(0, 999_999)),
    )
    minutes = draw(st.integers(-(23 * 60 + 59), 23 * 60 + 59))
    local = instant + dt.timedelta(minutes=minutes)
    stamp = local.strftime("%Y-%m-%d") + draw(st.sampled_from("T T ")) + local.strftime("%H:%M:%S")
    digits = draw(st.integers(0, 7))
    if digits:
        stamp += "." + f"{local.microsecond:06d}{draw(st.integers(0, 9))}"[:digits]
    sign = "-" if minutes < 0 else "+"
    hours, mins = divmod(abs(minutes), 60)
    offset = draw(
        st.sampled_from(
            [
                f"{sign}{hours:02d}:{mins:02d}",
                f"{sign}{hours:02d}{mins:02d}",
                "Z" if minutes == 0 else f"{sign}{hours:02d}:{mins:02d}",
                "",  # no offset
            ]
        )
    )
    broken = draw(
        st.sampled_from(
            [
                None,
                None,
                None,
                "2025-02-30T10:00:00Z",
                "2024-02-29T10:00:00Z",
                "2025-01-01T24:00:00Z",
                "2025-01-01T10:60:00Z",
                "2025-01-01T10:00:60Z",
                "2025-13-01T10:00:00Z",
                "0000-01-01T10:00:00Z",
                "0000-02-29T10:00:00Z",
                "1825-01-01T10:00:00Z",
                "2525-01-01T10:00:00Z",
                "9999-12-31T23:59:59-23:59",
                "0001-01-01T00:00:00+00:01",
                "2025-01-01T10:00:00+24:00",
                "2025-01-01T10:00:00+01",
                "2025-01-01t10:00:00z",
                "2025-01-01T10:00:00 Z",
            ]
        )
    )
    return json.dumps(broken or stamp + offset)


def nested(depth: int, leaf: str = "1") -> str:
    text = leaf
    for level in range(depth):
        text = f"[{text}]" if level % 2 else f'{{"k": {text}}}'
    return text


properties = st.one_of(
    st.sampled_from(["{}", "null", "[]", '"path=/home"', "1", '{"a": 1, "a": 2}']),
    st.integers(MAX_NESTING - 3, MAX_NESTING + 2).map(nested),
    decimal_text().map(lambda number: f'{{"revenue": {number}}}'),
    st.recursive(
        scalars,
        lambda children: st.one_of(
            st.lists(children, max_size=3).map(lambda items: "[" + ", ".join(items) + "]"),
            st.lists(st.tuples(json_strings, children), max_size=3).map(
                lambda pairs: "{" + ", ".join(f"{k}: {v}" for k, v in pairs) + "}"
            ),
        ),
        max_leaves=8,
    ),
)

KEY_SPELLINGS = {
    "event_id": ['"event_id"', '"\\u0065vent_id"'],
    "revenue": ['"revenue"', '"rev\\u0065nue"', '"\\u0072\\u0065\\u0076\\u0065\\u006Eue"'],
}

FIELDS = {
    "event_id": st.one_of(json_strings, scalars, st.just('"' + "e" * 5000 + '"')),
    "user_id": st.one_of(json_strings, scalars),
    "event_type": st.one_of(json_strings, scalars, st.just('"purchase"')),
    "occurred_at": st.one_of(timestamp_text(), scalars),
    "revenue": revenues,
    "properties": properties,
}
VALID = {
    "event_id": st.sampled_from(['"e1"', '"e-2"', json.dumps("'; DROP TABLE raw.events; --")]),
    "user_id": st.sampled_from(['"u1"', "null", '""', '"\\u0000\\u001b\\t"']),
    "event_type": st.sampled_from(['"page_view"', '"purchase"', '"😀"']),
    "occurred_at": st.sampled_from(['"2025-01-01T10:00:00Z"', '"2025-01-01 23:59:59.999999Z"']),
    "revenue": st.sampled_from(["0", "19.99", "1.5e-3", "null"]),
    "properties": st.sampled_from(["{}", '{"path": "/"}', "null"]),
}
whitespace = st.sampled_from(["", "", " ", "\t", "\r", " \r\t "])


@st.composite
def almost_valid_event(draw: st.DrawFn) -> str:
    """An event object whose every field is valid, nasty, missing or repeated."""
    members: list[tuple[str, str]] = []
    for name, nasty in FIELDS.items():
        choice = draw(st.sampled_from(["valid", "valid", "nasty", "missing"]))
        if choice == "missing":
            continue
        value = draw(VALID[name] if choice == "valid" else nasty)
        members.append((draw(st.sampled_from(KEY_SPELLINGS.get(name, [f'"{name}"']))), value))
    for _ in range(draw(st.integers(0, 2))):  # extra members, sometimes repeating a field
        key = draw(
            st.one_of(json_strings, st.sampled_from([k for s in KEY_SPELLINGS.values() for k in s]))
        )
        members.append((key, draw(st.one_of(scalars, properties))))
    members = draw(st.permutations(members))
    gap = draw(whitespace)
    body = ("," + gap).join(f"{gap}{key}{gap}:{gap}{value}" for key, value in members)
    trailing = draw(st.sampled_from(["", "", "", ","]))
    return "{" + body + trailing + gap + "}"


# --------------------------------------------------------------------------------------------
# The properties
# --------------------------------------------------------------------------------------------

EVENT = '{"event_id":"e1","event_type":"x","occurred_at":"2025-01-01T10:00:00Z"'


def event(tail: str) -> str:
    return EVENT + tail + "}"


@SETTINGS
@given(events=st.lists(almost_valid_event(), min_size=1, max_size=30))
@example(events=[event(',"revenue":1e400'), event(',"revenue":-1e400')])
@example(events=[event(',"revenue":-1e-400'), event(',"revenue":1e-99999999999999999999')])
@example(events=[event(',"revenue":1e99999999999999999999'), event(',"revenue":1' + "0" * 5000)])
@example(events=[event(',"revenue":1,"properties":{"revenue":1.0000000000000000000000001}')])
@example(events=[event(',"rev\\u0065nue":1.0000000000000000000000001')])
@example(
    events=[event(',"x\\"revenue":5,"revenue":1.00001'), event(',"a":{"x\\"revenue":1.00001}')]
)
@example(
    events=[event(',"revenue":1' + "0" * 45 + "e-40"), event(',"revenue":0.' + "0" * 19 + "1e20")]
)
@example(events=[event(',"revenue":99999999999999.99999999999999999999999')])
@example(events=[event(',"x":[1,],"y":{"a":1,}'), event(",")])
@example(events=[event(',"x":nan'), event(',"x":-NaN'), event(',"x":inf'), "nan", "-Infinity"])
@example(events=[event(',"x":"\\ud800"'), event(',"x":"\\ud83d\\ude00"')])
@example(events=[event(',"event_id":"\\ud800"'), event(',"x":["\\udc00"],"x":1')])
@example(events=[EVENT.replace("2025-01-01T10", "0000-02-29T10") + "}"])
@example(events=[event(',"properties":' + nested(MAX_NESTING - 1)), event(',"p":' + nested(100))])
def test_almost_valid_events_get_the_reference_verdict(loader: Loader, events: list[str]) -> None:
    assert_agree(loader, joined(events))


@SETTINGS
@given(lines=st.lists(st.binary(max_size=120), max_size=25), bom=st.booleans())
@example(lines=[b"", b""], bom=False)
@example(lines=[b""], bom=True)
@example(lines=[b"\xff\xfe", b"\xed\xa0\x80", b"\xc0\xaf", b"\xf4\x90\x80\x80", b"\r"], bom=True)
def test_arbitrary_bytes_get_the_reference_verdict(
    loader: Loader, lines: list[bytes], bom: bool
) -> None:
    assert_agree(loader, (b"\xef\xbb\xbf" if bom else b"") + joined(lines))


@SETTINGS
@given(lines=st.lists(st.text(max_size=120), max_size=25), crlf=st.booleans())
def test_arbitrary_text_gets_the_reference_verdict(
    loader: Loader, lines: list[str], crlf: bool
) -> None:
    content = joined(lines)
    assert_agree(loader, content.replace(b"\n", b"\r\n") if crlf else content)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=10),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children)
    ),
    max_leaves=12,
)


@SETTINGS
@given(values=st.lists(json_values, max_size=25), ascii_only=st.booleans())
def test_arbitrary_json_values_get_the_reference_verdict(
    loader: Loader, values: list[Any], ascii_only: bool
) -> None:
    assert_agree(loader, joined([json.dumps(v, ensure_ascii=ascii_only) for v in values]))


@SETTINGS
@given(numbers=st.lists(decimal_text(), min_size=1, max_size=40))
@example(
    numbers=["1E0000000000000000000", "1e-0000000000000000000000005", "1E+0000000000000000014"]
)
@example(numbers=["0.0001e-0", "100e-6", "0E-50", "-0", "-0.0", "1E+13", "12.30000000000000000000"])
def test_revenue_digits_get_the_reference_verdict(loader: Loader, numbers: list[str]) -> None:
    assert_agree(loader, joined([event(f',"revenue":{number}') for number in numbers]))
