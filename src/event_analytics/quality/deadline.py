"""Which daily_summary partition must exist by now, given the daily deadline."""

from __future__ import annotations

import datetime as dt


def due_partition(now: dt.datetime, deadline: dt.time) -> dt.date:
    """The latest day whose summary is due: day D is due at `deadline` (UTC) on day D+1."""
    now_utc = now.astimezone(dt.UTC)
    today = now_utc.date()
    deadline_today = dt.datetime.combine(today, deadline, tzinfo=dt.UTC)
    return today - dt.timedelta(days=1 if now_utc >= deadline_today else 2)
