"""Is a day's volume normal? Compared with the median of the days before it.

A day is judged on its full count only once it is complete (its deadline has passed). Before
that, the rows so far are compared with the trailing days' rows up to the same time of day,
and the verdict is a WARN at most: a morning's partial count is not an incident.
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections.abc import Mapping
from dataclasses import dataclass

from event_analytics.quality.deadline import completes_at, is_complete

# Fewer loaded days than this in the trailing week and there is no baseline to speak of.
MIN_HISTORY_DAYS = 3
TRAILING_DAYS = 7


@dataclass(frozen=True)
class VolumeVerdict:
    """The outcome for one day: its rows, the baseline, and whether it is inside the band."""

    rows: int
    baseline: float | None
    history_days: int
    passed: bool
    reason: str


def judge_volume(
    rows: int,
    trailing: list[int],
    min_ratio: float,
    max_ratio: float,
    baseline_name: str = "the 7-day median",
) -> VolumeVerdict:
    """Compare `rows` with the median of `trailing` (row counts of loaded earlier days)."""
    if len(trailing) < MIN_HISTORY_DAYS:
        return VolumeVerdict(
            rows, None, len(trailing), True, f"only {len(trailing)} earlier day(s): no baseline"
        )
    baseline = float(statistics.median(trailing))
    if rows < baseline * min_ratio:
        reason = f"{rows} rows is below {min_ratio:g} x {baseline_name} ({baseline:g})"
        return VolumeVerdict(rows, baseline, len(trailing), False, reason)
    if rows > baseline * max_ratio:
        reason = f"{rows} rows is above {max_ratio:g} x {baseline_name} ({baseline:g})"
        return VolumeVerdict(rows, baseline, len(trailing), False, reason)
    return VolumeVerdict(rows, baseline, len(trailing), True, "within the band")


@dataclass(frozen=True)
class DayCounts:
    """Loaded rows per day: whole days, and the part of each day before a time of day."""

    whole: Mapping[dt.date, int]
    before: Mapping[dt.date, int]
    time_of_day: dt.timedelta


@dataclass(frozen=True)
class DayVolume:
    """A day's volume verdict, and whether the day was complete when it was judged."""

    verdict: VolumeVerdict
    complete: bool
    compared_until: str  # "end of day", or the time of day both sides were counted up to


def time_of_day(now: dt.datetime) -> dt.timedelta:
    """How far into its UTC day `now` is: the cut-off for comparing a day still in progress."""
    now_utc = now.astimezone(dt.UTC)
    return now_utc - dt.datetime.combine(now_utc.date(), dt.time(), tzinfo=dt.UTC)


def judge_day_volume(
    day: dt.date,
    counts: DayCounts,
    now: dt.datetime,
    deadline: dt.time,
    min_ratio: float,
    max_ratio: float,
) -> DayVolume:
    """Judge `day` as of `now`: complete days on full counts, today on the same hours.

    - Complete (its deadline passed): full count against full trailing days.
    - Over but not complete (after midnight, before the deadline): full counts too, since its
      hours are over, but files may still land: not complete.
    - In progress (today): the rows so far against the trailing days' rows before the same
      time of day (`counts.before`, counted up to `counts.time_of_day`).
    """
    earlier = [day - dt.timedelta(days=i) for i in range(1, TRAILING_DAYS + 1)]
    today = now.astimezone(dt.UTC).date()
    if day > today:
        return DayVolume(VolumeVerdict(0, None, 0, True, "the day has not started"), False, "-")
    complete = is_complete(day, now, deadline)
    if complete or day < today:
        trailing = [counts.whole[d] for d in earlier if counts.whole.get(d)]
        verdict = judge_volume(counts.whole.get(day, 0), trailing, min_ratio, max_ratio)
        return DayVolume(verdict, complete, "end of day")
    until = _clock(counts.time_of_day)
    trailing = [counts.before[d] for d in earlier if counts.before.get(d)]
    verdict = judge_volume(
        counts.whole.get(day, 0),
        trailing,
        min_ratio,
        max_ratio,
        baseline_name=f"the 7-day median up to {until}",
    )
    reason = (
        f"partial day (complete at {completes_at(day, deadline):%Y-%m-%d %H:%M} UTC), "
        f"compared up to {until}: {verdict.reason}"
    )
    return DayVolume(
        VolumeVerdict(verdict.rows, verdict.baseline, verdict.history_days, verdict.passed, reason),
        complete=False,
        compared_until=until,
    )


def _clock(offset: dt.timedelta) -> str:
    minutes = int(offset.total_seconds() // 60)
    return f"{minutes // 60:02d}:{minutes % 60:02d}"
