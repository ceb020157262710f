"""The project as a user runs it: the ``dagster`` CLI against a fresh instance and warehouse.

A :class:`ProjectSite` is one throw-away deployment: a ``DAGSTER_HOME`` holding a copy of
``dagster_home/dagster.yaml`` (prepared with ``event-analytics prepare-instance``, as
``make materialize`` does), an empty DuckDB warehouse, and ``EVENTS_LANDING_URL`` pointing at
the bench's landing zone. Runs go through ``dagster asset materialize`` with whatever executor
the project's Definitions choose; what happened inside a run is read back from the instance's
event log afterwards, so measuring adds nothing to the run itself.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb

if TYPE_CHECKING:  # imported where used: dagster takes a second to import
    import dagster as dg

#: The repository root (the bench runs the project from here, as ``make`` does).
PROJECT_ROOT = Path(__file__).resolve().parents[1]
#: The assets a day's figures need: the landing zone to the daily summary.
PLATFORM_ASSETS = ("raw_events", "cleaned_events", "daily_summary")
#: The executables of the bench's own environment (the project's ``.venv``).
BIN = Path(sys.executable).parent


class BenchError(Exception):
    """The bench cannot give a result: a contender failed or gave a wrong answer."""


@dataclass(frozen=True)
class StepTime:
    """One step of a run: STEP_START to STEP_SUCCESS (or STEP_FAILURE) in the event log."""

    step: str
    seconds: float
    succeeded: bool
    is_asset: bool

    def to_json(self) -> dict[str, object]:
        return {
            "step": self.step,
            "seconds": self.seconds,
            "succeeded": self.succeeded,
            "is_asset": self.is_asset,
        }


@dataclass(frozen=True)
class RunTimes:
    """What the event log says about a run: its outcome and where the time went."""

    run_id: str
    succeeded: bool
    run_s: float
    steps: tuple[StepTime, ...]

    @property
    def asset_compute_s(self) -> float:
        """Seconds inside the asset steps (the work); checks and start-up excluded."""
        return sum(s.seconds for s in self.steps if s.is_asset)

    @property
    def check_s(self) -> float:
        """Seconds inside the other steps (the asset checks)."""
        return sum(s.seconds for s in self.steps if not s.is_asset)


class ProjectSite:
    """A fresh deployment of the project in ``folder``, reading the landing zone ``landing``."""

    def __init__(self, folder: Path, landing: Path) -> None:
        self.folder = folder
        self.landing = landing
        self.home = folder / "dagster_home"
        self.warehouse = folder / "warehouse.duckdb"

    def env(self) -> dict[str, str]:
        """The environment of every command run against this site."""
        return {
            **os.environ,
            "DAGSTER_HOME": str(self.home),
            "WAREHOUSE_URL": f"duckdb:///{self.warehouse}",
            "EVENTS_LANDING_URL": str(self.landing),
            "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
            # What the Makefile exports for every `make` target users run (see there).
            "DAGSTER_EMIT_PARTITION_SUBSET_IN_PLANNED_EVENTS": "true",
        }

    def rows(self, sql: str, params: dict[str, Any]) -> list[tuple[Any, ...]]:
        """The rows of a query (DuckDB's dialect, `$name` parameters) on the site's warehouse."""
        with duckdb.connect(str(self.warehouse), read_only=True) as con:
            return con.execute(sql, params).fetchall()

    def prepare(self) -> None:
        """Create the instance from the project's dagster.yaml and its pools (not measured)."""
        self.home.mkdir(parents=True)
        shutil.copy(PROJECT_ROOT / "dagster_home" / "dagster.yaml", self.home / "dagster.yaml")
        done = subprocess.run(
            [str(BIN / "event-analytics"), "prepare-instance"],
            env=self.env(),
            cwd=PROJECT_ROOT,
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            raise BenchError(f"prepare-instance failed:\n{done.stdout}{done.stderr}")

    @staticmethod
    def materialize_argv(partition: str) -> list[str]:
        """``dagster asset materialize`` of the platform's assets for ``partition``.

        ``partition`` is a day (``2025-06-01``) or a range (``2025-01-01...2025-12-31``, run
        as one run: the assets' backfill policy is a single run).
        """
        option = "--partition-range" if "..." in partition else "--partition"
        return [
            str(BIN / "dagster"),
            "asset",
            "materialize",
            "-m",
            "event_analytics.definitions",
            "--select",
            ",".join(PLATFORM_ASSETS),
            option,
            partition,
        ]

    def last_run(self) -> RunTimes:
        """The newest run of this site's instance, from its event log."""
        import dagster as dg

        with dg.DagsterInstance.from_config(str(self.home)) as instance:
            runs = instance.get_runs(limit=1)
            if not runs:
                raise BenchError(f"no run recorded in {self.home}")
            run = runs[0]
            records = instance.all_logs(run.run_id)
            succeeded = run.status == dg.DagsterRunStatus.SUCCESS
        return _run_times(run.run_id, succeeded, records)

    def figures(self, first: dt.date, last: dt.date) -> dict[dt.date, dict[str, int | Decimal]]:
        """Each day's figures as the warehouse holds them after the runs, ``first`` to ``last``.

        ``lines`` is the day's rows loaded plus rows rejected; ``raw_revenue`` sums
        ``raw.events``; the rest is ``analytics.daily_summary``.
        """
        bounds: dict[str, Any] = {"first": first, "last": last}
        summary = self.rows(
            "SELECT date, events, active_users, purchases, revenue "
            "FROM analytics.daily_summary WHERE date BETWEEN $first AND $last",
            bounds,
        )
        raw = {
            day: (lines, revenue)
            for day, lines, revenue in self.rows(
                "SELECT event_date, count(*), sum(revenue) FROM raw.events "
                "WHERE event_date BETWEEN $first AND $last GROUP BY event_date",
                bounds,
            )
        }
        rejected = dict(
            self.rows(
                "SELECT partition_date, count(*) FROM raw.rejected_events "
                "WHERE partition_date BETWEEN $first AND $last GROUP BY partition_date",
                bounds,
            )
        )
        result: dict[dt.date, dict[str, int | Decimal]] = {}
        for day, events, users, purchases, revenue in summary:
            lines, raw_revenue = raw.get(day, (0, Decimal(0)))
            result[day] = {
                "lines": lines + rejected.get(day, 0),
                "raw_revenue": raw_revenue if raw_revenue is not None else Decimal(0),
                "events": events,
                "active_users": users,
                "purchases": purchases,
                "revenue": revenue,
                "rejected": rejected.get(day, 0),
            }
        return result


def _run_times(run_id: str, succeeded: bool, records: Sequence[dg.EventLogEntry]) -> RunTimes:
    """Step and run durations from a run's event log records."""
    import dagster as dg

    kind = dg.DagsterEventType
    started: dict[str, float] = {}
    steps: list[StepTime] = []
    run_start = run_end = None
    for record in records:
        event = record.dagster_event
        if event is None:
            continue
        if event.event_type == kind.RUN_START:
            run_start = record.timestamp
        elif event.event_type in (kind.RUN_SUCCESS, kind.RUN_FAILURE, kind.RUN_CANCELED):
            run_end = record.timestamp
        elif event.event_type == kind.STEP_START and event.step_key:
            started[event.step_key] = record.timestamp  # a retried step: its last attempt
        elif event.event_type in (kind.STEP_SUCCESS, kind.STEP_FAILURE) and event.step_key:
            step = event.step_key
            steps.append(
                StepTime(
                    step=step,
                    seconds=record.timestamp - started.get(step, record.timestamp),
                    succeeded=event.event_type == kind.STEP_SUCCESS,
                    is_asset=step in PLATFORM_ASSETS,
                )
            )
    run_s = (run_end - run_start) if run_start is not None and run_end is not None else 0.0
    return RunTimes(run_id, succeeded, run_s, tuple(steps))
