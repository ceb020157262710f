"""An independent, plain-Python model of the landing-zone contract (``docs/landing-zone.md``).

This module is a test oracle. The platform loads the landing zone with SQL in DuckDB; this
module implements the same contract a second time with nothing but the standard library
(``json``, ``decimal``, ``datetime``, ``re``, ``gzip``), so that tests can compare the two.
It deliberately shares no code with ``event_analytics``.

Three steps mirror the pipeline:

* :func:`read_day` - what ``raw_events`` must load (rows) and reject (with which reason) for
  one day's folder;
* :func:`clean` - the cleaned events: known users only, one row per ``event_id``;
* :func:`summarize` - the daily figures computed from the cleaned events.

Choices where the contract leaves room (kept in one place so a reviewer can find them):

* "Blank" means empty or made only of JSON whitespace (space, tab, carriage return).
* Corrupt files are listed in ``corrupt_files`` and ``rejected`` (line ``None``) but add
  nothing to ``lines_read``: ``lines_read == len(rows) + (rejections that have a line)``.
* A ``.gz`` file of zero bytes is not a gzip stream, so it is a ``corrupt_file``.
* Offsets must be real: hours 00-23, minutes 00-59.
* A timestamp whose conversion to UTC leaves the years 1-9999 is
  ``occurred_at_outside_partition`` (it passed the format rule; its UTC date is not the day).
  Year ``0000`` is a real year (ISO 8601 / RFC 3339, proleptic Gregorian: a leap year), so
  ``0000-02-29T10:00:00Z`` is a real instant, outside every partition.
* A line longer than :data:`MAX_LINE_BYTES`, nesting deeper than :data:`MAX_NESTING` levels,
  and a ``\\uD800``-style escape that is not half of a surrogate pair are ``invalid_json``
  (the contract says so).
* Numbers are exact :class:`~decimal.Decimal`; an exponent beyond :data:`EXPONENT_CLAMP` is
  clamped to it, which changes no verdict.
* ``event_id``, ``user_id`` and ``event_type`` with a NUL character (U+0000, only possible as
  the escape ``\\u0000``) are ``invalid_*`` of their field: they are stored as text, which
  PostgreSQL cannot hold NUL in (the contract says so). Inside ``properties`` and ``extra``
  NUL is loaded: those columns keep JSON text, where it stays an escape.
"""

from __future__ import annotations

import gzip
import json
import re
import zlib
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any, NamedTuple

#: Line-level rejection reasons, in the order the rules are applied (the contract's table).
REASON_CODES: tuple[str, ...] = (
    "invalid_utf8",
    "invalid_json",
    "not_an_object",
    "duplicate_key",
    "missing_event_id",
    "invalid_event_id",
    "invalid_user_id",
    "missing_event_type",
    "invalid_event_type",
    "missing_occurred_at",
    "invalid_occurred_at",
    "occurred_at_outside_partition",
    "invalid_revenue",
    "negative_revenue",
    "revenue_out_of_range",
    "revenue_too_precise",
    "invalid_properties",
)
#: The file-level reason: the whole file could not be read.
CORRUPT_FILE = "corrupt_file"
#: The one character no field stored as text may hold (U+0000).
NUL = "\u0000"

#: Top-level fields the contract names; every other key goes to ``extra``.
KNOWN_FIELDS = frozenset(
    {"event_id", "user_id", "event_type", "occurred_at", "revenue", "properties"}
)
#: File name endings that are read (optionally followed by ``.gz``).
DATA_SUFFIXES = (".json", ".jsonl", ".ndjson")
UTF8_BOM = b"\xef\xbb\xbf"
#: Characters a blank line may consist of (JSON insignificant whitespace, minus newline).
BLANK_BYTES = b" \t\r"
#: Revenue must be strictly below this.
REVENUE_LIMIT = Decimal(10) ** 14
#: Revenue is stored as DECIMAL(18,4): this is its unit in the last place.
REVENUE_QUANTUM = Decimal("0.0001")
ZERO_REVENUE = Decimal("0.0000")

#: Deepest nesting of arrays and objects a line may have (its own object is level 1).
MAX_NESTING = 100
#: Longest line, in bytes without its line break, that is parsed at all.
MAX_LINE_BYTES = 16 * 1024 * 1024

#: ``YYYY-MM-DDTHH:MM:SS[.f{1,6}]`` (``T`` or a space) then ``Z``, ``+HH:MM`` or ``+HHMM``.
TIMESTAMP_PATTERN = re.compile(
    r"(?P<year>[0-9]{4})-(?P<month>[0-9]{2})-(?P<day>[0-9]{2})[T ]"
    r"(?P<hour>[0-9]{2}):(?P<minute>[0-9]{2}):(?P<second>[0-9]{2})"
    r"(?:\.(?P<fraction>[0-9]{1,6}))?"
    r"(?:Z|(?P<sign>[+-])(?P<offset_hours>[0-9]{2}):?(?P<offset_minutes>[0-9]{2}))"
)


class Rejection(NamedTuple):
    """One row of ``raw.rejected_events``: where it came from and why it was rejected.

    ``line_number`` is 1-based, or ``None`` for a ``corrupt_file`` rejection.
    """

    source_file: str
    line_number: int | None
    reason: str


@dataclass
class DayExpectation:
    """What loading one day's folder must produce.

    ``rows`` are the loaded rows (see :func:`read_day` for their keys), ``rejected`` the
    rejected lines and files, ``lines_read`` the non-blank lines of readable files,
    ``blank_lines`` the skipped blank lines, ``corrupt_files`` the source files that could not
    be read at all, ``files`` every data file considered (in read order) and
    ``lines_read_by_file`` the non-blank lines of each readable file.
    """

    day: date
    rows: list[dict[str, Any]] = field(default_factory=list)
    rejected: list[Rejection] = field(default_factory=list)
    lines_read: int = 0
    blank_lines: int = 0
    corrupt_files: list[str] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    lines_read_by_file: dict[str, int] = field(default_factory=dict)


class _Rejected(Exception):
    """Raised by a validation step with the reason code of the first rule the line breaks."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class _CorruptFile(Exception):
    """Raised when a file cannot be read as a whole (bad or truncated gzip stream)."""


class _JsonObject(dict[str, Any]):
    """A decoded JSON object that remembers whether one of its keys appeared twice, and
    whether any string in it (even under a key that was overwritten) holds a lone surrogate."""

    has_duplicate_keys: bool = False
    has_lone_surrogate: bool = False


def _object_from_pairs(pairs: list[tuple[str, Any]]) -> _JsonObject:
    """``object_pairs_hook`` for :func:`json.loads`: build the object, flag duplicate keys."""
    obj = _JsonObject(pairs)
    obj.has_duplicate_keys = len(obj) != len(pairs)
    obj.has_lone_surrogate = any(
        _has_lone_surrogate(key) or _has_lone_surrogate(value) for key, value in pairs
    )
    return obj


def _has_lone_surrogate(value: Any) -> bool:
    """Whether a decoded JSON value holds a surrogate, i.e. an unpaired ``\\uD800`` escape.

    UTF-8 input cannot encode surrogates and :mod:`json` joins escaped pairs, so any left is
    lone: such a string is not Unicode text and cannot be stored.
    """
    if isinstance(value, _JsonObject):
        return value.has_lone_surrogate  # found by the hook, duplicates included
    if isinstance(value, str):
        return any("\ud800" <= char <= "\udfff" for char in value)
    if isinstance(value, list):
        return any(_has_lone_surrogate(item) for item in value)
    return False


def _plain(value: Any) -> Any:
    """Return ``value`` with every :class:`_JsonObject` turned into a plain ``dict``."""
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    return value


# --------------------------------------------------------------------------------------------
# Files
# --------------------------------------------------------------------------------------------


def is_data_file_name(name: str) -> bool:
    """Whether a file called ``name`` in a day folder is read by the loader."""
    if name.startswith((".", "_")):
        return False
    base = name[: -len(".gz")] if name.endswith(".gz") else name
    return base.endswith(DATA_SUFFIXES)


def day_folder(landing_root: Path, day: date) -> Path:
    """The folder holding ``day``'s files: ``<landing>/events/date=YYYY-MM-DD``."""
    return landing_root / "events" / f"date={day.isoformat()}"


def data_files(landing_root: Path, day: date) -> list[Path]:
    """The files of ``day`` that are read, in name order (empty if the folder is missing)."""
    folder = day_folder(landing_root, day)
    if not folder.is_dir():
        return []
    found = [p for p in folder.iterdir() if p.is_file() and is_data_file_name(p.name)]
    return sorted(found, key=lambda p: p.name)


def _file_content(path: Path) -> bytes:
    """The stored (decompressed) bytes of a data file; raises :class:`_CorruptFile`."""
    data = path.read_bytes()
    if not path.name.endswith(".gz"):
        return data
    if not data:
        raise _CorruptFile(str(path))
    try:
        return gzip.decompress(data)
    except (OSError, EOFError, zlib.error) as exc:
        raise _CorruptFile(str(path)) from exc


def split_lines(content: bytes) -> list[bytes]:
    """Split a file's bytes into its numbered lines (index 0 is line 1).

    A leading UTF-8 BOM is dropped, lines end at ``\\n``, one trailing ``\\r`` is removed, a
    final line without ``\\n`` counts, and a file ending in ``\\n`` has no extra empty line.
    """
    if content.startswith(UTF8_BOM):
        content = content[len(UTF8_BOM) :]
    if not content:
        return []
    lines = content.split(b"\n")
    if content.endswith(b"\n"):
        lines.pop()
    return [line[:-1] if line.endswith(b"\r") else line for line in lines]


def is_blank(line: bytes) -> bool:
    """Whether a line is skipped as blank (empty or only whitespace)."""
    return not line.strip(BLANK_BYTES)


# --------------------------------------------------------------------------------------------
# Line validation, one function per group of rules (in contract order)
# --------------------------------------------------------------------------------------------


def _decode(line: bytes) -> str:
    """Rule 1: the line must be valid UTF-8."""
    try:
        return line.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _Rejected("invalid_utf8") from exc


_JSON_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"')
_NOT_BRACKETS = re.compile(r"[^\[\]{}]+")
_INNERMOST_PAIRS = re.compile(r"\[\]|\{\}")


def too_deeply_nested(text: str) -> bool:
    """Whether the JSON text nests arrays and objects more than :data:`MAX_NESTING` deep.

    Exact for valid JSON: strings are dropped, then each round removes the innermost pairs of
    brackets, one level. (For other text the answer does not matter: it is invalid JSON.)
    """
    brackets = _NOT_BRACKETS.sub("", _JSON_STRING.sub("", text))
    for _ in range(MAX_NESTING):
        peeled = _INNERMOST_PAIRS.sub("", brackets)
        if peeled == brackets:
            break
        brackets = peeled
    return bool(brackets)


#: Exponents are clamped to this magnitude: far beyond every limit of the rules, and within
#: what :class:`~decimal.Decimal` can hold (a JSON number's exponent is unbounded).
EXPONENT_CLAMP = 10**9
_NUMBER = re.compile(r"(?P<mantissa>-?[0-9]+(?:\.[0-9]+)?)(?:[eE](?P<exponent>[+-]?[0-9]+))?")


def _number(text: str) -> Decimal:
    """A JSON number exactly, as :class:`~decimal.Decimal` (huge exponents clamped)."""
    match = _NUMBER.fullmatch(text)
    assert match is not None, f"json only passes JSON numbers: {text!r}"
    written = match["exponent"] or "0"
    exponent = EXPONENT_CLAMP + 1
    if len(written.lstrip("+-").lstrip("0")) <= len(str(EXPONENT_CLAMP)):
        exponent = int(written)
    if abs(exponent) > EXPONENT_CLAMP:
        exponent = -EXPONENT_CLAMP if written.startswith("-") else EXPONENT_CLAMP
    return Decimal(f"{match['mantissa']}E{exponent}")


def _parse_object(text: str) -> _JsonObject:
    """Rules 2-4: valid JSON (NaN/Infinity allowed), an object, no repeated top-level key.

    Numbers are parsed exactly as :class:`~decimal.Decimal`; ``NaN``/``Infinity`` become
    floats so that the revenue rule can tell them apart from real numbers.
    """
    if len(text.encode("utf-8")) > MAX_LINE_BYTES or too_deeply_nested(text):
        raise _Rejected("invalid_json")
    try:
        value = json.loads(
            text,
            parse_float=_number,
            parse_int=_number,
            parse_constant=float,
            object_pairs_hook=_object_from_pairs,
        )
    except (ValueError, RecursionError) as exc:
        raise _Rejected("invalid_json") from exc
    if _has_lone_surrogate(value):
        raise _Rejected("invalid_json")
    if not isinstance(value, _JsonObject):
        raise _Rejected("not_an_object")
    if value.has_duplicate_keys:
        raise _Rejected("duplicate_key")
    return value


def _required_string(obj: dict[str, Any], key: str, missing: str, invalid: str) -> str:
    """A required non-empty string field: ``missing`` if absent/null, ``invalid`` otherwise."""
    value = obj.get(key)
    if value is None:
        raise _Rejected(missing)
    if not isinstance(value, str) or value == "" or NUL in value:
        raise _Rejected(invalid)
    return value


def _user_id(obj: dict[str, Any]) -> str | None:
    """Rule 7: ``user_id`` is a string or unknown (missing, null or ``""`` give ``None``)."""
    value = obj.get("user_id")
    if value is None:
        return None
    if not isinstance(value, str) or NUL in value:
        raise _Rejected("invalid_user_id")
    return value or None


def parse_timestamp(value: str) -> datetime | None:
    """Parse a contract timestamp to a naive UTC datetime; ``None`` if it is not valid.

    Raises :class:`OverflowError` when the instant is valid but its UTC value falls outside
    the years 1-9999 (it then cannot be on any folder's day).
    """
    match = TIMESTAMP_PATTERN.fullmatch(value)
    if match is None:
        return None
    parts = match.groupdict()
    fraction = (parts["fraction"] or "").ljust(6, "0")
    offset_hours = int(parts["offset_hours"] or 0)
    offset_minutes = int(parts["offset_minutes"] or 0)
    if offset_hours > 23 or offset_minutes > 59:
        return None
    # Year 0000 is real (1 BC, a leap year) but not a `datetime`: year 400 has the same
    # calendar, so the instant is computed 400 years later and moved back.
    year = int(parts["year"])
    shift = 400 if year == 0 else 0
    try:
        local = datetime(
            year + shift,
            int(parts["month"]),
            int(parts["day"]),
            int(parts["hour"]),
            int(parts["minute"]),
            int(parts["second"]),
            int(fraction),
        )
    except ValueError:
        return None
    offset = timedelta(hours=offset_hours, minutes=offset_minutes)
    utc = local + offset if parts["sign"] == "-" else local - offset
    if utc.year - shift < 1:
        raise OverflowError(f"{value} is before the year 1 in UTC")
    return utc.replace(year=utc.year - shift)


def _occurred_at(obj: dict[str, Any], day: date) -> datetime:
    """Rules 10-12: present, a valid timestamp with an offset, on ``day`` in UTC."""
    value = obj.get("occurred_at")
    if value is None:
        raise _Rejected("missing_occurred_at")
    if not isinstance(value, str):
        raise _Rejected("invalid_occurred_at")
    try:
        utc = parse_timestamp(value)
    except OverflowError as exc:
        raise _Rejected("occurred_at_outside_partition") from exc
    if utc is None:
        raise _Rejected("invalid_occurred_at")
    if utc.date() != day:
        raise _Rejected("occurred_at_outside_partition")
    return utc


def fraction_digits(value: Decimal) -> int:
    """Digits after the decimal point once trailing zeros are dropped (0 for integers)."""
    if value.is_zero():
        return 0
    _sign, digits, exponent = value.as_tuple()
    assert isinstance(exponent, int), "only finite decimals have fraction digits"
    significant = "".join(map(str, digits)).rstrip("0")
    return max(0, -(exponent + len(digits) - len(significant)))


def _revenue(obj: dict[str, Any]) -> Decimal:
    """Rules 13-16: missing/null is 0; else an exact number in ``[0, 10^14)``, <= 4 decimals."""
    value: object = obj.get("revenue")
    if value is None:
        return ZERO_REVENUE
    if isinstance(value, bool) or not isinstance(value, Decimal):
        raise _Rejected("invalid_revenue")
    if value < 0:
        raise _Rejected("negative_revenue")
    if value >= REVENUE_LIMIT:
        raise _Rejected("revenue_out_of_range")
    if fraction_digits(value) > 4:
        raise _Rejected("revenue_too_precise")
    if value.is_zero():
        return ZERO_REVENUE
    return value.quantize(REVENUE_QUANTUM)


def _properties(obj: dict[str, Any]) -> dict[str, Any] | None:
    """Rule 17: ``properties`` is an object or absent/null."""
    value = obj.get("properties")
    if value is None:
        return None
    if not isinstance(value, dict):
        raise _Rejected("invalid_properties")
    plain: dict[str, Any] = _plain(value)
    return plain


def _extra(obj: dict[str, Any]) -> dict[str, Any] | None:
    """Every top-level key the contract does not name, or ``None`` if there is none."""
    extra = {key: _plain(value) for key, value in obj.items() if key not in KNOWN_FIELDS}
    return extra or None


def parse_line(line: bytes, day: date) -> dict[str, Any]:
    """Validate one non-blank line (``\\r`` already removed) for ``day``.

    Returns the row's fields (without its source position) or raises with the reason of the
    first rule, in contract order, that the line breaks.
    """
    obj = _parse_object(_decode(line))
    event_id = _required_string(obj, "event_id", "missing_event_id", "invalid_event_id")
    user_id = _user_id(obj)
    event_type = _required_string(obj, "event_type", "missing_event_type", "invalid_event_type")
    occurred_at = _occurred_at(obj, day)
    revenue = _revenue(obj)
    properties = _properties(obj)
    return {
        "event_id": event_id,
        "user_id": user_id,
        "event_type": event_type,
        "occurred_at": occurred_at,
        "event_date": day,
        "revenue": revenue,
        "properties": properties,
        "extra": _extra(obj),
    }


def reason_for(line: bytes | str, day: date) -> str | None:
    """The rejection reason for one line, or ``None`` if it is loaded (handy in tests)."""
    raw = line.encode("utf-8") if isinstance(line, str) else line
    try:
        parse_line(raw, day)
    except _Rejected as exc:
        return exc.reason
    return None


# --------------------------------------------------------------------------------------------
# The three pipeline steps
# --------------------------------------------------------------------------------------------


def _read_file(path: Path, source_file: str, day: date, expectation: DayExpectation) -> None:
    """Add one file's rows, rejections and counts to ``expectation``."""
    expectation.files.append(source_file)
    try:
        content = _file_content(path)
    except _CorruptFile:
        expectation.corrupt_files.append(source_file)
        expectation.rejected.append(Rejection(source_file, None, CORRUPT_FILE))
        return
    read = 0
    for number, line in enumerate(split_lines(content), start=1):
        if is_blank(line):
            expectation.blank_lines += 1
            continue
        read += 1
        try:
            row = parse_line(line, day)
        except _Rejected as exc:
            expectation.rejected.append(Rejection(source_file, number, exc.reason))
            continue
        row["source_file"] = source_file
        row["source_line"] = number
        expectation.rows.append(row)
    expectation.lines_read += read
    expectation.lines_read_by_file[source_file] = read


def read_day(landing_root: Path, day: date) -> DayExpectation:
    """What loading ``day``'s folder under ``landing_root`` must produce.

    Each row is a dict with ``event_id``, ``user_id`` (``None`` when unknown), ``event_type``,
    ``occurred_at`` (naive UTC datetime), ``event_date``, ``revenue`` (``Decimal`` with 4
    places), ``properties`` (object or ``None``), ``extra`` (unknown top-level fields or
    ``None``), ``source_file`` (POSIX path relative to ``landing_root``) and ``source_line``
    (1-based). JSON numbers inside ``properties``/``extra`` are ``Decimal``.
    """
    expectation = DayExpectation(day=day)
    for path in data_files(landing_root, day):
        source_file = path.relative_to(landing_root).as_posix()
        _read_file(path, source_file, day, expectation)
    return expectation


def _keep_order(row: dict[str, Any]) -> tuple[datetime, str, int]:
    """Which copy of an event wins: earliest ``occurred_at``, then earliest source position."""
    return (row["occurred_at"], row["source_file"], row["source_line"])


def clean(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The cleaned events: rows with a known user, one per ``event_id``.

    Rows whose ``user_id`` is ``None`` are dropped first; then, per ``event_id``, the row with
    the earliest ``occurred_at`` is kept, ties broken by ``(source_file, source_line)``. The
    result is in source order.
    """
    kept: dict[str, dict[str, Any]] = {}
    for row in rows:
        if row["user_id"] is None:
            continue
        current = kept.get(row["event_id"])
        if current is None or _keep_order(row) < _keep_order(current):
            kept[row["event_id"]] = row
    return sorted(kept.values(), key=lambda row: (row["source_file"], row["source_line"]))


def summarize(cleaned: list[dict[str, Any]], day: date) -> dict[str, Any]:
    """The daily figures of ``day`` from its cleaned events (all zero for no events).

    ``events`` counts rows, ``active_users`` distinct users, ``purchases`` rows whose
    ``event_type`` is ``purchase``, and ``revenue`` is the exact sum of every row's revenue.
    """
    revenue = sum((row["revenue"] for row in cleaned), ZERO_REVENUE)
    return {
        "date": day,
        "events": len(cleaned),
        "active_users": len({row["user_id"] for row in cleaned}),
        "purchases": sum(1 for row in cleaned if row["event_type"] == "purchase"),
        "revenue": revenue.quantize(REVENUE_QUANTUM),
    }
