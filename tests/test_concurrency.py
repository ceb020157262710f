"""Runs started at once serialize through the `duckdb` pool; readers never see half a partition."""

from __future__ import annotations

import datetime as dt
import itertools
import os
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import dagster as dg
import pytest

from event_analytics.warehouse import WarehouseConnection
from harness import Platform

PROJECT_ROOT = Path(__file__).resolve().parents[1]
# raw_events and its checks: two pooled steps per run are enough to show serialization.
ASSETS = "raw_events"


def _step_intervals(home: Path) -> list[tuple[float, float, str]]:
    """(start, end, step) of every step of every run recorded in the instance."""
    with dg.DagsterInstance.from_config(str(home)) as instance:
        intervals = []
        for run in instance.get_runs():
            starts: dict[str, float] = {}
            for record in instance.all_logs(run.run_id):
                event = record.dagster_event
                if event is None or event.step_key is None:
                    continue
                if event.event_type == dg.DagsterEventType.STEP_START:
                    starts[event.step_key] = record.timestamp
                elif event.event_type in (
                    dg.DagsterEventType.STEP_SUCCESS,
                    dg.DagsterEventType.STEP_FAILURE,
                ):
                    intervals.append((starts[event.step_key], record.timestamp, event.step_key))
        return sorted(intervals)


@pytest.mark.slow
def test_concurrent_runs_of_same_and_other_partitions_all_succeed(tmp_path: Path) -> None:
    home = tmp_path / "dagster_home"
    home.mkdir()
    shutil.copy(PROJECT_ROOT / "dagster_home" / "dagster.yaml", home / "dagster.yaml")
    platform = Platform(tmp_path / "platform")
    platform.generate(dt.date(2025, 1, 1), days=2, events_per_day=3000)
    env = {
        **os.environ,
        "DAGSTER_HOME": str(home),
        "WAREHOUSE_URL": f"duckdb:///{platform.db_path}",
        "EVENTS_LANDING_URL": str(platform.landing_root),
        # No waiting on DuckDB's lock at all: only the pool can keep these runs apart.
        "DUCKDB_LOCK_TIMEOUT_SECONDS": "0",
        "PATH": f"{Path(sys.executable).parent}:{os.environ.get('PATH', '')}",
    }
    # Create the instance's storage once, as `dagster dev` does on first start: three
    # processes initializing a fresh SQLite instance at once race on its schema migration.
    dg.DagsterInstance.from_config(str(home)).dispose()
    dagster = str(Path(sys.executable).parent / "dagster")
    partitions = ["2025-01-01", "2025-01-01", "2025-01-02"]
    procs = [
        subprocess.Popen(
            [
                dagster,
                "asset",
                "materialize",
                "-m",
                "event_analytics.definitions",
                "--select",
                ASSETS,
                "--partition",
                partition,
                # One process per run keeps the test quick; pools apply to any executor.
                "--config-json",
                '{"execution": {"config": {"in_process": {}}}}',
            ],
            cwd=PROJECT_ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for partition in partitions
    ]
    try:
        outputs = [p.communicate(timeout=300)[0] for p in procs]
    finally:
        for p in procs:  # never leave a run behind, even when the test fails
            if p.poll() is None:
                p.kill()
    for proc, output in zip(procs, outputs, strict=True):
        assert proc.returncode == 0, output[-3000:]
        assert "Could not set lock" not in output
        assert "Conflicting lock" not in output

    reference = Platform(tmp_path / "reference")
    shutil.copytree(platform.landing_root, reference.landing_root, dirs_exist_ok=True)
    for day in ("2025-01-01", "2025-01-02"):
        assert reference.materialize(partition=day, assets=["raw_events"]).success
    assert platform.snapshot() == reference.snapshot()

    intervals = _step_intervals(home)
    assert len(intervals) >= 3
    for (_, end, step), (start, _, other) in itertools.pairwise(intervals):
        assert end <= start, f"{step} and {other} overlapped: the pool did not serialize them"


def test_reader_sees_the_old_partition_until_the_new_one_commits(platform: Platform) -> None:
    """A reader sharing the database while a replace is half done sees the committed state."""
    platform.generate(dt.date(2025, 1, 2), days=1, events_per_day=2000)
    assert platform.materialize(partition="2025-01-02", assets=["raw_events"]).success
    before = platform.rows("SELECT count(*) FROM raw.events")[0][0]
    extra = platform.landing_root / "events" / "date=2025-01-02" / "more.jsonl"
    extra.write_text(
        '{"event_id":"x1","user_id":"u","event_type":"page_view",'
        '"occurred_at":"2025-01-02T01:00:00Z"}\n'
    )

    half_done, release = threading.Event(), threading.Event()
    original = WarehouseConnection.run_script
    seen: list[int] = []

    def paused_run_script(
        self: WarehouseConnection, name: str, params: Mapping[str, Any] | None = None
    ) -> None:
        original(self, name, params)
        if name == "duckdb/raw_events_replace":  # old rows deleted, new ones not yet in
            half_done.set()
            release.wait(timeout=60)

    @contextmanager
    def patched() -> Iterator[None]:
        WarehouseConnection.run_script = paused_run_script  # type: ignore[method-assign]
        try:
            yield
        finally:
            WarehouseConnection.run_script = original  # type: ignore[method-assign]

    results: list[bool] = []
    with patched():
        writer = threading.Thread(
            target=lambda: results.append(
                platform.materialize(partition="2025-01-02", assets=["raw_events"]).success
            )
        )
        writer.start()
        assert half_done.wait(timeout=60)
        # Same process, so DuckDB lets us in (another process is kept out by the lock).
        with platform.resources["warehouse"].connect() as reader:
            seen.append(reader.execute("SELECT count(*) FROM raw.events")[0][0])
        release.set()
        writer.join(timeout=120)
    assert results == [True]
    assert seen == [before], "the reader saw a partial partition"
    assert platform.rows("SELECT count(*) FROM raw.events")[0][0] == before + 1
