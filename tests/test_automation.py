"""The sensor that watches the landing zone, and downstream assets following any partition."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable, Iterator
from pathlib import Path

import dagster as dg
import pytest
import yaml
from dagster._core.definitions.freshness import TimeWindowFreshnessPolicy

from event_analytics.automation.landing_cursor import LandingCursor
from event_analytics.defs.automation.landing_sensor import landing_zone_sensor
from event_analytics.landing import LandedFile, LandingZoneResource
from harness import PLATFORM_ASSETS, Platform

PROJECT_ROOT = Path(__file__).resolve().parents[1]
LINE = '{"event_id":"%s","user_id":"u1","event_type":"page_view","occurred_at":"%sT10:00:00Z"}\n'


def _tick(
    landing_root: Path, cursor: str | None, instance: dg.DagsterInstance | None = None
) -> dg.SensorResult:
    context = dg.build_sensor_context(
        cursor=cursor,
        resources={"landing": LandingZoneResource(url=str(landing_root))},
        instance=instance or dg.DagsterInstance.ephemeral(),
    )
    result = landing_zone_sensor(context)
    assert isinstance(result, dg.SensorResult)
    return result


def _requested(result: dg.SensorResult) -> list[str]:
    return sorted(r.partition_key for r in result.run_requests or [] if r.partition_key)


def test_sensor_requests_new_changed_and_emptied_days_only(
    platform: Platform, write_day: Callable[[str, str, bytes | str], Path]
) -> None:
    write_day("2025-01-01", "a.jsonl", LINE % ("e1", "2025-01-01"))
    late = write_day("2025-01-02", "a.jsonl", LINE % ("e2", "2025-01-02"))
    first = _tick(platform.landing_root, None)
    assert _requested(first) == ["2025-01-01", "2025-01-02"]

    quiet = _tick(platform.landing_root, first.cursor)
    assert _requested(quiet) == []

    # A late file for an old day requests that day, and only that day.
    write_day("2025-01-01", "late.jsonl", LINE % ("e3", "2025-01-01"))
    after_late = _tick(platform.landing_root, quiet.cursor)
    assert _requested(after_late) == ["2025-01-01"]

    # A file rewritten in place (new size and mtime) is a change too.
    late.write_text(LINE % ("e2", "2025-01-02") + LINE % ("e4", "2025-01-02"))
    os.utime(late, ns=(late.stat().st_atime_ns, late.stat().st_mtime_ns + 1_000_000_000))
    after_rewrite = _tick(platform.landing_root, after_late.cursor)
    assert _requested(after_rewrite) == ["2025-01-02"]

    # A removed file (here: the whole folder emptied) is reloaded as what remains.
    late.unlink()
    after_removal = _tick(platform.landing_root, after_rewrite.cursor)
    assert _requested(after_removal) == ["2025-01-02"]
    assert LandingCursor.from_json(after_removal.cursor).days() == {"2025-01-01", "2025-01-02"}


def test_first_tick_skips_days_already_loaded_as_they_are(
    platform: Platform, write_day: Callable[[str, str, bytes | str], Path]
) -> None:
    """After `make materialize` (no sensor cursor yet) the sensor does not load those days again,
    but does load a day that changed since, and a day never loaded."""
    instance = dg.DagsterInstance.ephemeral()
    for day in ("2025-01-01", "2025-01-02", "2025-01-03"):
        write_day(day, "a.jsonl", LINE % (f"e-{day}", day))
    assert platform.materialize(
        partition_range=("2025-01-01", "2025-01-03"), assets=["raw_events"], instance=instance
    ).success
    changed = write_day("2025-01-02", "b.jsonl", LINE % ("late", "2025-01-02"))
    write_day("2025-01-04", "a.jsonl", LINE % ("new", "2025-01-04"))

    first = _tick(platform.landing_root, None, instance)
    assert _requested(first) == ["2025-01-02", "2025-01-04"]
    # Every day is in the cursor now, so the next tick is quiet...
    assert _requested(_tick(platform.landing_root, first.cursor, instance)) == []
    # ... a later change is still seen ...
    write_day("2025-01-02", "c.jsonl", LINE % ("later", "2025-01-02"))
    assert _requested(_tick(platform.landing_root, first.cursor, instance)) == ["2025-01-02"]
    # ... but a folder put back as the range run loaded it (its requests never ran) is not.
    changed.unlink()
    (changed.parent / "c.jsonl").unlink()
    assert _requested(_tick(platform.landing_root, first.cursor, instance)) == []


def _digests(platform: Platform, days: list[str]) -> dict[str, str]:
    landing = LandingZoneResource(url=str(platform.landing_root))
    return {day: landing.digest(dt.date.fromisoformat(day)) for day in days}


def test_a_second_make_run_does_not_load_the_sample_again(platform: Platform) -> None:
    """`make run` twice in one checkout: the sample is rewritten (same content, new mtimes) and
    loaded by `make materialize`; the sensor, whose cursor knows the first load, loads nothing."""
    instance = dg.DagsterInstance.ephemeral()
    days = [f"2025-01-0{i}" for i in range(1, 8)]
    sample_range = (days[0], days[-1])

    platform.generate(dt.date(2025, 1, 1), days=7, events_per_day=100)
    assert platform.materialize(
        partition_range=sample_range, assets=["raw_events"], instance=instance
    ).success
    first_serve = _tick(platform.landing_root, None, instance)
    assert _requested(first_serve) == []  # the cursor now knows every day as first loaded
    first_digests = _digests(platform, days)

    platform.generate(dt.date(2025, 1, 1), days=7, events_per_day=100)
    rewritten = _digests(platform, days)
    assert all(rewritten[d] != first_digests[d] for d in days)  # the folders did change
    assert platform.materialize(
        partition_range=sample_range, assets=["raw_events"], instance=instance
    ).success

    second_serve = _tick(platform.landing_root, first_serve.cursor, instance)
    assert _requested(second_serve) == []
    assert _requested(_tick(platform.landing_root, second_serve.cursor, instance)) == []


def test_a_day_backfilled_by_hand_after_a_change_is_not_loaded_again(
    platform: Platform, write_day: Callable[[str, str, bytes | str], Path]
) -> None:
    """Two days change; someone materializes one of them by hand before the sensor ticks.
    The sensor loads only the other."""
    instance = dg.DagsterInstance.ephemeral()
    for day in ("2025-01-01", "2025-01-02"):
        write_day(day, "a.jsonl", LINE % (f"e-{day}", day))
    assert platform.materialize(
        partition_range=("2025-01-01", "2025-01-02"), assets=["raw_events"], instance=instance
    ).success
    quiet = _tick(platform.landing_root, None, instance)
    assert _requested(quiet) == []

    for day in ("2025-01-01", "2025-01-02"):
        write_day(day, "late.jsonl", LINE % (f"late-{day}", day))
    assert platform.materialize(
        partition="2025-01-01", assets=["raw_events"], instance=instance
    ).success

    after = _tick(platform.landing_root, quiet.cursor, instance)
    assert _requested(after) == ["2025-01-02"]


def test_a_file_changed_while_it_was_loaded_is_loaded_again(
    platform: Platform,
    write_day: Callable[[str, str, bytes | str], Path],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """raw_events records the folder as it was before it read any file, so a file rewritten
    while the load runs differs from the record, and a fresh sensor loads the day again."""
    instance = dg.DagsterInstance.ephemeral()
    path = write_day("2025-01-05", "a.jsonl", LINE % ("e1", "2025-01-05"))
    original_read = LandingZoneResource.read_chunks

    def read_then_rewrite(
        self: LandingZoneResource, landed: LandedFile, chunk_bytes: int
    ) -> Iterator[memoryview]:
        pieces = list(original_read(self, landed, chunk_bytes))
        path.write_text(LINE % ("e1", "2025-01-05") + LINE % ("e2", "2025-01-05"))
        os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 1_000_000_000))
        yield from pieces

    monkeypatch.setattr(LandingZoneResource, "read_chunks", read_then_rewrite)
    assert platform.materialize(
        partition="2025-01-05", assets=["raw_events"], instance=instance
    ).success
    monkeypatch.undo()
    assert platform.rows("SELECT count(*) FROM raw.events") == [(1,)]
    assert _requested(_tick(platform.landing_root, None, instance)) == ["2025-01-05"]


def test_sensor_ignores_folders_outside_the_partitions(
    platform: Platform, write_day: Callable[[str, str, bytes | str], Path]
) -> None:
    write_day("2019-06-01", "a.jsonl", LINE % ("e1", "2019-06-01"))
    far_future = (dt.date.today() + dt.timedelta(days=400)).isoformat()
    write_day(far_future, "a.jsonl", LINE % ("e2", far_future))
    assert _requested(_tick(platform.landing_root, None)) == []


def test_sensor_run_keys_change_with_content(
    platform: Platform, write_day: Callable[[str, str, bytes | str], Path]
) -> None:
    path = write_day("2025-01-05", "a.jsonl", LINE % ("e1", "2025-01-05"))
    first = _tick(platform.landing_root, None)
    path.write_text(LINE % ("e1", "2025-01-05") * 2)
    second = _tick(platform.landing_root, first.cursor)
    keys = [r.run_key for r in [*(first.run_requests or []), *(second.run_requests or [])]]
    assert len(keys) == 2 and len(set(keys)) == 2


def test_downstream_follows_an_old_partition_not_only_the_latest(platform: Platform) -> None:
    platform.generate(dt.date(2025, 1, 1), days=2, events_per_day=300)
    instance = dg.DagsterInstance.ephemeral()
    assets = dg.Definitions(
        assets=[platform.defs.get_assets_def(k) for k in PLATFORM_ASSETS],
        resources=platform.resources,
    )
    for day in ("2025-01-01", "2025-01-02"):
        assert platform.materialize(partition=day, instance=instance).success
    baseline = dg.evaluate_automation_conditions(defs=assets, instance=instance)
    assert baseline.total_requested == 0

    # New data for an old day: raw_events is re-materialized for it (as the sensor would).
    assert platform.materialize(
        partition="2025-01-01", assets=["raw_events"], instance=instance
    ).success
    result = dg.evaluate_automation_conditions(
        defs=assets, instance=instance, cursor=baseline.cursor
    )
    requested = {
        name: sorted(str(k) for k in result.get_requested_partitions(dg.AssetKey(name)))
        for name in PLATFORM_ASSETS
        if result.get_num_requested(dg.AssetKey(name))
    }
    assert requested == {
        "cleaned_events": ["2025-01-01"],
        "daily_summary": ["2025-01-01"],
    }


def test_sensors_start_running_and_freshness_is_set(platform: Platform) -> None:
    defs = platform.defs
    for name in ("landing_zone_sensor", "follow_upstream_sensor"):
        sensor = defs.get_sensor_def(name)
        assert sensor.default_status == dg.DefaultSensorStatus.RUNNING, name
    for name in ("raw_events", "daily_summary"):
        [spec] = defs.get_assets_def(name).specs
        policy = spec.freshness_policy
        assert isinstance(policy, TimeWindowFreshnessPolicy), name
        assert policy.fail_window.to_timedelta() == dt.timedelta(hours=1)


def test_every_duckdb_writer_is_in_one_pool_limited_to_one() -> None:
    config = yaml.safe_load((PROJECT_ROOT / "dagster_home" / "dagster.yaml").read_text())
    assert config["concurrency"]["pools"]["default_limit"] == 1
    defs = Platform.load_definitions()
    writers = [a for a in defs.resolve_all_asset_specs() if "duckdb" in a.kinds]
    assert {a.key.to_user_string() for a in writers} >= set(PLATFORM_ASSETS)
    for spec in writers:
        assert defs.get_assets_def(spec.key).op.pool == "duckdb", spec.key
