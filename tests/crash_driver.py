"""Run one asset for one partition and SIGKILL this process at a chosen point of its write.

Used by test_crash_safety.py as a subprocess: `python crash_driver.py DB LANDING ASSET DAY POINT`.
The kill is injected by wrapping the warehouse connection the asset writes through; the asset
code itself is untouched.

Points: before_begin, after_first_delete, before_commit, after_commit, timer:<seconds>.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import dagster as dg

from event_analytics.definitions import defs
from event_analytics.landing import LandingZoneResource
from event_analytics.warehouse import WarehouseConnection, WarehouseResource


def die() -> None:
    sys.stdout.flush()
    os.kill(os.getpid(), signal.SIGKILL)


def install(point: str) -> None:
    original_execute = WarehouseConnection.execute

    def execute(
        self: WarehouseConnection, sql: str, params: Mapping[str, Any] | None = None
    ) -> list[tuple[Any, ...]]:
        rows = original_execute(self, sql, params)
        if point == "after_first_delete" and sql.lstrip().upper().startswith("DELETE"):
            die()
        return rows

    @contextmanager
    def transaction(self: WarehouseConnection) -> Iterator[WarehouseConnection]:
        if point == "before_begin":
            die()
        if point.startswith("timer:"):
            threading.Timer(float(point.split(":", 1)[1]), die).start()
        self.con.execute("BEGIN TRANSACTION")
        try:
            yield self
        except BaseException:
            self.con.execute("ROLLBACK")
            raise
        if point == "before_commit":
            die()
        self.con.execute("COMMIT")
        if point == "after_commit":
            die()

    WarehouseConnection.execute = execute  # type: ignore[method-assign]
    WarehouseConnection.transaction = transaction  # type: ignore[method-assign]


def main() -> None:
    db, landing, asset, day, point = sys.argv[1:6]
    install(point)
    result = dg.materialize(
        [defs().get_assets_def(asset)],
        resources={
            "warehouse": WarehouseResource(url=f"duckdb:///{db}"),
            "landing": LandingZoneResource(url=landing),
        },
        partition_key=day,
    )
    print("finished", result.success)


if __name__ == "__main__":
    main()
