"""An independent, plain-Python model of the marts (``docs/marts.md``): the tests' oracle.

The marts are dbt SQL run in DuckDB; this module computes the same figures a second time from
cleaned events (as :func:`reference_model.clean` gives them) with nothing but the standard
library, and shares no code with ``event_analytics`` or the dbt project.

Every function takes the cleaned events of *all* days (dicts with ``user_id``, ``event_id``,
``event_type``, ``occurred_at`` (naive UTC), ``event_date`` and ``revenue`` (``Decimal``)) and
returns rows as tuples in the column order of the mart, sorted, for direct comparison with
``SELECT ... ORDER BY``.

The rules, as the docs state them:

* sessions: per user, events in time order (ties by ``event_id``); a gap of 30 minutes or
  more starts a new session; a session belongs to the UTC day of its first event;
* WAU / MAU: distinct users over the 7 / 28 days ending that day (inclusive);
* funnel steps are nested within a UTC day: viewers, of them cart adders, of them buyers;
* weeks are ISO weeks (Monday first), in UTC.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

Event = dict[str, Any]
Row = tuple[Any, ...]

INACTIVITY = timedelta(minutes=30)
WAU_DAYS = 7
MAU_DAYS = 28
ZERO = Decimal("0.0000")


def _by_user(events: Iterable[Event]) -> dict[str, list[Event]]:
    grouped: dict[str, list[Event]] = defaultdict(list)
    for event in events:
        grouped[event["user_id"]].append(event)
    for user_events in grouped.values():
        user_events.sort(key=lambda e: (e["occurred_at"], e["event_id"]))
    return grouped


def _split_sessions(user_events: list[Event]) -> list[list[Event]]:
    sessions: list[list[Event]] = []
    previous: datetime | None = None
    for event in user_events:
        if previous is None or event["occurred_at"] - previous >= INACTIVITY:
            sessions.append([])
        sessions[-1].append(event)
        previous = event["occurred_at"]
    return sessions


def _count(events: Iterable[Event], event_type: str) -> int:
    return sum(1 for e in events if e["event_type"] == event_type)


def _furthest_step(page_views: int, add_to_carts: int, purchases: int) -> str:
    if purchases:
        return "purchase"
    if add_to_carts:
        return "add_to_cart"
    return "page_view" if page_views else "other"


def sessions(events: Iterable[Event]) -> list[Row]:
    """``(user_id, session_date, session_start, session_end, events, page_views,
    add_to_carts, purchases, converted, furthest_step, revenue)`` per session."""
    rows = []
    for user_id, user_events in _by_user(events).items():
        for session in _split_sessions(user_events):
            start, end = session[0]["occurred_at"], session[-1]["occurred_at"]
            views = _count(session, "page_view")
            carts = _count(session, "add_to_cart")
            buys = _count(session, "purchase")
            revenue = sum((e["revenue"] for e in session), ZERO)
            rows.append(
                (
                    user_id,
                    start.date(),
                    start,
                    end,
                    len(session),
                    views,
                    carts,
                    buys,
                    buys > 0,
                    _furthest_step(views, carts, buys),
                    revenue,
                )
            )
    return sorted(rows)


def user_activity_daily(events: Iterable[Event]) -> list[Row]:
    """``(activity_date, user_id, events, page_views, add_to_carts, purchases, revenue,
    first_event_at, last_event_at)`` per user and day with events."""
    by_day_user: dict[tuple[date, str], list[Event]] = defaultdict(list)
    for event in events:
        by_day_user[(event["event_date"], event["user_id"])].append(event)
    rows = []
    for (day, user_id), group in by_day_user.items():
        moments = [e["occurred_at"] for e in group]
        rows.append(
            (
                day,
                user_id,
                len(group),
                _count(group, "page_view"),
                _count(group, "add_to_cart"),
                _count(group, "purchase"),
                sum((e["revenue"] for e in group), ZERO),
                min(moments),
                max(moments),
            )
        )
    return sorted(rows)


def _active_sets(events: Iterable[Event]) -> dict[date, set[str]]:
    active: dict[date, set[str]] = defaultdict(set)
    for event in events:
        active[event["event_date"]].add(event["user_id"])
    return active


def _users_over(active: dict[date, set[str]], last_day: date, days: int) -> set[str]:
    window = (last_day - timedelta(days=offset) for offset in range(days))
    return set().union(*(active.get(day, set()) for day in window))


def active_users_daily(events: Iterable[Event], days: Sequence[date]) -> list[Row]:
    """``(activity_date, dau, wau, mau, stickiness)`` for each of ``days``."""
    active = _active_sets(events)
    rows = []
    for day in days:
        dau = len(active.get(day, set()))
        wau = len(_users_over(active, day, WAU_DAYS))
        mau = len(_users_over(active, day, MAU_DAYS))
        rows.append((day, dau, wau, mau, dau / mau if mau else None))
    return rows


def _rate(numerator: int, denominator: int) -> float | None:
    return numerator / denominator if denominator else None


def purchase_funnel_daily(events: Iterable[Event], days: Sequence[date]) -> list[Row]:
    """``(activity_date, viewers, cart_adders, buyers, purchasers, purchases, revenue,
    view_to_cart_rate, cart_to_purchase_rate, view_to_purchase_rate)`` for each of ``days``."""
    types: dict[date, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    purchases: dict[date, int] = defaultdict(int)
    revenue: dict[date, Decimal] = defaultdict(lambda: ZERO)
    for event in events:
        day = event["event_date"]
        types[day][event["event_type"]].add(event["user_id"])
        purchases[day] += event["event_type"] == "purchase"
        revenue[day] += event["revenue"]
    rows = []
    for day in days:
        did = types[day]
        viewers = did["page_view"]
        cart_adders = viewers & did["add_to_cart"]
        buyers = cart_adders & did["purchase"]
        rows.append(
            (
                day,
                len(viewers),
                len(cart_adders),
                len(buyers),
                len(did["purchase"]),
                purchases[day],
                revenue[day],
                _rate(len(cart_adders), len(viewers)),
                _rate(len(buyers), len(cart_adders)),
                _rate(len(buyers), len(viewers)),
            )
        )
    return rows


def users(events: Iterable[Event]) -> list[Row]:
    """``(user_id, first_seen_at, last_seen_at, first_seen_date, last_seen_date, active_days,
    lifetime_events, lifetime_purchases, lifetime_revenue)`` per user."""
    rows = []
    for user_id, user_events in _by_user(events).items():
        first, last = user_events[0]["occurred_at"], user_events[-1]["occurred_at"]
        rows.append(
            (
                user_id,
                first,
                last,
                first.date(),
                last.date(),
                len({e["event_date"] for e in user_events}),
                len(user_events),
                _count(user_events, "purchase"),
                sum((e["revenue"] for e in user_events), ZERO),
            )
        )
    return sorted(rows)


def week_of(day: date) -> date:
    """The Monday of ``day``'s ISO week."""
    return day - timedelta(days=day.weekday())


def user_retention_weekly(events: Iterable[Event]) -> list[Row]:
    """``(cohort_week, activity_week, weeks_since_first_seen, cohort_users, active_users,
    retention)`` for every cohort and every week from its own on in which anyone was active."""
    weeks_of_user: dict[str, set[date]] = defaultdict(set)
    for event in events:
        weeks_of_user[event["user_id"]].add(week_of(event["event_date"]))
    cohort_of = {user: min(weeks) for user, weeks in weeks_of_user.items()}
    cohorts: dict[date, set[str]] = defaultdict(set)
    for user, cohort in cohort_of.items():
        cohorts[cohort].add(user)
    all_weeks = set().union(*weeks_of_user.values())
    rows = []
    for cohort, members in cohorts.items():
        for week in sorted(w for w in all_weeks if w >= cohort):
            active = sum(1 for user in members if week in weeks_of_user[user])
            rows.append(
                (
                    cohort,
                    week,
                    (week - cohort).days // 7,
                    len(members),
                    active,
                    active / len(members),
                )
            )
    return sorted(rows)
