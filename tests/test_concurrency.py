"""Runs started at once serialize through the `duckdb` pool; readers never see half a partition."""

from __future__ import annotations

import datetime as dt
import itertools
import os
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from event_analytics.settings import DUCKDB_LOCK_TIMEOUT_SECONDS
from event_analytics.warehouse import faults
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


def _started_steps(home: Path, step_key: str) -> int:
    """How many runs recorded in the instance have started `step_key`."""
    with dg.DagsterInstance.from_config(str(home)) as instance:
        return sum(
            1
            for run in instance.get_runs()
            for record in instance.all_logs(run.run_id, of_type=dg.DagsterEventType.STEP_START)
            if record.dagster_event and record.dagster_event.step_key == step_key
        )


def _start_three_runs_at_once(
    tmp_path: Path,
    lock_timeout_seconds: int,
    pool_limit: int = 1,
    while_running: Callable[[Path], None] | None = None,
) -> tuple[Path, Platform, list[str]]:
    """Two runs of 2025-01-01 and one of 2025-01-02, as three `dagster` CLI processes."""
    home = tmp_path / "dagster_home"
    home.mkdir()
    config = (PROJECT_ROOT / "dagster_home" / "dagster.yaml").read_text()
    assert "default_limit: 1\n" in config
    (home / "dagster.yaml").write_text(
        config.replace("default_limit: 1\n", f"default_limit: {pool_limit}\n")
    )
    platform = Platform(tmp_path / "platform")
    platform.generate(dt.date(2025, 1, 1), days=2, events_per_day=3000)
    bin_dir = Path(sys.executable).parent
    env = {
        **os.environ,
        "DAGSTER_HOME": str(home),
        "WAREHOUSE_URL": f"duckdb:///{platform.db_path}",
        "EVENTS_LANDING_URL": str(platform.landing_root),
        "DUCKDB_LOCK_TIMEOUT_SECONDS": str(lock_timeout_seconds),
        "PATH": f"{bin_dir}:{os.environ.get('PATH', '')}",
    }
    if pool_limit == 1:  # what `make materialize` and `make serve` do before the first run
        subprocess.run([str(bin_dir / "event-analytics"), "prepare-instance"], env=env, check=True)
    else:
        # Only the storage, as `dagster dev` creates it on first start (three processes
        # migrating a fresh SQLite schema at once race on it).
        dg.DagsterInstance.from_config(str(home)).dispose()
    partitions = ["2025-01-01", "2025-01-01", "2025-01-02"]
    procs = [
        subprocess.Popen(
            [
                str(bin_dir / "dagster"),
                "asset",
                "materialize",
                "-m",
                "event_analytics.definitions",
                "--select",
                ASSETS,
                "--partition",
                partition,
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
        if while_running is not None:
            while_running(home)
        outputs = [p.communicate(timeout=300)[0] for p in procs]
    finally:
        for p in procs:  # never leave a run behind, even when the test fails
            if p.poll() is None:
                p.kill()
    for proc, output in zip(procs, outputs, strict=True):
        assert proc.returncode == 0, output[-3000:]
    return home, platform, outputs


def _assert_same_as_one_run_per_day(tmp_path: Path, platform: Platform) -> None:
    reference = Platform(tmp_path / "reference")
    shutil.copytree(platform.landing_root, reference.landing_root, dirs_exist_ok=True)
    for day in ("2025-01-01", "2025-01-02"):
        assert reference.materialize(partition=day, assets=["raw_events"]).success
    assert platform.snapshot() == reference.snapshot()


@pytest.mark.slow
def test_concurrent_runs_of_same_and_other_partitions_all_succeed(tmp_path: Path) -> None:
    # No waiting on DuckDB's lock at all: only the pool can keep these runs apart.
    home, platform, outputs = _start_three_runs_at_once(tmp_path, lock_timeout_seconds=0)
    for output in outputs:
        assert "Could not set lock" not in output
        assert "Conflicting lock" not in output
    _assert_same_as_one_run_per_day(tmp_path, platform)

    intervals = _step_intervals(home)
    assert len(intervals) >= 3
    for (_, end, step), (start, _, other) in itertools.pairwise(intervals):
        assert end <= start, f"{step} and {other} overlapped: the pool did not serialize them"


@pytest.mark.slow
def test_writers_the_pool_lets_through_together_wait_for_the_lock(tmp_path: Path) -> None:
    """The backstop behind the pool. Three slots let all three writers start at once, as a
    pool without limits would, or two steps sharing a fresh pool's first slot (a Dagster race
    on SQLite storage); the default lock wait queues them instead of failing any."""
    db_path = tmp_path / "platform" / "warehouse.duckdb"
    db_path.parent.mkdir(parents=True)
    holder = duckdb.connect(str(db_path))  # this process holds the write lock ...

    def release_once_all_three_wait(home: Path) -> None:
        deadline = time.monotonic() + 240
        while _started_steps(home, "raw_events") < 3 and time.monotonic() < deadline:
            time.sleep(0.5)
        time.sleep(1)  # ... until all three writers are inside their steps, then lets go
        holder.close()

    try:
        _, platform, outputs = _start_three_runs_at_once(
            tmp_path,
            lock_timeout_seconds=int(DUCKDB_LOCK_TIMEOUT_SECONDS.default),
            pool_limit=3,
            while_running=release_once_all_three_wait,
        )
    finally:
        holder.close()
    for output in outputs:
        assert "Could not set lock" not in output
        assert "STEP_RESTARTED" not in output
    assert all("Warehouse file is locked by another process" in o for o in outputs)
    _assert_same_as_one_run_per_day(tmp_path, platform)


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
    seen: list[int] = []

    def pause(point: str) -> None:
        # The window's old rows are deleted from the last raw table, new ones not yet in.
        if point == "after delete raw.landed_files":
            half_done.set()
            release.wait(timeout=60)

    results: list[bool] = []
    with faults.installed(pause):
        writer = threading.Thread(
            target=lambda: results.append(
                platform.materialize(partition="2025-01-02", assets=["raw_events"]).success
            )
        )
        writer.start()
        assert half_done.wait(timeout=60)
        # Same process, so DuckDB lets us in (another process is kept out by the lock).
        with platform.resources["warehouse"].connect() as reader:
            seen.append(reader.fetch_dicts("SELECT count(*) AS n FROM raw.events")[0]["n"])
        release.set()
        writer.join(timeout=120)
    assert results == [True]
    assert seen == [before], "the reader saw a partial partition"
    assert platform.rows("SELECT count(*) FROM raw.events")[0][0] == before + 1
