"""Run one asset for one partition and SIGKILL this process at a chosen point of its write.

Used by test_crash_safety.py and test_crash_safety_postgres.py as a subprocess:
`python crash_driver.py WAREHOUSE LANDING ASSET DAY POINT`, where WAREHOUSE is a DuckDB file's
path or a `WAREHOUSE_URL` (PostgreSQL's, its password in `PGPASSWORD`).
The kill comes from a handler on the production code's own fault points
(`event_analytics.warehouse.faults`): the asset, its transaction and its SQL run unchanged, and
the process dies exactly where a real crash would stop them.

POINT is a fault point's name (`before_begin`, `after_begin`, `before_commit`, `after_commit`,
`after <script> #<n>`), or `timer:<seconds>`: killed that long after BEGIN, wherever it is.
A point the run never reaches lets it finish, and the test sees exit code 0, not SIGKILL.
"""

from __future__ import annotations

import os
import signal
import sys
import threading

import dagster as dg

from event_analytics.definitions import defs
from event_analytics.landing import LandingZoneResource
from event_analytics.warehouse import WarehouseResource, faults


def die() -> None:
    sys.stdout.flush()
    os.kill(os.getpid(), signal.SIGKILL)


def kill_at(point: str) -> faults.Handler:
    """A fault handler that kills this process at `point` (or a timer's delay after BEGIN)."""
    if point.startswith("timer:"):
        delay = float(point.split(":", 1)[1])

        def start_timer(reached: str) -> None:
            if reached == "after_begin":
                threading.Timer(delay, die).start()

        return start_timer

    def kill(reached: str) -> None:
        if reached == point:
            die()

    return kill


def main() -> None:
    warehouse, landing, asset, day, point = sys.argv[1:6]
    url = warehouse if "://" in warehouse else f"duckdb:///{warehouse}"
    faults.install(kill_at(point))
    result = dg.materialize(
        [defs().get_assets_def(asset)],
        resources={
            "warehouse": WarehouseResource(url=url),
            "landing": LandingZoneResource(url=landing),
        },
        partition_key=day,
    )
    print("finished", result.success)


if __name__ == "__main__":
    main()
