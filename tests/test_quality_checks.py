"""Each check fails on data crafted to break it, passes on clean data, and blocks when it must."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from event_analytics.defs.quality.cleaned_events_checks import cleaned_events_checks
from event_analytics.defs.quality.daily_summary_checks import daily_summary_checks
from event_analytics.defs.quality.deadline import partition_deadline, partition_deadline_job
from event_analytics.quality.deadline import due_partition
from event_analytics.quality.volume import judge_volume
from event_analytics.sample_data import generate_landing_zone
from harness import Platform, check_results, materialized, run_checks

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
    evaluation = check_results(result)["volume_within_trailing_median_band"]
    assert not evaluation.passed
    assert evaluation.metadata["failing_days"].value == [collapsed.isoformat()]
    normal_day = platform.materialize(partition="2025-01-08", checks=True)
    assert check_results(normal_day)["volume_within_trailing_median_band"].passed


def test_volume_needs_history_before_judging() -> None:
    assert judge_volume(5, [1000, 1000], 0.5, 3.0).passed
    verdict = judge_volume(5, [1000, 1000, 900], 0.5, 3.0)
    assert not verdict.passed and verdict.baseline == 1000
    assert not judge_volume(4000, [1000, 1000, 900], 0.5, 3.0).passed
    assert judge_volume(1000, [1000, 1000, 900], 0.5, 3.0).passed


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
    assert evaluations[check].metadata["offending_rows"].value == 1
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
