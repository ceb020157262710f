"""The bench's landing files: contract-valid product events for one UTC day, fast and exact.

Every contender reads the same files, pandas included, and pandas' ``read_json(lines=True)``
gives up on the first malformed line, so these files hold only lines the landing-zone contract
accepts (docs/landing-zone.md), unlike the sample generator's, which breaks it on purpose:

* ``event_id`` ``"e"`` and ten digits, unique per event; 2% of lines re-send an earlier event
  (the same line again: same ``event_id``, user, time and revenue);
* ``user_id`` ``"u"`` and seven digits, or ``null`` for 3% of events (unknown user);
* ``event_type`` ``purchase`` for 5% of events, which alone carry a ``revenue`` with exactly
  four fraction digits, 0.0001 to 999.9999; the others are page views, add-to-carts and
  searches, without revenue;
* ``occurred_at`` inside the day, in UTC with ``Z``, to the microsecond;
* ``properties`` a ~70-byte object (page, device, session).

A day is split into four files ``part-00001.jsonl`` .. ``part-00004.jsonl.gz`` (the last one
gzipped) under ``<landing>/events/date=D/``. Lines are built as bytes by numpy, a column of
the line at a time over half a million events (no Python loop per event; see
:mod:`bench.lines`), by two processes for big days. Each event's attributes are a hash of
(seed, day, event number, attribute), so any event can be rebuilt without the ones before it
and the bytes depend only on the day, the size and the seed.

The generator also knows the answer: :class:`Truth` holds the figures every correct contender
must reproduce, computed from the same attributes, not from the files.
"""

from __future__ import annotations

import datetime as dt
import gzip
import json
import multiprocessing
import shutil
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from decimal import Decimal
from pathlib import Path

import numpy as np

from bench.lines import LineBuilder

#: Bumped whenever the bytes written change, so cached days are rebuilt, never reused stale.
FORMAT_VERSION = 1
#: Share of events with an unknown user (``"user_id": null``).
UNKNOWN_USER_SHARE = 0.03
#: Share of events that are purchases (the only events with a revenue).
PURCHASE_SHARE = 0.05
#: Share of lines that re-send an earlier line of the day.
RESEND_SHARE = 0.02
#: Events per distinct user, on average (a 1M-event day has about 122,000 users).
EVENTS_PER_USER = 8
#: A day's files; the last is gzipped.
FILES_PER_DAY = 4
#: Event types other than ``purchase``, drawn uniformly (page views weigh five eighths).
OTHER_EVENT_TYPES = (
    "page_view",
    "page_view",
    "page_view",
    "page_view",
    "page_view",
    "add_to_cart",
    "add_to_cart",
    "search",
)
DEVICES = ("mobile", "desktop", "tablet")
#: Largest revenue, in units of 0.0001 (999.9999).
MAX_REVENUE_UNITS = 9_999_999
#: Events built at once: about 100 MB of line bytes in flight per process.
CHUNK_EVENTS = 500_000
#: Days of at least this many events are written by :data:`GENERATOR_PROCESSES` processes.
PARALLEL_FROM_EVENTS = 1_000_000
GENERATOR_PROCESSES = 2
#: zlib level of the gzipped part: 1 keeps generation quick; the ratio is not what is measured.
GZIP_LEVEL = 1

_MICROS_PER_DAY = 86_400_000_000
# splitmix64's constants: a well-mixed 64-bit hash of a counter, vectorized.
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX2 = np.uint64(0x94D049BB133111EB)
# Attribute streams: each attribute of an event is hashed under its own stream number.
_USER_KNOWN, _USER, _PURCHASE, _TYPE, _TIME, _REVENUE, _PAGE, _DEVICE, _SESSION = range(9)
_STREAMS = 16


@dataclass(frozen=True)
class Truth:
    """The figures of one generated day, known by construction.

    ``lines`` and ``raw_revenue`` count every line (re-sends and unknown users included);
    ``events``, ``active_users``, ``purchases`` and ``revenue`` are the cleaned day: events with
    a known user, each ``event_id`` once. Revenue is exact (units of 0.0001).
    """

    day: dt.date
    lines: int
    raw_revenue: Decimal
    events: int
    active_users: int
    purchases: int
    revenue: Decimal

    def figures(self) -> dict[str, int | Decimal]:
        """Every figure by name, as the contenders report theirs."""
        return {
            "lines": self.lines,
            "raw_revenue": self.raw_revenue,
            "events": self.events,
            "active_users": self.active_users,
            "purchases": self.purchases,
            "revenue": self.revenue,
        }

    def to_json(self) -> dict[str, object]:
        """A JSON-ready dict (revenue as exact decimal text)."""
        data = asdict(self)
        data["day"] = self.day.isoformat()
        data["raw_revenue"] = str(self.raw_revenue)
        data["revenue"] = str(self.revenue)
        return data

    @classmethod
    def from_json(cls, data: dict[str, object]) -> Truth:
        """The inverse of :meth:`to_json`."""
        return cls(
            day=dt.date.fromisoformat(str(data["day"])),
            lines=_as_int(data["lines"]),
            raw_revenue=Decimal(str(data["raw_revenue"])),
            events=_as_int(data["events"]),
            active_users=_as_int(data["active_users"]),
            purchases=_as_int(data["purchases"]),
            revenue=Decimal(str(data["revenue"])),
        )


@dataclass(frozen=True)
class Landing:
    """A generated landing zone: its root folder and the truth of each of its days.

    ``generate_s`` is how long generating it took, or None when it came from the cache.
    """

    root: Path
    days: tuple[Truth, ...]
    generate_s: float | None = None

    def day_folder(self, day: dt.date) -> Path:
        """The folder holding ``day``'s files."""
        return day_folder(self.root, day)

    def files(self, day: dt.date) -> list[Path]:
        """``day``'s files, in name order."""
        return sorted(p for p in self.day_folder(day).iterdir() if p.is_file())


def day_folder(root: Path, day: dt.date) -> Path:
    """``<root>/events/date=D``, where the contract puts day D's files."""
    return root / "events" / f"date={day.isoformat()}"


def parse_size(text: str) -> int:
    """``"5k"``, ``"1M"``, ``"20M"`` or ``"2500"`` as a number of events."""
    value = text.strip().lower().replace("_", "")
    factor = 1
    if value.endswith("k"):
        factor, value = 1_000, value[:-1]
    elif value.endswith("m"):
        factor, value = 1_000_000, value[:-1]
    try:
        number = Decimal(value) * factor
    except ArithmeticError:
        raise ValueError(f"not a size: {text!r} (try 5k, 1M, 20M)") from None
    if number != number.to_integral_value() or number < 1:
        raise ValueError(f"not a size: {text!r} (a whole number of events, at least 1)")
    return int(number)


def format_size(events: int) -> str:
    """The inverse of :func:`parse_size` for round sizes: 5000 -> ``5k``, 2000000 -> ``2M``."""
    if events % 1_000_000 == 0:
        return f"{events // 1_000_000}M"
    if events % 1_000 == 0:
        return f"{events // 1_000}k"
    return str(events)


def cached_landing(
    work_dir: Path,
    days: Sequence[dt.date],
    events_per_day: int,
    seed: int,
    progress: Callable[[str], None] = lambda _: None,
) -> Landing:
    """The landing zone for ``days`` under ``work_dir/data``, generated only the first time.

    The folder is named by the days, size, seed and :data:`FORMAT_VERSION`; it is built under a
    temporary name and renamed when complete, so an interrupted run leaves nothing that looks
    finished. Its ``truth.json`` holds each day's :class:`Truth`.
    """
    name = (
        f"{days[0].isoformat()}x{len(days)}-{format_size(events_per_day)}"
        f"-seed{seed}-v{FORMAT_VERSION}"
    )
    folder = work_dir / "data" / name
    truth_file = folder / "truth.json"
    if truth_file.exists():
        truths = tuple(Truth.from_json(d) for d in json.loads(truth_file.read_text()))
        return Landing(folder / "landing", truths)
    began = time.perf_counter()
    partial = folder.with_name(folder.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    truths = tuple(
        generate_day(partial / "landing", day, events_per_day, seed, progress) for day in days
    )
    (partial / "truth.json").write_text(json.dumps([t.to_json() for t in truths], indent=1))
    shutil.rmtree(folder, ignore_errors=True)
    partial.rename(folder)
    return Landing(folder / "landing", truths, time.perf_counter() - began)


def generate_day(
    root: Path,
    day: dt.date,
    events: int,
    seed: int,
    progress: Callable[[str], None] = lambda _: None,
) -> Truth:
    """Write ``events`` lines for ``day`` under ``root`` (see the module docstring)."""
    rng = np.random.default_rng([seed, day.toordinal()])
    resends = round(events * RESEND_SHARE)
    unique = events - resends
    # Which event each line carries: every event once, plus the re-sent ones again, shuffled.
    sources = np.concatenate(
        [np.arange(unique, dtype=np.int64), rng.choice(unique, resends, replace=False)]
    )
    order = sources[rng.permutation(events)]
    users = max(1, unique // EVENTS_PER_USER)
    folder = day_folder(root, day)
    folder.mkdir(parents=True, exist_ok=True)
    bounds = np.linspace(0, events, FILES_PER_DAY + 1).round().astype(np.int64)
    # The gzipped part first: it takes longest, so the other worker takes the rest meanwhile.
    parts = [
        (
            folder / f"part-{part + 1:05d}.jsonl{'.gz' if part == FILES_PER_DAY - 1 else ''}",
            order[bounds[part] : bounds[part + 1]],
        )
        for part in reversed(range(FILES_PER_DAY))
    ]
    if events < PARALLEL_FROM_EVENTS:
        for path, lines in parts:
            _write_part(path, seed, day, users, lines)
            progress(f"generated {path.name} of {day}")
    else:
        # Fresh interpreters ("spawn"), not forks of a process that may run threads.
        context = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(max_workers=GENERATOR_PROCESSES, mp_context=context) as pool:
            pending = {
                pool.submit(_write_part, path, seed, day, users, lines): path
                for path, lines in parts
            }
            for done in as_completed(pending):
                done.result()
                progress(f"generated {pending[done].name} of {day}")
    return _Attributes(seed, day, users).truth(day, unique, order)


def _write_part(path: Path, seed: int, day: dt.date, users: int, events: np.ndarray) -> None:
    """Write the lines of ``events`` (event numbers, in line order) to the part file ``path``."""
    attrs = _Attributes(seed, day, users)
    with _part_writer(path, path.name.endswith(".gz")) as write:
        for start in range(0, len(events), CHUNK_EVENTS):
            write(attrs.lines(day, events[start : start + CHUNK_EVENTS]))


@contextmanager
def _part_writer(path: Path, gzipped: bool) -> Iterator[Callable[[bytes], int]]:
    """The ``write`` of a new part file: plain, or one gzip stream with no name or time in its
    header (so the bytes depend on the content only)."""
    with path.open("wb") as raw:
        if not gzipped:
            yield raw.write
            return
        with gzip.GzipFile(
            filename="", mode="wb", fileobj=raw, compresslevel=GZIP_LEVEL, mtime=0
        ) as compressed:
            yield compressed.write


class _Attributes:
    """Every event's attributes as a pure function of (seed, day, event number)."""

    def __init__(self, seed: int, day: dt.date, users: int) -> None:
        key = seed * 1_000_003 + day.toordinal()
        # Python integers here: numpy warns on scalar overflow, which the hash relies on.
        self._offset = np.uint64((key * int(_GOLDEN) + int(_GOLDEN)) % 2**64)
        self.users = users

    def _hash(self, events: np.ndarray, stream: int) -> np.ndarray:
        x = events.astype(np.uint64) * np.uint64(_STREAMS) + np.uint64(stream)
        x = x + self._offset
        x = (x ^ (x >> np.uint64(30))) * _MIX1
        x = (x ^ (x >> np.uint64(27))) * _MIX2
        return x ^ (x >> np.uint64(31))

    def _below(self, events: np.ndarray, stream: int, share: float) -> np.ndarray:
        """True for about ``share`` of the events."""
        return (self._hash(events, stream) >> np.uint64(11)) < np.uint64(int(share * 2**53))

    def _pick(self, events: np.ndarray, stream: int, count: int) -> np.ndarray:
        return (self._hash(events, stream) % np.uint64(count)).astype(np.int64)

    def known(self, events: np.ndarray) -> np.ndarray:
        return ~self._below(events, _USER_KNOWN, UNKNOWN_USER_SHARE)

    def user(self, events: np.ndarray) -> np.ndarray:
        return self._pick(events, _USER, self.users)

    def purchase(self, events: np.ndarray) -> np.ndarray:
        return self._below(events, _PURCHASE, PURCHASE_SHARE)

    def revenue_units(self, events: np.ndarray) -> np.ndarray:
        """Revenue in units of 0.0001: 1 to 9,999,999 for purchases, 0 for other events."""
        units = self._pick(events, _REVENUE, MAX_REVENUE_UNITS) + 1
        return np.where(self.purchase(events), units, 0)

    def lines(self, day: dt.date, events: np.ndarray) -> bytes:
        """The JSON lines of ``events``, in order, each ending in a newline."""
        known, purchase = self.known(events), self.purchase(events)
        micros = self._pick(events, _TIME, _MICROS_PER_DAY)
        seconds, fraction = np.divmod(micros, 1_000_000)
        b = LineBuilder(len(events))
        b.text('{"event_id":"e')
        b.padded(events, 10)
        b.text('","user_id":')
        with b.only(known):
            b.text('"u')
            b.padded(self.user(events), 7)
            b.text('"')
        with b.only(~known):
            b.text("null")
        b.text(',"event_type":"')
        with b.only(purchase):
            b.text("purchase")
        with b.only(~purchase):
            b.choice(OTHER_EVENT_TYPES, self._pick(events, _TYPE, len(OTHER_EVENT_TYPES)))
        b.text(f'","occurred_at":"{day.isoformat()}T')
        b.padded(seconds // 3600, 2)
        b.text(":")
        b.padded(seconds // 60 % 60, 2)
        b.text(":")
        b.padded(seconds % 60, 2)
        b.text(".")
        b.padded(fraction, 6)
        b.text('Z"')
        units = self.revenue_units(events)
        with b.only(purchase):
            b.text(',"revenue":')
            b.unpadded(units // 10_000, 3)
            b.text(".")
            b.padded(units % 10_000, 4)
        b.text(',"properties":{"page":"/products/')
        b.padded(self._pick(events, _PAGE, 100_000), 5)
        b.text('","device":"')
        b.choice(DEVICES, self._pick(events, _DEVICE, len(DEVICES)))
        b.text('","session":"s')
        b.padded(self._pick(events, _SESSION, 10_000_000), 7)
        b.text('"}}\n')
        return b.to_bytes()

    def truth(self, day: dt.date, unique: int, order: np.ndarray) -> Truth:
        """The day's figures from the attributes: ``unique`` events, lines carrying ``order``."""
        seen = np.zeros(self.users, dtype=bool)
        events = purchases = revenue_units = 0
        for start in range(0, unique, CHUNK_EVENTS):
            chunk = np.arange(start, min(start + CHUNK_EVENTS, unique), dtype=np.int64)
            known = self.known(chunk)
            seen[self.user(chunk[known])] = True
            events += int(known.sum())
            purchases += int((known & self.purchase(chunk)).sum())
            revenue_units += int(self.revenue_units(chunk[known]).sum())
        raw_units = sum(
            int(self.revenue_units(order[start : start + CHUNK_EVENTS]).sum())
            for start in range(0, len(order), CHUNK_EVENTS)
        )
        return Truth(
            day=day,
            lines=len(order),
            raw_revenue=Decimal(raw_units).scaleb(-4),
            events=events,
            active_users=int(seen.sum()),
            purchases=purchases,
            revenue=Decimal(revenue_units).scaleb(-4),
        )


def _as_int(value: object) -> int:
    if not isinstance(value, int):
        raise TypeError(f"expected a whole number, got {value!r}")
    return value
