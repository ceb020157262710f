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
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import duckdb
import pytest

from harness import Platform
from marts_harness import (
    DAYS,
    LAST,
    LATE_EVENTS,
    MART_QUERIES,
    RERUN_DAY,
    TARGET,
    build_marts,
    check_outcomes,
    expected_marts,
    marts,
    run_marts,
    run_platform,
    write_events,
)

pytestmark = pytest.mark.slow


@dataclass(frozen=True)
class Built:
    """A platform whose marts were built, what its checks said, and what the oracle expects."""

    platform: Platform
    checks: dict[str, bool]
    expected: dict[str, list[tuple[Any, ...]]]
    leftover_artifacts: set[str]


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    """17 generated days (growing traffic, so new users keep arriving) plus edge events."""
    platform = Platform(tmp_path_factory.mktemp("marts"))
    daily, history = build_marts(platform)
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
    write_events(platform, RERUN_DAY, "late.jsonl", LATE_EVENTS)
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
