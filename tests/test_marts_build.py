"""The marts, built by dbt through Dagster on generated data in a real DuckDB file, equal an
independent plain-Python computation (tests/marts_reference.py) - also after an old day is
re-run with changed data.

dbt runs take 10-20 s each, so the whole build is shared: one module fixture builds 17 days
(one range run of the daily marts, one run of the history marts), and a second one re-runs
an old day on a copy of it.
"""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import dagster as dg
import duckdb
import pytest
from dagster_dbt import DbtCliResource

import marts_reference as oracle
from event_analytics.dbt.project import DBT_EXECUTABLE, marts_project
from harness import Platform
from reference_model import clean, read_day

pytestmark = pytest.mark.slow

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


def _write(platform: Platform, day: str, name: str, events: list[tuple[Any, ...]]) -> None:
    folder = platform.landing_root / "events" / f"date={day}"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text("".join(_line(*event) for event in events))


def _resources(platform: Platform) -> dict[str, Any]:
    dbt = DbtCliResource(project_dir=marts_project, dbt_executable=DBT_EXECUTABLE)
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
        resources=_resources(platform),
        tags=tags,
        selection=list(select) if select else None,
        raise_on_error=False,
    )
    assert result.success or not must_succeed
    return result


def run_platform(platform: Platform, first: str, last: str) -> None:
    result = platform.materialize(partition_range=(first, last))
    assert result.success


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


@dataclass(frozen=True)
class Built:
    """A platform whose marts were built, what its checks said, and what the oracle expects."""

    platform: Platform
    checks: dict[str, bool]
    expected: dict[str, list[tuple[Any, ...]]]
    leftover_artifacts: set[str]


def check_outcomes(*results: dg.ExecuteInProcessResult) -> dict[str, bool]:
    return {
        evaluation.check_name: evaluation.passed
        for result in results
        for evaluation in result.get_asset_check_evaluations()
    }


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    """17 generated days (growing traffic, so new users keep arriving) plus edge events."""
    platform = Platform(tmp_path_factory.mktemp("marts"))
    for offset, day in enumerate(DAYS):
        platform.generate(day, days=1, events_per_day=240 + 40 * offset, seed=21)
    for edge_day, events in EDGE_EVENTS.items():
        _write(platform, edge_day, "zz-edge.jsonl", events)
    run_platform(platform, DAYS[0].isoformat(), LAST)
    daily = run_marts(platform, partitions=(DAYS[0].isoformat(), LAST))
    history = run_marts(platform)
    leftovers = {p.name for r in (daily, history) for p in TARGET.glob(f"*-{r.run_id[:7]}-*")}
    return Built(platform, check_outcomes(daily, history), expected_marts(platform), leftovers)


@pytest.mark.parametrize("mart", list(MART_QUERIES))
def test_mart_equals_the_plain_python_computation(built: Built, mart: str) -> None:
    actual = marts(built.platform)[mart]
    assert actual, mart
    assert actual == built.expected[mart]


def test_the_data_exercises_every_rule(built: Built) -> None:
    expected = built.expected
    assert any(row[3].date() > row[1] for row in expected["sessions"]), "a session past midnight"
    assert any(row[8] for row in expected["sessions"]), "a converted session"
    cohorts = {row[0] for row in expected["user_retention_weekly"]}
    assert len(cohorts) == 3, "a cohort per week"
    assert any(0 < row[5] < 1 for row in expected["user_retention_weekly"])
    assert any(row[2] > row[1] for row in expected["active_users_daily"]), "WAU above DAU"


def test_sessions_follow_the_inactivity_rule_across_midnight(built: Built) -> None:
    rows = built.platform.rows(
        "SELECT session_date, session_start, session_end, events, converted, revenue "
        "FROM marts.sessions WHERE user_id = 'u_edge' ORDER BY session_start"
    )
    at = dt.datetime.fromisoformat
    assert rows == [
        (
            dt.date(2025, 1, 3),
            at("2025-01-03T23:40:00"),
            at("2025-01-04T00:34:59.999999"),
            3,
            True,
            Decimal("12.34"),
        ),
        (dt.date(2025, 1, 4), at("2025-01-04T01:05:00"), at("2025-01-04T01:05:00"), 1, False, 0),
        (dt.date(2025, 1, 4), at("2025-01-04T01:35:00"), at("2025-01-04T01:35:00"), 1, False, 0),
    ]


def test_every_dbt_check_ran_and_passed(built: Built) -> None:
    checks = built.checks
    specs = {
        spec.name
        for name in ("sessions", "users")
        for spec in built.platform.defs.get_assets_def(name).check_specs
    }
    assert set(checks) == specs
    assert all(checks.values()), [name for name, passed in checks.items() if not passed]
    assert sum(name.startswith("matches_daily_summary_") for name in checks) == 3


def test_successful_runs_leave_no_dbt_artifacts_behind(built: Built) -> None:
    assert built.leftover_artifacts == set()


def test_money_is_exact_decimal(built: Built) -> None:
    types = built.platform.rows(
        "SELECT table_name, column_name, data_type FROM information_schema.columns "
        "WHERE table_schema = 'marts' AND column_name LIKE '%revenue%'"
    )
    assert len(types) == 4  # sessions, user_activity_daily, purchase_funnel_daily, users
    assert {t[2] for t in types} == {"DECIMAL(38,4)"}


def test_funnel_revenue_reconciles_with_daily_summary(built: Built) -> None:
    platform = built.platform
    funnel = platform.rows(
        "SELECT activity_date, purchases, revenue FROM marts.purchase_funnel_daily ORDER BY 1"
    )
    summary = platform.rows(
        "SELECT date, purchases, revenue FROM analytics.daily_summary ORDER BY 1"
    )
    assert funnel == summary and len(funnel) == len(DAYS)


def test_a_disagreement_with_daily_summary_fails_the_run(
    built: Built, tmp_path_factory: pytest.TempPathFactory
) -> None:
    root = tmp_path_factory.mktemp("disagree") / "platform"
    shutil.copytree(built.platform.landing_root.parent, root)
    platform = Platform(root)
    with duckdb.connect(str(platform.db_path)) as con:
        con.execute(
            "UPDATE analytics.daily_summary SET revenue = revenue + 0.0001 WHERE date = ?",
            [DAYS[1]],
        )
    day = DAYS[1].isoformat()
    result = run_marts(platform, partitions=(day, day), must_succeed=False)
    # A failed run keeps its dbt artifacts for inspection; this failure was expected.
    [kept] = TARGET.glob(f"daily_marts-{result.run_id[:7]}-*")
    shutil.rmtree(kept)
    assert not result.success
    # The first mart reconciled fails its check; dbt skips the marts built on it.
    [failed] = [name for name, passed in check_outcomes(result).items() if not passed]
    assert failed.startswith("matches_daily_summary_user_activity_daily_")


# --------------------------------------------------------------------------------------------
# Re-running an old day
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Rerun:
    """A copy of the built platform after its 5th was re-run, unchanged and then changed."""

    built: Built
    unchanged: dict[str, list[tuple[Any, ...]]]
    stale_until_dependents_ran: list[tuple[Any, ...]]
    platform: Platform
    expected: dict[str, list[tuple[Any, ...]]]


@pytest.fixture(scope="module")
def rerun(built: Built, tmp_path_factory: pytest.TempPathFactory) -> Rerun:
    root = tmp_path_factory.mktemp("rerun") / "platform"
    shutil.copytree(built.platform.landing_root.parent, root)
    platform = Platform(root)

    # Unchanged data: running the day again, alone, changes nothing.
    run_marts(platform, partitions=(RERUN_DAY, RERUN_DAY))
    unchanged = marts(platform)

    # Changed data: one file of the day disappears, a late file arrives.
    folder = platform.landing_root / "events" / f"date={RERUN_DAY}"
    (folder / "part-00000.jsonl").unlink()
    _write(platform, RERUN_DAY, "late.jsonl", LATE_EVENTS)
    run_platform(platform, RERUN_DAY, RERUN_DAY)
    # What automation requests then (test_marts_definitions shows it): the daily marts of the
    # 4th to the 6th, WAU/MAU of every later day, and the history marts.
    run_marts(platform, partitions=("2025-01-04", "2025-01-06"))
    stale = marts(platform)["active_users_daily"]
    run_marts(platform, partitions=("2025-01-07", LAST), select=["active_users_daily"])
    run_marts(platform)
    return Rerun(built, unchanged, stale, platform, expected_marts(platform))


def test_rerunning_a_day_unchanged_changes_nothing(rerun: Rerun) -> None:
    assert rerun.unchanged == marts(rerun.built.platform)


@pytest.mark.parametrize("mart", list(MART_QUERIES))
def test_mart_is_correct_after_an_old_day_changed(rerun: Rerun, mart: str) -> None:
    actual = marts(rerun.platform)[mart]
    assert actual == rerun.expected[mart]
    assert actual != rerun.built.expected[mart], "the change must reach every mart"


def test_later_days_need_their_own_rerun(rerun: Rerun) -> None:
    # WAU/MAU of the days after the 5th read it: until their partitions ran again, they were
    # stale. This is the dependency the partition mapping declares.
    assert rerun.stale_until_dependents_ran != rerun.expected["active_users_daily"]


def test_a_late_event_extends_yesterdays_session(rerun: Rerun) -> None:
    platform = rerun.platform
    rows = platform.rows(
        "SELECT session_date, session_start, session_end, events FROM marts.sessions "
        "WHERE user_id = 'u_chain'"
    )
    at = dt.datetime.fromisoformat
    assert rows == [(dt.date(2025, 1, 4), at("2025-01-04T23:55:00"), at("2025-01-05T00:10:00"), 2)]
    [newcomer] = platform.rows(
        "SELECT first_seen_date, lifetime_revenue FROM marts.users WHERE user_id = 'u_newcomer'"
    )
    assert newcomer == (dt.date(2025, 1, 5), Decimal("99.99"))
