"""Late, rewritten and removed files: the day and its dependents refresh, nothing else."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import dagster as dg

from event_analytics.defs.automation.landing_sensor import landing_zone_sensor
from harness import PLATFORM_ASSETS, Platform
from reference_model import clean, read_day, summarize

START = dt.date(2025, 1, 1)
DAYS = ["2025-01-01", "2025-01-02", "2025-01-03"]
LATE = (
    '{"event_id":"late-%d","user_id":"late-user-%d","event_type":"purchase",'
    '"occurred_at":"2025-01-02T23:59:59+00:00","revenue":10.0001}\n'
)


class Pipeline:
    """The sensor and the automation loop, driven tick by tick against one instance."""

    def __init__(self, platform: Platform) -> None:
        self.platform = platform
        self.instance = dg.DagsterInstance.ephemeral()
        self.defs = dg.Definitions(
            assets=[platform.defs.get_assets_def(k) for k in PLATFORM_ASSETS],
            resources=platform.resources,
        )
        self.sensor_cursor: str | None = None
        # The automation sensor is already ticking when data first arrives (as it is in a
        # deployment): this first evaluation is its baseline.
        self.automation_cursor = dg.evaluate_automation_conditions(
            defs=self.defs, instance=self.instance
        ).cursor

    def tick(self) -> dict[str, list[str]]:
        """One sensor tick and automation ticks until quiet; returns what was materialized."""
        done: dict[str, list[str]] = {}
        context = dg.build_sensor_context(
            cursor=self.sensor_cursor,
            instance=self.instance,
            resources={"landing": self.platform.resources["landing"]},
        )
        result = landing_zone_sensor(context)
        assert isinstance(result, dg.SensorResult)
        self.sensor_cursor = result.cursor
        for request in result.run_requests or []:
            assert request.partition_key
            self._run(["raw_events"], request.partition_key, done)
        while True:
            evaluation = dg.evaluate_automation_conditions(
                defs=self.defs, instance=self.instance, cursor=self.automation_cursor
            )
            self.automation_cursor = evaluation.cursor
            if not evaluation.total_requested:
                return done
            for name in PLATFORM_ASSETS:
                for key in sorted(
                    str(k) for k in evaluation.get_requested_partitions(dg.AssetKey(name))
                ):
                    self._run([name], str(key), done)

    def _run(self, assets: list[str], partition: str, done: dict[str, list[str]]) -> None:
        result = self.platform.materialize(
            partition=partition, assets=assets, instance=self.instance
        )
        assert result.success
        for name in assets:
            done.setdefault(name, []).append(partition)
        self.last_result = result


def _summary(platform: Platform) -> dict[str, tuple]:
    return {
        str(r[0]): r[1:] for r in platform.rows("SELECT * FROM analytics.daily_summary ORDER BY 1")
    }


def _expected(platform: Platform, day: str) -> tuple:
    date = dt.date.fromisoformat(day)
    s = summarize(clean(read_day(platform.landing_root, date).rows), date)
    return (s["events"], s["active_users"], s["purchases"], s["revenue"])


def _loaded(platform: Platform) -> Pipeline:
    platform.generate(START, days=3, events_per_day=400)
    pipeline = Pipeline(platform)
    first = pipeline.tick()
    assert {k: sorted(v) for k, v in first.items()} == {name: DAYS for name in PLATFORM_ASSETS}
    assert pipeline.tick() == {}
    return pipeline


def test_late_file_refreshes_its_day_and_dependents_only(platform: Platform) -> None:
    pipeline = _loaded(platform)
    before = _summary(platform)
    folder = platform.landing_root / "events" / "date=2025-01-02"
    (folder / "late-arrival.jsonl").write_text("".join(LATE % (i, i) for i in range(3)))
    assert pipeline.tick() == {name: ["2025-01-02"] for name in PLATFORM_ASSETS}
    after = _summary(platform)
    assert after["2025-01-01"] == before["2025-01-01"]
    assert after["2025-01-03"] == before["2025-01-03"]
    assert after["2025-01-02"] == _expected(platform, "2025-01-02")
    assert after["2025-01-02"][0] == before["2025-01-02"][0] + 3


def test_file_changed_in_place_refreshes_its_day(platform: Platform) -> None:
    pipeline = _loaded(platform)
    path = sorted((platform.landing_root / "events" / "date=2025-01-03").glob("*.jsonl"))[0]
    lines = path.read_bytes().splitlines(keepends=True)
    path.write_bytes(b"".join(lines[: len(lines) // 2]))
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))
    assert pipeline.tick() == {name: ["2025-01-03"] for name in PLATFORM_ASSETS}
    assert _summary(platform)["2025-01-03"] == _expected(platform, "2025-01-03")


def test_removed_file_is_reported_by_name(platform: Platform) -> None:
    pipeline = _loaded(platform)
    path: Path = sorted((platform.landing_root / "events" / "date=2025-01-01").iterdir())[0]
    relative = path.relative_to(platform.landing_root).as_posix()
    path.unlink()
    assert pipeline.tick() == {name: ["2025-01-01"] for name in PLATFORM_ASSETS}
    materialization = pipeline.instance.get_latest_materialization_event(dg.AssetKey("raw_events"))
    assert materialization is not None and materialization.asset_materialization is not None
    assert materialization.asset_materialization.partition == "2025-01-01"
    metadata = materialization.asset_materialization.metadata
    assert metadata["removed_files"].value == [relative]
    assert platform.rows("SELECT count(*) FROM raw.events WHERE source_file = ?", [relative]) == [
        (0,)
    ]
    assert _summary(platform)["2025-01-01"] == _expected(platform, "2025-01-01")
