"""SIGKILL at any point of a partition's replace leaves the old or the new partition, never a mix.

Each case: build the old state, change the landing zone, compute the new state in a copy of the
database uninterrupted, then run the asset in a subprocess that kills itself at one of the
production code's fault points (`event_analytics.warehouse.faults`), and compare. A re-run
afterwards must give exactly the uninterrupted figures.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from event_analytics.warehouse.faults import TRANSACTION_POINTS
from harness import PLATFORM_ASSETS, Platform

DAY = "2025-01-02"
DRIVER = Path(__file__).with_name("crash_driver.py")
EXTRA = (
    '{"event_id":"new-%d","user_id":"u-new-%d","event_type":"purchase",'
    '"occurred_at":"2025-01-02T12:00:00Z","revenue":3.5}\n'
)
# Where each asset's window has been deleted and no new row is in yet. raw_events replaces
# three tables: killed after the first delete, or with new events in and their rejected lines
# and file records not yet.
AFTER_DELETE = {
    "raw_events": "after delete raw.events",
    "cleaned_events": "after delete analytics.cleaned_events",
    "daily_summary": "after delete analytics.daily_summary",
}
CASES = [
    *((asset, point) for asset in PLATFORM_ASSETS for point in TRANSACTION_POINTS),
    *AFTER_DELETE.items(),
    ("raw_events", "after insert raw.events"),
]

pytestmark = pytest.mark.slow


def _prepare(platform: Platform, asset: str) -> None:
    """Old state: three days loaded. Then DAY changes upstream of `asset`, not yet in it."""
    platform.generate(dt.date(2025, 1, 1), days=3, events_per_day=800)
    assert platform.materialize(partition_range=("2025-01-01", "2025-01-03")).success
    folder = platform.landing_root / "events" / f"date={DAY}"
    (folder / "late.jsonl").write_text("".join(EXTRA % (i, i) for i in range(50)))
    upstream = list(PLATFORM_ASSETS[: PLATFORM_ASSETS.index(asset)])
    if upstream:
        assert platform.materialize(partition=DAY, assets=upstream).success


def _crash(platform: Platform, asset: str, point: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(DRIVER.parent)}
    completed = subprocess.run(
        [
            sys.executable,
            str(DRIVER),
            str(platform.db_path),
            str(platform.landing_root),
            asset,
            DAY,
            point,
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    return completed


@pytest.mark.parametrize(("asset", "point"), CASES)
def test_killed_write_leaves_old_or_new_and_rerun_matches(
    tmp_path: Path, asset: str, point: str
) -> None:
    platform = Platform(tmp_path / "crashed")
    _prepare(platform, asset)
    old = platform.snapshot()

    reference = Platform(tmp_path / "reference")
    shutil.copytree(platform.landing_root, reference.landing_root, dirs_exist_ok=True)
    shutil.copy(platform.db_path, reference.db_path)
    assert reference.materialize(partition=DAY, assets=[asset]).success
    new = reference.snapshot()
    assert new != old, "the scenario must change the asset's table"

    crashed = _crash(platform, asset, point)
    assert crashed.returncode == -signal.SIGKILL, crashed.stdout[-2000:] + crashed.stderr[-2000:]
    survived = platform.snapshot()
    expected = new if point == "after_commit" else old
    assert survived == expected

    assert platform.materialize(partition=DAY, assets=[asset]).success
    assert platform.snapshot() == new


@pytest.mark.parametrize("delay", [0.05, 0.2, 0.5])
def test_kill_at_an_arbitrary_moment_of_a_large_load(tmp_path: Path, delay: float) -> None:
    platform = Platform(tmp_path / "crashed")
    platform.generate(dt.date(2025, 1, 2), days=1, events_per_day=40_000)
    assert platform.materialize(partition=DAY, assets=["raw_events"]).success
    old = platform.snapshot()
    folder = platform.landing_root / "events" / f"date={DAY}"
    (folder / "late.jsonl").write_text("".join(EXTRA % (i, i) for i in range(500)))

    reference = Platform(tmp_path / "reference")
    shutil.copytree(platform.landing_root, reference.landing_root, dirs_exist_ok=True)
    shutil.copy(platform.db_path, reference.db_path)
    assert reference.materialize(partition=DAY, assets=["raw_events"]).success
    new = reference.snapshot()

    crashed = _crash(platform, "raw_events", f"timer:{delay}")
    survived = platform.snapshot()
    assert survived in (old, new), f"exit {crashed.returncode}: a mixture survived"
    assert platform.materialize(partition=DAY, assets=["raw_events"]).success
    assert platform.snapshot() == new
