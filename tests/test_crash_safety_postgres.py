"""SIGKILL at any point of a partition's replace on PostgreSQL leaves the old or the new
partition, never a mix; a re-run repairs it.

The same cases as `test_crash_safety.py`, on a PostgreSQL database: the asset runs in a
subprocess that kills itself at one of the production code's fault points. The server rolls
back the dead client's open transaction; a committed one stays. The uninterrupted result is
computed on a copy of the database (`CREATE DATABASE ... TEMPLATE`).
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

from postgres_server import PostgresPlatform, PostgresServer, fresh_database
from test_crash_safety import CASES, DAY, DRIVER, EXTRA, _prepare

pytestmark = pytest.mark.slow


def _crash(platform: PostgresPlatform, asset: str, point: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "PYTHONPATH": str(DRIVER.parent),
        # The password from the environment: it is never on a command line.
        "PGPASSWORD": platform.server.password,
    }
    return subprocess.run(
        [
            sys.executable,
            str(DRIVER),
            platform.server.url(platform.database),
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


def _reference(platform: PostgresPlatform, root: Path) -> PostgresPlatform:
    """A copy of `platform`'s database and landing zone, under `root`."""
    copy = fresh_database(platform.server, template=platform.database)
    reference = PostgresPlatform(root, platform.server, database=copy)
    shutil.copytree(platform.landing_root, reference.landing_root, dirs_exist_ok=True)
    return reference


@pytest.mark.parametrize(("asset", "point"), CASES)
def test_killed_write_on_postgres_leaves_old_or_new_and_rerun_matches(
    postgres: PostgresServer, tmp_path: Path, asset: str, point: str
) -> None:
    platform = PostgresPlatform(tmp_path / "crashed", postgres)
    _prepare(platform, asset)
    old = platform.snapshot()

    reference = _reference(platform, tmp_path / "reference")
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
def test_kill_at_an_arbitrary_moment_of_a_large_load_on_postgres(
    postgres: PostgresServer, tmp_path: Path, delay: float
) -> None:
    platform = PostgresPlatform(tmp_path / "crashed", postgres)
    platform.generate(dt.date(2025, 1, 2), days=1, events_per_day=40_000)
    assert platform.materialize(partition=DAY, assets=["raw_events"]).success
    old = platform.snapshot()
    folder = platform.landing_root / "events" / f"date={DAY}"
    (folder / "late.jsonl").write_text("".join(EXTRA % (i, i) for i in range(500)))

    reference = _reference(platform, tmp_path / "reference")
    assert reference.materialize(partition=DAY, assets=["raw_events"]).success
    new = reference.snapshot()

    crashed = _crash(platform, "raw_events", f"timer:{delay}")
    survived = platform.snapshot()
    assert survived in (old, new), f"exit {crashed.returncode}: a mixture survived"
    assert platform.materialize(partition=DAY, assets=["raw_events"]).success
    assert platform.snapshot() == new
