"""Each check fails on data crafted to break it, passes on clean data, and blocks when it must."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import dagster as dg
import duckdb
import pytest

from event_analytics.defs.quality.cleaned_events_checks import cleaned_events_checks
from event_analytics.defs.quality.daily_summary_checks import daily_summary_checks
from event_analytics.defs.quality.deadline import partition_deadline, partition_deadline_job
from event_analytics.defs.quality.per_day import PER_DAY_RESULTS_MAX_DAYS
from event_analytics.defs.quality.raw_events_checks import raw_events_checks
from event_analytics.quality import deadline as deadline_module
from event_analytics.quality.deadline import due_partition
from event_analytics.quality.volume import judge_volume
from event_analytics.sample_data import generate_landing_zone
from harness import PLATFORM_ASSETS, Platform, check_results, materialized, run_checks

DAY = "2025-01-02"
GOOD = '{"event_id":"%s","user_id":"u%s","event_type":"page_view","occurred_at":"%sT10:00:00Z"}\n'

ALL_CHECKS = {
    "rejected_ratio_below_threshold",
    "volume_within_trailing_median_band",
    "event_id_unique_per_day",
    "user_id_not_null",
    "revenue_not_negative",
    "reconciles_with_cleaned_events",
}


def _execute_sql(platform: Platform, sql: str) -> None:
    with duckdb.connect(str(platform.db_path)) as con:
        con.execute(sql)


def evaluations_by_day(
    result: dg.ExecuteInProcessResult, check: str
) -> dict[str, dg.AssetCheckEvaluation]:
    """A check's evaluations in a run, by the day each one is about (each names its day)."""
    found = [
        event.asset_check_evaluation_data
        for event in result.all_events
        if event.event_type == dg.DagsterEventType.ASSET_CHECK_EVALUATION
        and event.asset_check_evaluation_data.check_name == check
    ]
    assert all(e.partition for e in found), f"{check}: an evaluation names no day"
    by_day = {str(e.partition): e for e in found}
    assert len(by_day) == len(found)  # one per day
    return by_day


def figure(evaluation: dg.AssetCheckEvaluation, name: str) -> Any:
    """The raw value of one metadata entry of an evaluation."""
    return evaluation.metadata[name].value


def test_all_checks_pass_on_clean_generated_data(platform: Platform) -> None:
    platform.generate(dt.date(2025, 1, 1), days=2, events_per_day=2000)
    result = platform.materialize(partition=DAY, checks=True)
    assert result.success
    evaluations = check_results(result)
    assert set(evaluations) == ALL_CHECKS
    assert all(e.passed for e in evaluations.values()), {
        name: e.description for name, e in evaluations.items() if not e.passed
    }


def test_rejected_ratio_alerts_but_does_not_block(
    platform: Platform, write_day: Callable[[str, str, bytes | str], Path]
) -> None:
    lines = "".join(GOOD % (i, i, DAY) for i in range(8)) + "not json\n{}\n"
    write_day(DAY, "a.jsonl", lines)
    result = platform.materialize(partition=DAY, checks=True)
    evaluation = check_results(result)["rejected_ratio_below_threshold"]
    assert not evaluation.passed
    assert evaluation.severity == dg.AssetCheckSeverity.ERROR
    assert evaluation.metadata["rejected_ratio"].value == pytest.approx(0.2)
    # Non-blocking: the usable lines still flow all the way down.
    assert {"cleaned_events", "daily_summary"} <= materialized(result)
    assert platform.rows("SELECT events FROM analytics.daily_summary") == [(8,)]


def test_rejected_ratio_threshold_is_configurable(
    platform: Platform,
    write_day: Callable[[str, str, bytes | str], Path],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    write_day(DAY, "a.jsonl", "".join(GOOD % (i, i, DAY) for i in range(8)) + "x\n")
    monkeypatch.setenv("RAW_REJECTED_RATIO_MAX", "0.5")
    result = platform.materialize(partition=DAY, checks=True)
    assert check_results(result)["rejected_ratio_below_threshold"].passed


def test_volume_drop_to_a_tenth_is_an_incident(platform: Platform) -> None:
    start = dt.date(2025, 1, 1)
    platform.generate(start, days=8, events_per_day=1000)
    collapsed = start + dt.timedelta(days=8)
    generate_landing_zone(platform.landing_root, collapsed, 1, 100, seed=7)
    result = platform.materialize(
        partition_range=(start.isoformat(), collapsed.isoformat()), checks=True
    )
    volume = evaluations_by_day(result, "volume_within_trailing_median_band")
    assert [day for day, e in sorted(volume.items()) if not e.passed] == [collapsed.isoformat()]
    assert volume[collapsed.isoformat()].severity == dg.AssetCheckSeverity.ERROR
    assert figure(volume[collapsed.isoformat()], "rows") < 150
    normal_day = platform.materialize(partition="2025-01-08", checks=True)
    assert check_results(normal_day)["volume_within_trailing_median_band"].passed


def test_a_range_run_reports_each_day_on_its_own(platform: Platform) -> None:
    """Every check reports one evaluation per day of a range run, about that day only."""
    platform.generate(dt.date(2025, 1, 1), days=3, events_per_day=300)
    days = ["2025-01-01", "2025-01-02", "2025-01-03"]
    raw = platform.materialize(
        partition_range=(days[0], days[-1]),
        assets=["raw_events"],
        checks=True,
        selection=dg.AssetSelection.assets("raw_events"),
    )
    for check in ("rejected_ratio_below_threshold", "volume_within_trailing_median_band"):
        assert sorted(evaluations_by_day(raw, check)) == days, check
    # Each day's metadata holds that day's own figures.
    volume = evaluations_by_day(raw, "volume_within_trailing_median_band")
    loaded = platform.rows(
        "SELECT CAST(event_date AS VARCHAR), count(*) FROM raw.events GROUP BY 1"
    )
    assert {d: figure(volume[d], "rows") for d in days} == dict(loaded)
    rejected = evaluations_by_day(raw, "rejected_ratio_below_threshold")
    bad = dict(
        platform.rows(
            "SELECT CAST(partition_date AS VARCHAR), count(*) FROM raw.rejected_events "
            "WHERE line_number IS NOT NULL GROUP BY 1"
        )
    )
    assert {d: figure(rejected[d], "rejected_lines") for d in days} == bad
    assert {d: figure(rejected[d], "lines") for d in days} == {
        d: dict(loaded)[d] + bad[d] for d in days
    }

    _execute_sql(
        platform,
        "UPDATE raw.events SET revenue = -5 WHERE event_id = (SELECT min(event_id) "
        "FROM raw.events WHERE event_date = DATE '2025-01-02' AND user_id IS NOT NULL)",
    )
    result = platform.materialize(
        partition_range=(days[0], days[-1]), assets=["cleaned_events", "daily_summary"], checks=True
    )
    revenue = evaluations_by_day(result, "revenue_not_negative")
    assert sorted(revenue) == days
    assert [revenue[d].passed for d in days] == [True, False, True]
    assert [figure(revenue[d], "offending_rows") for d in days] == [0, 1, 0]
    assert [revenue[d].severity for d in days] == [dg.AssetCheckSeverity.ERROR] * 3
    [example] = figure(revenue["2025-01-02"], "examples")
    assert example["revenue"] == "-5.0000"
    for check in ("event_id_unique_per_day", "user_id_not_null"):
        assert sorted(evaluations_by_day(result, check)) == days, check
    # The blocking failure skipped daily_summary, and with it its check.
    assert evaluations_by_day(result, "reconciles_with_cleaned_events") == {}


def test_summary_reconciliation_reports_each_day_of_a_range(platform: Platform) -> None:
    platform.generate(dt.date(2025, 1, 1), days=3, events_per_day=300)
    assert platform.materialize(partition_range=("2025-01-01", "2025-01-03")).success
    _execute_sql(
        platform,
        "UPDATE analytics.daily_summary SET events = events + 1 WHERE date = DATE '2025-01-03'",
    )
    result = dg.materialize(
        [*(platform.defs.get_assets_def(key) for key in PLATFORM_ASSETS), daily_summary_checks],
        selection=dg.AssetSelection.checks(daily_summary_checks),
        resources=platform.resources,
        tags={
            "dagster/asset_partition_range_start": "2025-01-01",
            "dagster/asset_partition_range_end": "2025-01-03",
        },
        raise_on_error=False,
    )
    evaluations = evaluations_by_day(result, "reconciles_with_cleaned_events")
    assert {day: e.passed for day, e in evaluations.items()} == {
        "2025-01-01": True,
        "2025-01-02": True,
        "2025-01-03": False,
    }
    assert figure(evaluations["2025-01-01"], "differences") == []
    assert "events is" in str(figure(evaluations["2025-01-03"], "differences"))


def test_volume_needs_history_before_judging() -> None:
    assert judge_volume(5, [1000, 1000], 0.5, 3.0).passed
    verdict = judge_volume(5, [1000, 1000, 900], 0.5, 3.0)
    assert not verdict.passed and verdict.baseline == 1000
    assert not judge_volume(4000, [1000, 1000, 900], 0.5, 3.0).passed
    assert judge_volume(1000, [1000, 1000, 900], 0.5, 3.0).passed


def write_events(
    write_day: Callable[[str, str, bytes | str], Path],
    day: str,
    count: int,
    until: dt.timedelta = dt.timedelta(days=1),
) -> None:
    """`count` valid events spread evenly over `[day 00:00, day 00:00 + until)`."""
    start = dt.datetime.fromisoformat(f"{day}T00:00:00+00:00")
    lines = [
        json.dumps(
            {
                "event_id": f"{day}-{i}",
                "user_id": f"u{i % 50}",
                "event_type": "page_view",
                "occurred_at": (start + until * i / count).isoformat(),
            }
        )
        for i in range(count)
    ]
    write_day(day, "events.jsonl", "\n".join(lines) + "\n")


def set_clock(monkeypatch: pytest.MonkeyPatch, now: str) -> None:
    """The time the checks see (the wall clock cannot be set, so its one reader is)."""
    frozen = dt.datetime.fromisoformat(now)
    monkeypatch.setattr(deadline_module, "utc_now", lambda: frozen, raising=False)


# Eight complete days of 960 events (40 an hour), then 2025-01-09, still landing.
FULL_DAYS = [f"2025-01-0{d}" for d in range(1, 9)]
TODAY = "2025-01-09"


def load_history_and_today(
    platform: Platform, write_day: Callable[[str, str, bytes | str], Path], today_rows: int
) -> dg.ExecuteInProcessResult:
    for day in FULL_DAYS:
        write_events(write_day, day, 960)
    write_events(write_day, TODAY, today_rows, until=dt.timedelta(hours=10))
    return platform.materialize(
        partition_range=(FULL_DAYS[0], TODAY),
        assets=["raw_events"],
        checks=True,
        selection=dg.AssetSelection.assets("raw_events"),  # with its checks, not the others'
    )


def test_a_partial_day_is_compared_with_the_same_hours_of_earlier_days(
    platform: Platform,
    write_day: Callable[[str, str, bytes | str], Path],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """At 10:00, a normal morning (400 rows, like every morning) is not a 58% drop."""
    set_clock(monkeypatch, f"{TODAY}T10:00:00+00:00")
    result = load_history_and_today(platform, write_day, today_rows=400)
    volume = evaluations_by_day(result, "volume_within_trailing_median_band")
    today = volume[TODAY]
    assert today.passed, today.description
    assert today.severity == dg.AssetCheckSeverity.WARN  # a partial day never pages
    assert today.metadata["rows"].value == 400
    assert today.metadata["trailing_median"].value == 400  # earlier days up to 10:00
    assert today.metadata["complete"].value is False
    # The earlier days are complete: judged on full counts, at ERROR.
    assert {volume[d].severity for d in FULL_DAYS} == {dg.AssetCheckSeverity.ERROR}
    assert all(volume[d].passed for d in FULL_DAYS)


def test_a_low_partial_day_warns_and_the_same_day_complete_is_an_error(
    platform: Platform,
    write_day: Callable[[str, str, bytes | str], Path],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    set_clock(monkeypatch, f"{TODAY}T10:00:00+00:00")
    result = load_history_and_today(platform, write_day, today_rows=40)
    partial = evaluations_by_day(result, "volume_within_trailing_median_band")[TODAY]
    assert not partial.passed
    assert partial.severity == dg.AssetCheckSeverity.WARN

    # Past midnight the day is over, but files may still land until the deadline: WARN still.
    set_clock(monkeypatch, "2025-01-10T01:59:00+00:00")
    late = run_checks(platform, [raw_events_checks], TODAY)
    evaluation = evaluations_by_day(late, "volume_within_trailing_median_band")[TODAY]
    assert (evaluation.passed, evaluation.severity) == (False, dg.AssetCheckSeverity.WARN)

    # After the deadline the day is complete: 40 rows against a median of 960 is an incident.
    set_clock(monkeypatch, "2025-01-10T02:00:00+00:00")
    complete = run_checks(platform, [raw_events_checks], TODAY)
    evaluation = evaluations_by_day(complete, "volume_within_trailing_median_band")[TODAY]
    assert (evaluation.passed, evaluation.severity) == (False, dg.AssetCheckSeverity.ERROR)
    assert evaluation.metadata["trailing_median"].value == 960
    assert evaluation.metadata["complete"].value is True


def test_the_volume_schedule_judges_the_day_that_just_became_due(
    platform: Platform,
    write_day: Callable[[str, str, bytes | str], Path],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Nothing reloads a finished day: the schedule evaluates it once its deadline passed."""
    from event_analytics.defs.quality.deadline import volume_deadline_job, volume_deadline_schedule

    set_clock(monkeypatch, f"{TODAY}T10:00:00+00:00")
    assert load_history_and_today(platform, write_day, today_rows=40).success
    assert volume_deadline_schedule.cron_schedule == "5 2 * * *"  # 5 minutes after 02:00

    tick = dt.datetime.fromisoformat("2025-01-10T02:05:00+00:00")
    set_clock(monkeypatch, tick.isoformat())
    defs = dg.Definitions(
        assets=[platform.defs.get_assets_def("raw_events")],
        asset_checks=[raw_events_checks],
        jobs=[volume_deadline_job],
        schedules=[volume_deadline_schedule],
        resources=platform.resources,
    )
    context = dg.build_schedule_context(
        scheduled_execution_time=tick, repository_def=defs.get_repository_def()
    )
    [request] = list(volume_deadline_schedule.evaluate_tick(context).run_requests or [])
    assert request.tags["dagster/partition"] == TODAY
    job = defs.resolve_job_def(volume_deadline_job.name)
    result = job.execute_in_process(tags=request.tags, raise_on_error=False)
    assert result.success  # raw_events checks do not block: the run succeeds, the check fails
    assert materialized(result) == set()  # a check-only run: nothing is reloaded
    evaluation = evaluations_by_day(result, "volume_within_trailing_median_band")[TODAY]
    assert (evaluation.passed, evaluation.severity) == (False, dg.AssetCheckSeverity.ERROR)


@pytest.mark.parametrize(
    ("now", "complete"),
    [
        ("2025-01-09T23:59:59+00:00", False),
        ("2025-01-10T01:59:59+00:00", False),
        ("2025-01-10T02:00:00+00:00", True),
        ("2025-01-09T21:30:00-05:00", True),  # 02:30 UTC on 2025-01-10
    ],
)
def test_a_day_is_complete_once_its_deadline_has_passed(now: str, complete: bool) -> None:
    from event_analytics.quality.deadline import is_complete

    day = dt.date(2025, 1, 9)
    assert is_complete(day, dt.datetime.fromisoformat(now), dt.time(2, 0)) is complete


@pytest.mark.parametrize(
    ("check", "corruption"),
    [
        (
            "event_id_unique_per_day",
            "INSERT INTO analytics.cleaned_events SELECT * FROM analytics.cleaned_events LIMIT 1",
        ),
        (
            "user_id_not_null",
            "ALTER TABLE analytics.cleaned_events ALTER user_id DROP NOT NULL; "
            "UPDATE analytics.cleaned_events SET user_id = NULL "
            "WHERE event_id = (SELECT min(event_id) FROM analytics.cleaned_events)",
        ),
        (
            "revenue_not_negative",
            "UPDATE analytics.cleaned_events SET revenue = -1 "
            "WHERE event_id = (SELECT min(event_id) FROM analytics.cleaned_events)",
        ),
    ],
)
def test_cleaned_events_checks_fail_on_crafted_rows(
    platform: Platform, check: str, corruption: str
) -> None:
    platform.generate(dt.date(2025, 1, 2), days=1, events_per_day=500)
    assert platform.materialize(partition=DAY, checks=True).success
    _execute_sql(platform, corruption)
    result = run_checks(platform, [cleaned_events_checks], DAY)
    evaluations = check_results(result)
    assert not evaluations[check].passed
    assert figure(evaluations[check], "offending_rows") == 1
    others = {name: e.passed for name, e in evaluations.items() if name != check}
    assert all(others.values()), others


def test_blocking_failure_skips_downstream(platform: Platform) -> None:
    platform.generate(dt.date(2025, 1, 2), days=1, events_per_day=500)
    assert platform.materialize(partition=DAY, checks=True).success
    before = platform.rows("SELECT * FROM analytics.daily_summary")
    # Someone writes a negative revenue straight into raw.events, bypassing the contract.
    _execute_sql(
        platform,
        "UPDATE raw.events SET revenue = -5 WHERE event_id = "
        "(SELECT min(event_id) FROM raw.events WHERE user_id IS NOT NULL)",
    )
    result = platform.materialize(
        partition=DAY, assets=["cleaned_events", "daily_summary"], checks=True
    )
    assert not result.success
    assert not check_results(result)["revenue_not_negative"].passed
    assert "daily_summary" not in materialized(result)
    assert platform.rows("SELECT * FROM analytics.daily_summary") == before


@pytest.mark.parametrize(
    ("corruption", "message"),
    [
        ("UPDATE analytics.daily_summary SET revenue = revenue + 0.0001", "revenue"),
        ("UPDATE analytics.daily_summary SET active_users = active_users + 1", "active_users"),
        ("DELETE FROM analytics.daily_summary", "no summary row"),
    ],
)
def test_summary_reconciliation_catches_any_difference(
    platform: Platform, corruption: str, message: str
) -> None:
    platform.generate(dt.date(2025, 1, 2), days=1, events_per_day=500)
    assert platform.materialize(partition=DAY, checks=True).success
    _execute_sql(platform, corruption)
    result = run_checks(platform, [daily_summary_checks], DAY)
    evaluation = check_results(result)["reconciles_with_cleaned_events"]
    assert not evaluation.passed
    assert message in (evaluation.description or "")


@pytest.mark.parametrize(
    ("now", "due"),
    [
        ("2025-03-10T01:59:59+00:00", "2025-03-08"),
        ("2025-03-10T02:00:00+00:00", "2025-03-09"),
        ("2025-03-10T23:00:00-05:00", "2025-03-10"),
    ],
)
def test_due_partition(now: str, due: str) -> None:
    assert due_partition(dt.datetime.fromisoformat(now), dt.time(2, 0)).isoformat() == due


def test_deadline_check_fires_while_missing_and_clears_when_it_lands(platform: Platform) -> None:
    instance = dg.DagsterInstance.ephemeral()
    summary = platform.defs.get_assets_def("daily_summary")

    job = dg.Definitions(
        assets=[summary],
        asset_checks=[partition_deadline],
        jobs=[partition_deadline_job],
        resources=platform.resources,
    ).resolve_job_def("partition_deadline_job")

    def evaluate() -> dg.AssetCheckEvaluation:
        result = job.execute_in_process(instance=instance, raise_on_error=False)
        [evaluation] = [
            e.asset_check_evaluation_data
            for e in result.all_events
            if e.event_type == dg.DagsterEventType.ASSET_CHECK_EVALUATION
        ]
        return evaluation

    due = due_partition(dt.datetime.now(dt.UTC), dt.time(2, 0)).isoformat()
    missing = evaluate()
    assert not missing.passed and due in (missing.description or "")
    assert platform.materialize(partition=due, assets=["daily_summary"], instance=instance).success
    assert evaluate().passed


def _all_evaluations(result: dg.ExecuteInProcessResult, check: str) -> list[Any]:
    return [
        event.asset_check_evaluation_data
        for event in result.all_events
        if event.event_type == dg.DagsterEventType.ASSET_CHECK_EVALUATION
        and event.asset_check_evaluation_data.check_name == check
    ]


@pytest.mark.parametrize(("days", "per_day"), [(PER_DAY_RESULTS_MAX_DAYS, True), (40, False)])
def test_a_long_backfill_reports_each_check_once_with_its_failing_days(
    platform: Platform,
    write_day: Callable[[str, str, bytes | str], Path],
    days: int,
    per_day: bool,
) -> None:
    """Up to a month, one result per day; past it (a long backfill), one per check for the
    whole range that fails when a day fails and names that day."""
    first = dt.date(2025, 1, 1)
    for offset in range(days):
        day = (first + dt.timedelta(days=offset)).isoformat()
        lines = "".join(GOOD % (f"e{offset}-{i}", i, day) for i in range(3))
        # One day in ten has a rejected line: a rejected ratio far above 1% (not blocking).
        write_day(day, "a.jsonl", lines + ("not json\n" if offset % 10 == 5 else ""))
    last = (first + dt.timedelta(days=days - 1)).isoformat()
    result = platform.materialize(
        partition_range=(first.isoformat(), last), assets=["raw_events"], checks=True
    )
    assert result.success
    failing = [(first + dt.timedelta(days=o)).isoformat() for o in range(days) if o % 10 == 5]
    found = _all_evaluations(result, "rejected_ratio_below_threshold")
    if per_day:
        assert len(found) == days
        assert sorted(str(e.partition) for e in found if not e.passed) == failing
    else:
        [whole] = found
        assert whole.partition is None and not whole.passed
        assert whole.severity == dg.AssetCheckSeverity.ERROR
        assert whole.metadata["failing_days"].value == failing
        assert whole.metadata["days"].value == days
