"""Deterministic, realistic sample data for the landing zone (see ``docs/landing-zone.md``).

:func:`generate_landing_zone` writes ``<root>/events/date=YYYY-MM-DD/part-NNNNN.jsonl`` (the
last part of each day gzipped as ``.jsonl.gz``) for a range of days. The content looks like a
shop's product events - users in sessions of ``page_view`` -> ``add_to_cart`` ->
``purchase`` - and carries, on purpose, every irregularity the contract has rules for:

* about 3% of events with an unknown user (``user_id`` null, missing or ``""``);
* about 2% of lines re-sending an earlier event (same ``event_id``; a third of them with a
  later ``occurred_at``), sometimes into the next file of the day;
* about 0.5% malformed lines, cycling through every line-level reason code in
  :data:`MALFORMED_REASONS` (so each appears on any day with at least 16 malformed lines);
* events within seconds of midnight, on both sides, written with ``+05:30``/``-08:00``
  offsets whose local date differs from the (still correct) UTC date;
* mixed timestamp spellings (``Z``, ``+00:00``, ``+HHMM``, a space for ``T``, 0-6 fraction
  digits), revenue with 2 or 4 fraction digits, ``"revenue": 0``/``null`` on non-purchases,
  occasional unknown top-level fields and non-ASCII text;
* about 0.1% blank lines (at least 2 a day from 1,000 lines on);
* on days with an even ordinal, the first part is written by a "Windows producer" (UTF-8 BOM
  and CRLF line endings); gzipped parts end without a final newline.

Everything is drawn from a :class:`random.Random` seeded with ``(seed, day)``, so a day's files
depend only on the seed, the day and ``events_per_day``, and re-running overwrites them with
byte-identical content.

The generator never touches data it did not write: it writes only into a folder that does not
exist yet, is empty, or holds the marker file :data:`SAMPLE_MARKER` it leaves at the root on
first use, and refuses any other folder (:class:`RefusedDestinationError`) before writing or
deleting anything. A real landing zone (Spark and most producers name their files ``part-*``,
as the generator does) is never mistaken for a sample one.
"""

from __future__ import annotations

import gzip
import heapq
import math
import random
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Protocol

#: Lines per part file; a day is split into ``max(MIN_FILES, ceil(events / LINES_PER_FILE))``.
LINES_PER_FILE = 250_000
MIN_FILES = 2
#: Share of events whose user is unknown (``user_id`` null, missing or empty).
UNKNOWN_USER_SHARE = 0.03
#: Share of events that are re-sent later (a duplicate ``event_id``).
RESEND_SHARE = 0.02
#: Share of re-sent events whose copy carries a later ``occurred_at``.
RESEND_LATER_SHARE = 0.35
#: Share of lines that are malformed (rejected by the contract).
MALFORMED_SHARE = 0.005
#: Share of lines that are events within seconds of midnight with a non-UTC offset.
MIDNIGHT_SHARE = 0.0005
#: Share of lines preceded by a blank line.
BLANK_LINE_SHARE = 0.001
#: Share of events with an unknown top-level field (kept by the platform in ``extra``).
EXTRA_FIELD_SHARE = 0.01
#: zlib level of the gzipped parts (6: most of level 9's ratio at a fraction of its time).
GZIP_LEVEL = 6

#: The rejection reason codes the malformed lines are built to trigger, one builder each.
MALFORMED_REASONS: tuple[str, ...] = (
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
#: Offsets used for the near-midnight events.
MIDNIGHT_OFFSETS: tuple[str, ...] = ("+05:30", "-08:00")
#: Offsets (in minutes east of UTC) used for other non-UTC timestamps.
OTHER_OFFSETS_MINUTES: tuple[int, ...] = (330, -480, 60, -210, 540, 345, -300)
#: File the generator leaves at the root of a folder it writes: it may write there again.
#: At the root, not in a day folder, and hidden: the landing contract never reads it.
SAMPLE_MARKER = ".event-analytics-sample"
SAMPLE_MARKER_TEXT = (
    "Written by `event-analytics generate`: this folder holds synthetic sample events, and\n"
    "generate may replace their part files. Without this file, generate refuses the folder.\n"
)
#: First and last day the generator accepts (neighbouring days must exist too).
FIRST_DAY = date.min + timedelta(days=1)
LAST_DAY = date.max - timedelta(days=1)

_MICROS_PER_DAY = 86_400_000_000
_MICROS_PER_MINUTE = 60_000_000
_PRODUCTS = 5_000
_FLUSH_EVERY = 8_192
_CURRENCIES = ("EUR", "EUR", "USD", "USD", "GBP", "INR")
_REFERRERS = ("direct", "google", "newsletter", "instagram", "partner")
_STATIC_PATHS = (
    "/",
    "/cart",
    "/checkout",
    "/category/shoes",
    "/category/bags",
    "/search?q=sneakers",
    "/search?q=caf\\u00e9",  # a JSON escape, written as is
    "/search?q=crème brûlée",  # raw UTF-8
)
_EXTRA_FIELDS = (
    ', "app_version": "4.12.0"',
    ', "app_version": "4.13.1"',
    ', "device": {"os": "ios", "model": "iPhone15,2"}',
    ', "sdk": null',
)
_BLANK_LINES = ("", "  ", "\t")


class RefusedDestinationError(Exception):
    """The folder given to the generator may hold real data: nothing was written or deleted."""


@dataclass(frozen=True)
class DaySummary:
    """What was written for one day.

    ``lines`` counts non-blank lines (what the contract calls lines read), of which
    ``malformed_lines`` are built to be rejected and ``resent_lines`` repeat an earlier
    ``event_id``; ``blank_lines`` are the extra blank lines.
    """

    day: date
    paths: tuple[Path, ...]
    lines: int
    blank_lines: int
    malformed_lines: int
    resent_lines: int


@dataclass(frozen=True)
class GenerationSummary:
    """What :func:`generate_landing_zone` wrote: totals and one :class:`DaySummary` per day."""

    root: Path
    days: int
    files: int
    lines_written: int
    blank_lines: int
    per_day: tuple[DaySummary, ...]

    @property
    def lines_per_day(self) -> dict[date, int]:
        """Non-blank lines written, per day."""
        return {summary.day: summary.lines for summary in self.per_day}

    @property
    def paths(self) -> tuple[Path, ...]:
        """Every file written, in day then name order."""
        return tuple(path for summary in self.per_day for path in summary.paths)


@dataclass(frozen=True)
class PartSpec:
    """How one part file is written: its name, lines ``[first, first + count)`` and format."""

    name: str
    first: int
    count: int
    gzipped: bool
    windows: bool  # UTF-8 BOM and CRLF line endings

    @property
    def newline(self) -> str:
        """The line terminator of this part."""
        return "\r\n" if self.windows else "\n"


@dataclass
class _Session:
    """One user's visit: the remaining ``(event_type, micros_of_day)`` steps, next one last."""

    user_id: str
    product_id: str
    price_cents: int
    quantity: int
    steps: list[tuple[str, int]]


@dataclass(frozen=True)
class _Event:
    """The parts of a generated event line, kept so a re-send can change its timestamp."""

    event_id: str
    user_part: str
    event_type: str
    micros: int
    tail: str  # revenue, properties and extra fields, each starting with ", "


def day_folder(root: Path, day: date) -> Path:
    """The folder of ``day``'s files under the landing root."""
    return root / "events" / f"date={day.isoformat()}"


def plan_parts(events_per_day: int, day: date) -> list[PartSpec]:
    """How a day's lines are split into parts (the last one gzipped)."""
    count = max(MIN_FILES, math.ceil(events_per_day / LINES_PER_FILE))
    bounds = [events_per_day * k // count for k in range(count + 1)]
    windows_day = day.toordinal() % 2 == 0
    specs = []
    for k in range(count):
        gzipped = k == count - 1
        name = f"part-{k:05d}.jsonl" + (".gz" if gzipped else "")
        windows = windows_day and k == 0
        specs.append(PartSpec(name, bounds[k], bounds[k + 1] - bounds[k], gzipped, windows))
    return specs


class _DayGenerator:
    """Produces one day's lines, in order, from a seeded random stream.

    Line ``i`` (0-based over the whole day) is a malformed or near-midnight line if ``i`` was
    picked for one up front, else a pending re-send if one is due, else the next event of the
    current session.
    """

    def __init__(self, day: date, events_per_day: int, seed: int) -> None:
        self.day = day
        self.rng = random.Random(f"{seed}/{day.isoformat()}")
        self.iso = day.isoformat()
        self.compact = self.iso.replace("-", "")
        self.midnight = datetime(day.year, day.month, day.day)
        self.users = max(20, events_per_day // 6)
        self.counter = 0
        self.session: _Session | None = None
        self.pending: list[tuple[int, int, _Event, str]] = []
        self.malformed_lines = 0
        self.resent_lines = 0
        self.special = self._plan_special_lines(events_per_day)
        self.blank_before = self._plan_blank_lines(events_per_day)

    # -- planning ------------------------------------------------------------------------

    def _plan_special_lines(self, lines: int) -> dict[int, str]:
        """Pick the line positions of malformed (reason code) and near-midnight lines."""
        malformed = max(round(lines * MALFORMED_SHARE), min(len(MALFORMED_REASONS), lines // 50))
        midnight = max(round(lines * MIDNIGHT_SHARE), min(4, lines // 100))
        positions = self.rng.sample(range(lines), min(lines, malformed + midnight))
        reasons = list(MALFORMED_REASONS)
        self.rng.shuffle(reasons)
        kinds = [reasons[k % len(reasons)] for k in range(malformed)]
        kinds += [f"midnight/{k % 4}" for k in range(midnight)]
        return dict(zip(positions, kinds, strict=False))

    def _plan_blank_lines(self, lines: int) -> set[int]:
        """Pick the lines preceded by a blank line (at least 2 on days of 1,000+ lines)."""
        blanks = max(round(lines * BLANK_LINE_SHARE), min(2, lines // 500))
        return set(self.rng.sample(range(lines), min(lines, blanks)))

    def _next_event_id(self) -> str:
        """A fresh event id: unique across days because it contains the date."""
        self.counter += 1
        return f"e_{self.compact}_{self.counter:07d}"

    # -- the line at position i ----------------------------------------------------------

    def line(self, position: int) -> str:
        """The text of line ``position`` of the day (without terminator)."""
        kind = self.special.get(position)
        if kind is not None:
            return self._special_line(kind)
        if self.pending and self.pending[0][0] <= position:
            return self._resend()
        event = self._next_session_event()
        text = self._render(event, self._timestamp(event.micros))
        if self.rng.random() < RESEND_SHARE:
            due = position + self.rng.randint(1, 400)
            heapq.heappush(self.pending, (due, self.counter, event, text))
        return text

    def _special_line(self, kind: str) -> str:
        """A malformed line (``kind`` is its reason code) or a near-midnight event."""
        if kind.startswith("midnight/"):
            return self._midnight_event(int(kind.split("/")[1]))
        self.malformed_lines += 1
        return self._malformed(kind)

    def _resend(self) -> str:
        """Re-send the earliest due event, sometimes with a later ``occurred_at``."""
        _due, _seq, event, text = heapq.heappop(self.pending)
        self.resent_lines += 1
        if self.rng.random() >= RESEND_LATER_SHARE:
            return text
        later = event.micros + self.rng.randint(1_000_000, 300_000_000)
        if later >= _MICROS_PER_DAY:
            return text
        return self._render(event, self._timestamp(later))

    # -- sessions ------------------------------------------------------------------------

    def _next_session_event(self) -> _Event:
        """The next step of the current session (starting a new session when needed)."""
        session = self.session
        if session is None or not session.steps:
            session = self.session = self._new_session()
        event_type, micros = session.steps.pop()
        return _Event(
            event_id=self._next_event_id(),
            user_part=self._user_part(session.user_id),
            event_type=event_type,
            micros=micros,
            tail=self._tail(event_type, session),
        )

    def _new_session(self) -> _Session:
        """A visit: 1-4 page views, maybe an add-to-cart, maybe a purchase, minutes apart."""
        rng = self.rng
        user = int(self.users * rng.random() ** 1.5)
        types = ["page_view"] * (1 + int(rng.random() * 4))
        if rng.random() < 0.35:
            types.append("add_to_cart")
            if rng.random() < 0.45:
                types.append("purchase")
        micros = int(rng.random() * _MICROS_PER_DAY)
        steps = []
        for event_type in types:
            if micros >= _MICROS_PER_DAY:
                break  # the visit would run past midnight: cut it short
            steps.append((event_type, micros))
            micros += rng.randint(20_000_000, 480_000_000)
        steps.reverse()
        return _Session(
            user_id=f"u_{user:06d}",
            product_id=f"p_{int(rng.random() * _PRODUCTS):05d}",
            price_cents=rng.randint(199, 29_999),
            quantity=1 + int(rng.random() ** 3 * 3),
            steps=steps,
        )

    def _user_part(self, user_id: str) -> str:
        """The ``user_id`` field (with its trailing separator), sometimes unknown."""
        roll = self.rng.random()
        if roll >= UNKNOWN_USER_SHARE:
            return f'"user_id": "{user_id}", '
        if roll < UNKNOWN_USER_SHARE * 0.5:
            return '"user_id": null, '
        if roll < UNKNOWN_USER_SHARE * 0.8:
            return ""
        return '"user_id": "", '

    def _tail(self, event_type: str, session: _Session) -> str:
        """Revenue, properties and (rarely) an unknown field for one event."""
        rng = self.rng
        if event_type == "purchase":
            revenue = f', "revenue": {self._purchase_revenue(session)}'
        else:
            roll = rng.random()
            revenue = (
                "" if roll < 0.85 else (', "revenue": 0' if roll < 0.95 else ', "revenue": null')
            )
        roll = rng.random()
        if roll < 0.02:
            properties = ', "properties": null'
        elif roll < 0.04:
            properties = ""
        else:
            properties = f', "properties": {self._properties(event_type, session)}'
        extra = ""
        if rng.random() < EXTRA_FIELD_SHARE:
            extra = _EXTRA_FIELDS[int(rng.random() * len(_EXTRA_FIELDS))]
        return revenue + properties + extra

    def _purchase_revenue(self, session: _Session) -> str:
        """A purchase amount: 2 fraction digits, or 4 (a converted currency) one time in 10."""
        if self.rng.random() < 0.1:
            amount = self.rng.randint(10_000, 5_000_000)
            return f"{amount // 10_000}.{amount % 10_000:04d}"
        cents = session.price_cents * session.quantity
        return f"{cents // 100}.{cents % 100:02d}"

    def _properties(self, event_type: str, session: _Session) -> str:
        """The ``properties`` object (JSON text) of an event of ``event_type``."""
        rng = self.rng
        product = session.product_id
        if event_type == "page_view":
            if rng.random() < 0.5:
                path = f"/products/{product}"
            else:
                path = _STATIC_PATHS[int(rng.random() * len(_STATIC_PATHS))]
            referrer = _REFERRERS[int(rng.random() * len(_REFERRERS))]
            return f'{{"path": "{path}", "referrer": "{referrer}"}}'
        price = f"{session.price_cents // 100}.{session.price_cents % 100:02d}"
        if event_type == "add_to_cart":
            return (
                f'{{"product_id": "{product}", "quantity": {session.quantity}, "price": {price}}}'
            )
        currency = _CURRENCIES[int(rng.random() * len(_CURRENCIES))]
        return (
            f'{{"product_id": "{product}", "quantity": {session.quantity}, '
            f'"currency": "{currency}", "order_id": "o_{self.compact}_{self.counter:07d}"}}'
        )

    # -- rendering -----------------------------------------------------------------------

    def _render(self, event: _Event, occurred_at: str) -> str:
        """The JSON line of an event with the given ``occurred_at`` text."""
        return (
            f'{{"event_id": "{event.event_id}", {event.user_part}"event_type": '
            f'"{event.event_type}", "occurred_at": "{occurred_at}"{event.tail}}}'
        )

    def _timestamp(self, micros: int) -> str:
        """``occurred_at`` text for ``micros`` after UTC midnight, in a random valid spelling."""
        roll = self.rng.random()
        seconds, fraction = divmod(micros, 1_000_000)
        hours, seconds = divmod(seconds, 3600)
        minutes, seconds = divmod(seconds, 60)
        clock = f"{hours:02d}:{minutes:02d}:{seconds:02d}"
        if roll < 0.80:
            return f"{self.iso}T{clock}.{fraction // 1000:03d}Z"
        if roll < 0.88:
            return f"{self.iso}T{clock}Z"
        if roll < 0.93:
            return f"{self.iso} {clock}.{fraction:06d}+00:00"
        offset = OTHER_OFFSETS_MINUTES[int(self.rng.random() * len(OTHER_OFFSETS_MINUTES))]
        return self._local_timestamp(micros, offset, compact=roll < 0.96)

    def _local_timestamp(self, micros: int, offset_minutes: int, compact: bool = False) -> str:
        """``micros`` after UTC midnight as local time at ``offset_minutes`` east of UTC."""
        local = self.midnight + timedelta(microseconds=micros + offset_minutes * _MICROS_PER_MINUTE)
        sign = "-" if offset_minutes < 0 else "+"
        hours, minutes = divmod(abs(offset_minutes), 60)
        offset = f"{sign}{hours:02d}{'' if compact else ':'}{minutes:02d}"
        digits = self.rng.choice((0, 1, 3, 6))
        fraction = f".{local.microsecond:06d}"[: digits + 1] if digits else ""
        return (
            f"{local.year:04d}-{local.month:02d}-{local.day:02d}T"
            f"{local.hour:02d}:{local.minute:02d}:{local.second:02d}{fraction}{offset}"
        )

    def _midnight_event(self, variant: int) -> str:
        """A page view within 10 s of midnight (variant: before/after x ``+05:30``/``-08:00``).

        Its UTC date is the day, but written with the offset its local date is the day
        before (``-08:00`` just after midnight) or after (``+05:30`` just before midnight).
        """
        rng = self.rng
        late = variant >= 2
        offset_text = MIDNIGHT_OFFSETS[variant % 2]
        offset = 330 if offset_text == "+05:30" else -480
        within = rng.randint(0, 9_999_999)
        micros = _MICROS_PER_DAY - 1 - within if late else within
        user = f"u_{int(self.users * rng.random()):06d}"
        local = self._local_timestamp(micros, offset)
        return (
            f'{{"event_id": "{self._next_event_id()}", "user_id": "{user}", '
            f'"event_type": "page_view", "occurred_at": "{local}", '
            f'"properties": {{"path": "/", "referrer": "direct"}}}}'
        )

    # -- malformed lines -----------------------------------------------------------------

    def _malformed(self, reason: str) -> str:
        """A line the contract rejects with exactly ``reason``."""
        rng = self.rng
        micros = int(rng.random() * _MICROS_PER_DAY)
        fields: list[tuple[str, str]] = [
            ("event_id", f'"{self._next_event_id()}"'),
            ("user_id", f'"u_{int(self.users * rng.random()):06d}"'),
            ("event_type", '"purchase"'),
            ("occurred_at", f'"{self._timestamp(micros)}"'),
            ("revenue", "19.99"),
            ("properties", '{"product_id": "p_00042", "currency": "EUR"}'),
        ]
        if reason in _TEXT_MALFORMERS:
            return _TEXT_MALFORMERS[reason](self, fields)
        key, value = _FIELD_MALFORMERS[reason](self)
        if value is None:
            return _object_text([item for item in fields if item[0] != key])
        return _object_text([(k, value if k == key else v) for k, v in fields])

    def previous_day_timestamp(self) -> str:
        """A timestamp whose UTC date is the day before (sometimes only once converted)."""
        if self.rng.random() < 0.5:
            before = self.midnight - timedelta(microseconds=self.rng.randint(1, 3_600_000_000))
            return f"{before.isoformat(timespec='milliseconds')}Z"
        # Local time just after midnight, but east of UTC: the UTC date is the previous day.
        return f"{self.iso}T00:{self.rng.randint(0, 59):02d}:00+05:30"


def _object_text(fields: list[tuple[str, str]]) -> str:
    """A JSON object line from ``(key, raw JSON value)`` pairs, in order."""
    return "{" + ", ".join(f'"{key}": {value}' for key, value in fields) + "}"


def _truncated(gen: _DayGenerator, fields: list[tuple[str, str]]) -> str:
    """Invalid JSON: a line cut off before its closing brace."""
    text = _object_text(fields)
    return text[: gen.rng.randint(1, len(text) - 2)]


def _not_an_object(gen: _DayGenerator, fields: list[tuple[str, str]]) -> str:
    """Valid JSON that is an array of the values rather than an object."""
    return "[" + ", ".join(value for _key, value in fields[:4]) + "]"


def _duplicate_key(gen: _DayGenerator, fields: list[tuple[str, str]]) -> str:
    """An object repeating its ``event_type`` key."""
    return _object_text([*fields, ("event_type", '"page_view"')])


def _invalid_utf8(gen: _DayGenerator, fields: list[tuple[str, str]]) -> str:
    """A Latin-1 producer's line: ``\\udce9`` is written as the lone byte ``0xE9``."""
    path = ("properties", '{"path": "/search?q=caf\udce9"}')
    return _object_text([path if key == "properties" else (key, v) for key, v in fields])


_TEXT_MALFORMERS: dict[str, Callable[[_DayGenerator, list[tuple[str, str]]], str]] = {
    "invalid_utf8": _invalid_utf8,
    "invalid_json": _truncated,
    "not_an_object": _not_an_object,
    "duplicate_key": _duplicate_key,
}

# For the other reasons: which field to replace, and its raw JSON value (None drops the field).
_FIELD_MALFORMERS: dict[str, Callable[[_DayGenerator], tuple[str, str | None]]] = {
    "missing_event_id": lambda gen: ("event_id", None),
    "invalid_event_id": lambda gen: ("event_id", str(gen.counter)),
    "invalid_user_id": lambda gen: ("user_id", str(gen.rng.randint(1, 99_999))),
    "missing_event_type": lambda gen: ("event_type", None),
    "invalid_event_type": lambda gen: ("event_type", '""'),
    "missing_occurred_at": lambda gen: ("occurred_at", "null"),
    "invalid_occurred_at": lambda gen: (
        "occurred_at",
        f'"{gen.iso}T{gen.rng.randint(10, 23)}:15:00"',
    ),
    "occurred_at_outside_partition": lambda gen: (
        "occurred_at",
        f'"{gen.previous_day_timestamp()}"',
    ),
    "invalid_revenue": lambda gen: ("revenue", '"19.99"'),
    "negative_revenue": lambda gen: ("revenue", "-19.99"),
    "revenue_out_of_range": lambda gen: ("revenue", "100000000000000.00"),
    "revenue_too_precise": lambda gen: ("revenue", "19.99999"),
    "invalid_properties": lambda gen: ("properties", '"product_id=p_00042"'),
}


# --------------------------------------------------------------------------------------------
# Writing files
# --------------------------------------------------------------------------------------------


class _ByteSink(Protocol):
    """Anything bytes can be written to (a file or a gzip stream)."""

    def write(self, data: bytes, /) -> int:
        """Write ``data``; return the number of bytes written."""
        ...


@contextmanager
def _open_part(path: Path, gzipped: bool) -> Iterator[_ByteSink]:
    """Open ``path`` for writing bytes; gzip with a fixed header (no mtime) when asked."""
    with path.open("wb") as raw:
        if not gzipped:
            yield raw
            return
        name = path.name.lstrip(".")
        with gzip.GzipFile(name, "wb", GZIP_LEVEL, raw, mtime=0) as compressed:
            yield compressed


def _encode(chunk: list[str]) -> bytes:
    """UTF-8 bytes of ``chunk``; lone surrogates ``\\udcXX`` become raw (invalid) bytes."""
    return "".join(chunk).encode("utf-8", "surrogateescape")


def _write_part(out: _ByteSink, gen: _DayGenerator, spec: PartSpec) -> int:
    """Write one part's lines to ``out``; returns the number of blank lines added."""
    rng = gen.rng
    blank_before = gen.blank_before
    newline = spec.newline
    chunk: list[str] = ["\ufeff"] if spec.windows else []
    blanks = 0
    last = spec.first + spec.count - 1
    for position in range(spec.first, spec.first + spec.count):
        if position in blank_before:
            blanks += 1
            chunk.append(_BLANK_LINES[int(rng.random() * len(_BLANK_LINES))] + newline)
        ending = "" if spec.gzipped and position == last else newline
        chunk.append(gen.line(position) + ending)
        if len(chunk) >= _FLUSH_EVERY:
            out.write(_encode(chunk))
            chunk.clear()
    out.write(_encode(chunk))
    return blanks


def _clear_day_folder(folder: Path) -> None:
    """Delete the part files (and leftover temporary parts) a previous run wrote.

    Only ever called inside a folder :func:`claim_destination` accepted as a sample folder.
    """
    for pattern in ("part-*", ".part-*"):
        for path in folder.glob(pattern):
            if path.is_file():
                path.unlink()


def _write_day(root: Path, day: date, events_per_day: int, seed: int) -> DaySummary:
    """Generate and write all parts of ``day``; each part appears atomically (by rename)."""
    folder = day_folder(root, day)
    folder.mkdir(parents=True, exist_ok=True)
    _clear_day_folder(folder)
    gen = _DayGenerator(day, events_per_day, seed)
    paths: list[Path] = []
    blanks = 0
    for spec in plan_parts(events_per_day, day):
        temporary = folder / f".{spec.name}"
        with _open_part(temporary, spec.gzipped) as out:
            blanks += _write_part(out, gen, spec)
        paths.append(temporary.replace(folder / spec.name))
    return DaySummary(
        day=day,
        paths=tuple(paths),
        lines=events_per_day,
        blank_lines=blanks,
        malformed_lines=gen.malformed_lines,
        resent_lines=gen.resent_lines,
    )


def claim_destination(root: Path) -> None:
    """Make ``root`` a sample folder, or raise :class:`RefusedDestinationError`.

    Accepted: a folder that does not exist yet (it is created), an empty folder, or one that
    holds :data:`SAMPLE_MARKER`. The marker is written before any event file, so a folder the
    generator started writing is always recognised as its own.
    """
    marker = root / SAMPLE_MARKER
    where = root.absolute()
    if root.exists() and not root.is_dir():
        raise RefusedDestinationError(f"{where} is not a folder: give a new or empty folder")
    if root.is_dir() and not marker.is_file() and any(root.iterdir()):
        raise RefusedDestinationError(
            f"refusing to write into {where}: it is not empty and has no {SAMPLE_MARKER} file, "
            "so it may be a real landing zone (the generator would replace its part-* files "
            "and add synthetic events). Give a new or empty folder."
        )
    root.mkdir(parents=True, exist_ok=True)
    if not marker.is_file():
        marker.write_text(SAMPLE_MARKER_TEXT)


def _check_arguments(start: date, days: int, events_per_day: int) -> None:
    """Raise :class:`ValueError` with a clear message for arguments that cannot be used."""
    if days < 1:
        raise ValueError(f"days must be at least 1, got {days}")
    if events_per_day < 1:
        raise ValueError(f"events_per_day must be at least 1, got {events_per_day}")
    if start < FIRST_DAY or start > LAST_DAY or (LAST_DAY - start).days < days - 1:
        raise ValueError(f"days must lie between {FIRST_DAY} and {LAST_DAY}")


def generate_landing_zone(
    root: Path,
    start: date,
    days: int,
    events_per_day: int,
    seed: int,
    progress: Callable[[str], None] | None = None,
) -> GenerationSummary:
    """Write ``days`` days of sample events, from ``start``, under the landing root ``root``.

    ``root`` must be new, empty or a sample folder (see :func:`claim_destination`); otherwise
    :class:`RefusedDestinationError` is raised and nothing is written. Each day gets
    ``events_per_day`` non-blank lines (valid events, re-sends and malformed lines together)
    split into part files; a day's existing ``part-*`` files are replaced. The output depends
    only on the arguments, and a day's files only on ``(seed, day, events_per_day)``.
    ``progress`` receives one message per day.
    """
    _check_arguments(start, days, events_per_day)
    claim_destination(root)
    summaries = []
    for offset in range(days):
        day = start + timedelta(days=offset)
        began = time.perf_counter()
        summary = _write_day(root, day, events_per_day, seed)
        summaries.append(summary)
        if progress is not None:
            elapsed = time.perf_counter() - began
            progress(
                f"{day.isoformat()}: {summary.lines:,} lines "
                f"({summary.malformed_lines:,} malformed, {summary.resent_lines:,} re-sent, "
                f"{summary.blank_lines:,} blank) in {len(summary.paths)} files, {elapsed:.1f} s"
            )
    return GenerationSummary(
        root=root,
        days=days,
        files=sum(len(s.paths) for s in summaries),
        lines_written=sum(s.lines for s in summaries),
        blank_lines=sum(s.blank_lines for s in summaries),
        per_day=tuple(summaries),
    )
