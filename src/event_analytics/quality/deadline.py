"""When a day is complete, and which daily_summary partition must exist by now.

Files for day D keep landing after midnight; by the deadline (`DAILY_SUMMARY_DEADLINE_UTC`,
02:00 UTC on D+1 by default) they are in. Until then day D is partial: a check that compares
it with complete days would see a drop that is only data still on its way.
"""

from __future__ import annotations

import datetime as dt


def utc_now() -> dt.datetime:
    """The current time in UTC: the one clock the checks read, so a test can set it."""
    return dt.datetime.now(dt.UTC)


def completes_at(day: dt.date, deadline: dt.time) -> dt.datetime:
    """When day D is complete: at `deadline` (UTC) on day D+1."""
    return dt.datetime.combine(day + dt.timedelta(days=1), deadline, tzinfo=dt.UTC)


def is_complete(day: dt.date, now: dt.datetime, deadline: dt.time) -> bool:
    """Whether day D's files are all in by `now` (its deadline has passed)."""
    return now.astimezone(dt.UTC) >= completes_at(day, deadline)


def due_partition(now: dt.datetime, deadline: dt.time) -> dt.date:
    """The latest day whose summary is due: day D is due at `deadline` (UTC) on day D+1."""
    now_utc = now.astimezone(dt.UTC)
    today = now_utc.date()
    deadline_today = dt.datetime.combine(today, deadline, tzinfo=dt.UTC)
    return today - dt.timedelta(days=1 if now_utc >= deadline_today else 2)
