"""Shared by the marts tests: the generated days with edge events, how to run the platform
and the marts on them, the marts' rows, and what the plain-Python oracle expects of them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import dagster as dg

import marts_reference as oracle
from event_analytics.dbt.project import DBT_EXECUTABLE, marts_project
from event_analytics.dbt.target import MartsDbtResource
from harness import Platform
from reference_model import clean, read_day

START = dt.date(2025, 1, 1)  # a Wednesday: three ISO weeks, the first one partial
DAYS = [START + dt.timedelta(days=i) for i in range(17)]
LAST = DAYS[-1].isoformat()
RERUN_DAY = "2025-01-05"
TARGET = marts_project.manifest_path.parent

# Hand-written events at the edges of the session rules, added to the generated days.
EDGE_EVENTS: dict[str, list[tuple[Any, ...]]] = {
    "2025-01-03": [("x_edge_1", "u_edge", "page_view", "2025-01-03T23:40:00Z", None)],
    "2025-01-04": [
        # 25 minutes after the last one, across midnight: the same session (of the 3rd).
        ("x_edge_2", "u_edge", "add_to_cart", "2025-01-04T00:05:00Z", None),
        # 29:59.999999 later: still the same session.
        ("x_edge_3", "u_edge", "purchase", "2025-01-04T00:34:59.999999Z", "12.34"),
        # 30:00.000001 later: a new session.
        ("x_edge_4", "u_edge", "page_view", "2025-01-04T01:05:00Z", None),
        # Exactly 30 minutes later: 30 minutes of inactivity closed the previous one.
        ("x_edge_5", "u_edge", "page_view", "2025-01-04T01:35:00Z", None),
        # Continued by a late file for the 5th in the re-run scenario.
        ("x_chain_1", "u_chain", "page_view", "2025-01-04T23:55:00Z", None),
    ],
}
LATE_EVENTS = [
    ("x_chain_2", "u_chain", "add_to_cart", "2025-01-05T00:10:00Z", None),
    ("x_new_1", "u_newcomer", "page_view", "2025-01-05T11:59:00Z", None),
    ("x_new_2", "u_newcomer", "purchase", "2025-01-05T12:00:00Z", "99.99"),
]

MART_QUERIES = {
    "user_activity_daily": """
        SELECT activity_date, user_id, events, page_views, add_to_carts, purchases, revenue,
               first_event_at, last_event_at
        FROM marts.user_activity_daily ORDER BY ALL""",
    "sessions": """
        SELECT user_id, session_date, session_start, session_end, events, page_views,
               add_to_carts, purchases, converted, furthest_step, revenue
        FROM marts.sessions ORDER BY ALL""",
    "active_users_daily": """
        SELECT activity_date, dau, wau, mau, stickiness
        FROM marts.active_users_daily ORDER BY activity_date""",
    "purchase_funnel_daily": """
        SELECT activity_date, viewers, cart_adders, buyers, purchasers, purchases, revenue,
               view_to_cart_rate, cart_to_purchase_rate, view_to_purchase_rate
        FROM marts.purchase_funnel_daily ORDER BY activity_date""",
    "users": """
        SELECT user_id, first_seen_at, last_seen_at, first_seen_date, last_seen_date,
               active_days, lifetime_events, lifetime_purchases, lifetime_revenue
        FROM marts.users ORDER BY ALL""",
    "user_retention_weekly": """
        SELECT cohort_week, activity_week, weeks_since_first_seen, cohort_users,
               active_users, retention
        FROM marts.user_retention_weekly ORDER BY ALL""",
}


def _line(event_id: str, user: str, kind: str, at: str, revenue: str | None) -> str:
    amount = f', "revenue": {revenue}' if revenue else ""
    return (
        f'{{"event_id": "{event_id}", "user_id": "{user}", "event_type": "{kind}", '
        f'"occurred_at": "{at}"{amount}}}\n'
    )


def write_events(platform: Platform, day: str, name: str, events: list[tuple[Any, ...]]) -> None:
    folder = platform.landing_root / "events" / f"date={day}"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text("".join(_line(*event) for event in events))


def marts_resources(platform: Platform) -> dict[str, Any]:
    dbt = MartsDbtResource(project_dir=marts_project, dbt_executable=DBT_EXECUTABLE)
    return {**platform.resources, "dbt": dbt}


def run_marts(
    platform: Platform,
    partitions: tuple[str, str] | None = None,
    select: Sequence[str] | None = None,
    must_succeed: bool = True,
) -> dg.ExecuteInProcessResult:
    """Materialize the daily marts for a range of days, or the history marts (no range)."""
    asset = platform.defs.get_assets_def("sessions" if partitions else "users")
    tags = {}
    if partitions is not None:
        tags = {
            "dagster/asset_partition_range_start": partitions[0],
            "dagster/asset_partition_range_end": partitions[1],
        }
    result = dg.materialize(
        [asset],
        resources=marts_resources(platform),
        tags=tags,
        selection=list(select) if select else None,
        raise_on_error=False,
    )
    assert result.success or not must_succeed
    return result


def run_platform(platform: Platform, first: str, last: str) -> None:
    result = platform.materialize(partition_range=(first, last))
    assert result.success


def build_marts(
    platform: Platform,
) -> tuple[dg.ExecuteInProcessResult, dg.ExecuteInProcessResult]:
    """Generate the test days, run the platform over them, then the daily marts (one range run)
    and the history marts: the results of the two marts runs."""
    generate_days(platform)
    run_platform(platform, DAYS[0].isoformat(), LAST)
    daily = run_marts(platform, partitions=(DAYS[0].isoformat(), LAST))
    return daily, run_marts(platform)


def marts(platform: Platform) -> dict[str, list[tuple[Any, ...]]]:
    return {name: platform.rows(sql) for name, sql in MART_QUERIES.items()}


def expected_marts(platform: Platform) -> dict[str, list[tuple[Any, ...]]]:
    """Every mart, computed in plain Python from the landing zone's files."""
    events = [row for day in DAYS for row in clean(read_day(platform.landing_root, day).rows)]
    return {
        "user_activity_daily": oracle.user_activity_daily(events),
        "sessions": oracle.sessions(events),
        "active_users_daily": oracle.active_users_daily(events, DAYS),
        "purchase_funnel_daily": oracle.purchase_funnel_daily(events, DAYS),
        "users": oracle.users(events),
        "user_retention_weekly": oracle.user_retention_weekly(events),
    }


def normalized(rows: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    """Rows in one order whatever the engine (NULLs last); floating-point rates compared to 12
    places, the precision two engines' divisions agree on."""

    def value(v: Any) -> Any:
        return round(v, 12) if isinstance(v, float) else v

    def key(row: tuple[Any, ...]) -> tuple[tuple[bool, Any], ...]:
        return tuple((v is None, v) for v in row)

    return sorted((tuple(value(v) for v in row) for row in rows), key=key)


def check_outcomes(*results: dg.ExecuteInProcessResult) -> dict[str, bool]:
    return {
        evaluation.check_name: evaluation.passed
        for result in results
        for evaluation in result.get_asset_check_evaluations()
    }


def generate_days(platform: Platform) -> None:
    """17 generated days (growing traffic, so new users keep arriving) plus edge events."""
    for offset, day in enumerate(DAYS):
        platform.generate(day, days=1, events_per_day=240 + 40 * offset, seed=21)
    for edge_day, events in EDGE_EVENTS.items():
        write_events(platform, edge_day, "zz-edge.jsonl", events)
