"""SIGKILL in the middle of a write on Spark, then a re-run: the re-run repairs everything.

Parquet tables have no transactions, so what a crash leaves is not "the old partition or the
new one" for the whole write (docs/spark.md, "What a crash leaves"): each statement replaces
its days at its job's commit, so a table a write had not reached yet is as it was, one it had
passed is new, and `raw_events`, which replaces three tables, can be left with `raw.events`
new and `raw.rejected_events` and `raw.landed_files` old. Each case here builds the old state,
changes the landing zone, computes the new state uninterrupted in a copy of the warehouse
folder, kills a run at one of the production code's fault points (the driver's process group:
Spark's JVM too), and checks exactly that: every table old or new as the point says, and after
one re-run, all of them new.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from harness import PLATFORM_ASSETS
from spark_session import SparkPlatform
from test_crash_safety import DAY, DRIVER, EXTRA

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("spark")]

RAW = ("raw.events", "raw.rejected_events", "raw.landed_files")
# (asset, fault point, the tables that are new when the process dies there; the others old).
# Each case starts Spark in a subprocess (10-60 s here): one case per kind of outcome.
CASES = [
    ("raw_events", "after insert raw.events", ("raw.events",)),
    ("cleaned_events", "after stage analytics.cleaned_events", ()),
    ("daily_summary", "before_commit", ("analytics.daily_summary",)),
]


def _prepare(platform: SparkPlatform, asset: str) -> None:
    """Old state: three days loaded. Then DAY changes upstream of `asset`, not yet in it."""
    platform.generate(dt.date(2025, 1, 1), days=3, events_per_day=300)
    assert platform.materialize(partition_range=("2025-01-01", "2025-01-03")).success
    folder = platform.landing_root / "events" / f"date={DAY}"
    (folder / "late.jsonl").write_text("".join(EXTRA % (i, i) for i in range(50)) + "bad line\n")
    upstream = list(PLATFORM_ASSETS[: PLATFORM_ASSETS.index(asset)])
    if upstream:
        assert platform.materialize(partition=DAY, assets=upstream).success


def _copy(platform: SparkPlatform, root: Path) -> SparkPlatform:
    """The same landing zone and warehouse folder, under `root`."""
    shutil.copytree(platform.landing_root, root / "landing", dirs_exist_ok=True)
    shutil.copytree(platform.warehouse_dir, root / "warehouse", dirs_exist_ok=True)
    return SparkPlatform(root)


def _crash(platform: SparkPlatform, asset: str, point: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(DRIVER.parent)}
    process = subprocess.Popen(
        [sys.executable, str(DRIVER), platform.url, str(platform.landing_root), asset, DAY, point],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # its own process group: Spark's JVM dies with it below
    )
    try:
        stdout, stderr = process.communicate(timeout=600)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
    return subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr)


@pytest.mark.parametrize(("asset", "point", "new_tables"), CASES)
def test_killed_write_then_rerun_repairs_on_spark(
    tmp_path: Path, asset: str, point: str, new_tables: tuple[str, ...]
) -> None:
    platform = SparkPlatform(tmp_path / "crashed")
    _prepare(platform, asset)
    old = platform.snapshot()

    reference = _copy(platform, tmp_path / "reference")
    assert reference.materialize(partition=DAY, assets=[asset]).success
    new = reference.snapshot()
    written = RAW if asset == "raw_events" else (f"analytics.{asset}",)
    assert all(new[t] != old[t] for t in written), "the scenario must change every table written"

    crashed = _crash(platform, asset, point)
    assert crashed.returncode == -signal.SIGKILL, crashed.stdout[-2000:] + crashed.stderr[-3000:]
    survived = platform.snapshot()
    for table in survived:
        expected = new if table in new_tables else old
        assert survived[table] == expected[table], f"{table} after a kill at {point!r}"

    assert platform.materialize(partition=DAY, assets=[asset]).success
    assert platform.snapshot() == new


def test_kill_at_an_arbitrary_moment_of_a_load_then_rerun_repairs(tmp_path: Path) -> None:
    platform = SparkPlatform(tmp_path / "crashed")
    _prepare(platform, "raw_events")
    reference = _copy(platform, tmp_path / "reference")
    assert reference.materialize(partition=DAY, assets=["raw_events"]).success
    new = reference.snapshot()

    crashed = _crash(platform, "raw_events", "timer:3")
    assert crashed.returncode == -signal.SIGKILL, crashed.stdout[-2000:] + crashed.stderr[-3000:]
    assert platform.materialize(partition=DAY, assets=["raw_events"]).success
    assert platform.snapshot() == new
