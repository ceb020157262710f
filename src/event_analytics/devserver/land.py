"""`make land`: one new file of events for today, to watch new data flow while the UI runs.

The file appears in today's folder (UTC) of the sample landing zone as a producer would write
it: under a temporary hidden name (the landing contract ignores names starting with "."),
then renamed, so the landing zone sensor never reads half a file. Its events are all valid,
by new users with event ids of their own, so today's figures grow by exactly what it says:
events, purchases and revenue, and as many active users.

Like `event-analytics generate`, it writes only into a folder generate wrote (it holds the
marker file `.event-analytics-sample`): synthetic events never go into a real landing zone.
"""

from __future__ import annotations

import datetime as dt
import json
import random
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from event_analytics.sample_data import SAMPLE_MARKER, RefusedDestinationError, day_folder

PURCHASE_SHARE = 0.1
ADD_TO_CART_SHARE = 0.2
USERS_PER_EVENT = 0.25


@dataclass(frozen=True)
class Landed:
    """What one `land` wrote: the file, and how much it adds to the day's figures."""

    path: Path
    day: dt.date
    events: int
    users: int
    purchases: int
    revenue: Decimal


def _event(
    rng: random.Random, stamp: str, n: int, users: int, midnight: dt.datetime, span_us: int
) -> tuple[dict[str, object], Decimal]:
    """Event number `n` of the file, and its revenue (0 unless it is a purchase)."""
    roll = rng.random()
    event_type = (
        "purchase"
        if roll < PURCHASE_SHARE
        else ("add_to_cart" if roll < PURCHASE_SHARE + ADD_TO_CART_SHARE else "page_view")
    )
    occurred = midnight + dt.timedelta(microseconds=rng.randrange(span_us))
    event: dict[str, object] = {
        "event_id": f"land_{stamp}_{n:06d}",
        "user_id": f"u_land_{stamp}_{n % users:04d}",
        "event_type": event_type,
        "occurred_at": occurred.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        "properties": {"path": "/", "referrer": "make-land"},
    }
    revenue = Decimal(0)
    if event_type == "purchase":
        revenue = Decimal(rng.randint(199, 29_999)).scaleb(-2)
        event["revenue"] = float(revenue)  # 2 fraction digits: written exactly by json
    return event, revenue


def land(root: Path, events: int, now: dt.datetime | None = None) -> Landed:
    """Write `events` valid events that occurred today (UTC) before `now` as a new file."""
    if events < 1:
        raise ValueError(f"events must be at least 1, got {events}")
    if not (root / SAMPLE_MARKER).is_file():
        raise RefusedDestinationError(
            f"{root.absolute()} is not a sample landing zone (no {SAMPLE_MARKER} file): "
            "`make land` writes synthetic events only where `make sample` wrote. Run "
            "`make sample` first."
        )
    now = (now or dt.datetime.now(dt.UTC)).astimezone(dt.UTC)
    day = now.date()
    midnight = dt.datetime.combine(day, dt.time(), tzinfo=dt.UTC)
    span_us = max(1, (now - midnight) // dt.timedelta(microseconds=1))
    stamp = now.strftime("%Y%m%dT%H%M%S%f")
    rng = random.Random(stamp)
    users = max(1, int(events * USERS_PER_EVENT))
    lines, revenue, purchases = [], Decimal(0), 0
    for n in range(events):
        event, amount = _event(rng, stamp, n, users, midnight, span_us)
        lines.append(json.dumps(event))
        revenue += amount
        purchases += event["event_type"] == "purchase"
    folder = day_folder(root, day)
    folder.mkdir(parents=True, exist_ok=True)
    temporary = folder / f".part-land-{stamp}.jsonl"
    temporary.write_text("\n".join(lines) + "\n", encoding="utf-8")
    path = temporary.replace(folder / f"part-land-{stamp}.jsonl")
    return Landed(path, day, events, min(users, events), purchases, revenue)
