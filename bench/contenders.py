"""The contenders: each one way of getting a day's figures from the same landing files.

Every contender runs as a fresh process (see :mod:`bench.measure`), in three parts:

* :meth:`Contender.launch` prepares what the process needs (a fresh instance, a spec file)
  and returns the command; this part is not measured;
* the command runs, measured: wall time and the peak RSS of its process tree;
* :meth:`Contender.collect` reads what the process left behind (its result line, its
  tables, its event log) into an :class:`Outcome`: the figures it produced, checked by the
  bench against the generator's truth, and its compute time.

Adding a contender (the project on PostgreSQL or Spark, the landing-line validator alone):
subclass :class:`Contender`, or :class:`WorkerContender` for a few lines of Python run by
:mod:`bench.workers`; give it a unique ``name``, the figures it can report (any of
:attr:`bench.data.Truth.figures`'s keys), and decorate the class with :func:`register`.
It then appears in ``--contenders``, the JSON and the table; ``name`` is its key there.
"""

from __future__ import annotations

import json
import os
import sys
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import ClassVar

import duckdb

from bench.data import Truth
from bench.measure import Measurement
from bench.project import PROJECT_ROOT, BenchError, ProjectSite, StepTime
from bench.workers import WorkerSpec, parse_result


@dataclass(frozen=True)
class Case:
    """One contender run: the day's truth, its landing files, a fresh folder of the run's own."""

    truth: Truth
    landing: Path
    files: tuple[Path, ...]
    folder: Path
    memory_limit: str


@dataclass(frozen=True)
class Launch:
    """The command to measure, with its environment."""

    argv: list[str]
    env: dict[str, str]
    cwd: Path = PROJECT_ROOT


@dataclass(frozen=True)
class Outcome:
    """What a run produced: figures, seconds of compute, and for a Dagster run its steps.

    ``compute_s`` is the work alone: timed inside the process for a worker, the asset steps
    (STEP_START to STEP_SUCCESS) for a Dagster run. ``extra`` holds any other durations.
    """

    figures: dict[str, int | Decimal]
    compute_s: float
    steps: tuple[StepTime, ...] = ()
    extra: dict[str, float] = field(default_factory=dict)


class Contender(ABC):
    """A way of computing the day's figures; see the module docstring for adding one."""

    #: Key in ``--contenders``, the JSON and the table.
    name: ClassVar[str]
    #: Row label in the table.
    title: ClassVar[str]
    #: One sentence for docs and ``--help``: what it does.
    description: ClassVar[str]
    #: Largest difference from the true revenue the contender is allowed (floats only).
    revenue_tolerance: ClassVar[Decimal] = Decimal(0)

    @abstractmethod
    def launch(self, case: Case) -> Launch:
        """Prepare the run (not measured) and return the command to measure."""

    @abstractmethod
    def collect(self, case: Case, measured: Measurement) -> Outcome:
        """Read the run's figures and timings after its process has exited successfully."""


#: Every contender, in the order they run and appear: the registry ``--contenders`` picks from.
CONTENDERS: dict[str, Contender] = {}


def register(cls: type[Contender]) -> type[Contender]:
    """Class decorator: add a contender to :data:`CONTENDERS` (names must be unique)."""
    if cls.name in CONTENDERS:
        raise ValueError(f"two contenders named {cls.name!r}")
    CONTENDERS[cls.name] = cls()
    return cls


class WorkerContender(Contender):
    """A contender that is a worker of :mod:`bench.workers`, run as ``python -m bench.workers``.

    ``writes_database`` gives the worker a fresh DuckDB file (``case.folder/out.duckdb``);
    :meth:`collect` then reads the figures from it with :meth:`table_figures`.
    """

    writes_database: ClassVar[bool] = False

    def database(self, case: Case) -> Path:
        return case.folder / "out.duckdb"

    def launch(self, case: Case) -> Launch:
        spec = WorkerSpec(
            files=[str(f) for f in case.files],
            database=str(self.database(case)) if self.writes_database else None,
            memory_limit=case.memory_limit,
            day=case.truth.day.isoformat(),
        )
        spec_path = case.folder / "spec.json"
        spec_path.write_text(json.dumps(asdict(spec)))
        return Launch(
            argv=[sys.executable, "-m", "bench.workers", self.name, str(spec_path)],
            env=_worker_env(),
        )

    def collect(self, case: Case, measured: Measurement) -> Outcome:
        result = parse_result(measured.log.read_text(errors="replace"))
        figures: dict[str, int | Decimal] = {
            key: Decimal(value) if "revenue" in key else int(value)
            for key, value in result.figures.items()
        }
        if self.writes_database:
            with duckdb.connect(str(self.database(case)), read_only=True) as con:
                figures.update(self.table_figures(con))
        return Outcome(figures, result.compute_s)

    def table_figures(self, con: duckdb.DuckDBPyConnection) -> dict[str, int | Decimal]:
        """Figures read from the worker's database (for workers that write one)."""
        return {}


@register
class PandasApproach(WorkerContender):
    name = "pandas"
    title = "pandas (the guide's approach)"
    description = (
        "pandas read_json(lines=True) of every file, dropna(user_id), "
        "drop_duplicates(event_id), groupby date, written back to DuckDB"
    )
    # pandas sums revenue as float64: agreement is to the cent, not exact.
    revenue_tolerance = Decimal("0.01")
    writes_database = True

    def table_figures(self, con: duckdb.DuckDBPyConnection) -> dict[str, int | Decimal]:
        rows = con.execute(
            "SELECT events, active_users, purchases, revenue FROM daily_summary"
        ).fetchall()
        if len(rows) != 1:
            raise BenchError(f"pandas wrote {len(rows)} summary rows for one day")
        events, users, purchases, revenue = rows[0]
        return {
            "events": int(events),
            "active_users": int(users),
            "purchases": int(purchases),
            # repr: the float's shortest exact-enough text; compared within the tolerance.
            "revenue": Decimal(repr(float(revenue))),
        }


@register
class ScanFloor(WorkerContender):
    name = "scan_floor"
    title = "scan floor (one DuckDB query)"
    description = (
        "one DuckDB query over the files: count(*), sum(revenue), count(DISTINCT user_id) "
        "from read_json with the six contract columns; writes nothing"
    )


@register
class LenientLoad(WorkerContender):
    name = "lenient_load"
    title = "lenient load (DuckDB CTAS)"
    description = (
        "CREATE TABLE AS SELECT * FROM read_json(files, six contract columns) into a fresh "
        "DuckDB file: loading without validation"
    )
    writes_database = True

    def table_figures(self, con: duckdb.DuckDBPyConnection) -> dict[str, int | Decimal]:
        row = con.execute("SELECT count(*), sum(revenue) FROM events").fetchone()
        assert row is not None
        return {"lines": int(row[0]), "raw_revenue": Decimal(row[1])}


@register
class Validator(WorkerContender):
    name = "validator"
    title = "the landing-line validator alone"
    description = (
        "raw_events' reading and validation without the warehouse: each file in pieces of "
        "whole lines, judged by LineValidator; verdicts counted, nothing written"
    )


@register
class Project(Contender):
    name = "project"
    title = "this project (dagster asset materialize)"
    description = (
        "`dagster asset materialize` of raw_events, cleaned_events and daily_summary for the "
        "day, with the project's default executor, against a fresh DAGSTER_HOME and warehouse"
    )

    def site(self, case: Case) -> ProjectSite:
        return ProjectSite(case.folder / "site", case.landing)

    def launch(self, case: Case) -> Launch:
        site = self.site(case)
        site.prepare()
        return Launch(argv=site.materialize_argv(case.truth.day.isoformat()), env=site.env())

    def collect(self, case: Case, measured: Measurement) -> Outcome:
        site = self.site(case)
        run = site.last_run()
        if not run.succeeded:
            raise BenchError(f"the project's run {run.run_id} did not succeed; see {measured.log}")
        figures = site.figures(case.truth.day, case.truth.day).get(case.truth.day)
        if figures is None:
            raise BenchError(f"the project wrote no daily_summary row for {case.truth.day}")
        return Outcome(
            figures=figures,
            compute_s=run.asset_compute_s,
            steps=run.steps,
            extra={
                "run_s": run.run_s,
                "check_steps_s": run.check_s,
                "orchestration_s": measured.wall_s - run.asset_compute_s,
            },
        )


@register
class ProjectPostgres(Project):
    name = "project_postgres"
    title = "this project on PostgreSQL (dagster asset materialize)"
    description = (
        "the `project` run with WAREHOUSE_URL=postgresql://... : a fresh database on a local "
        "server (BENCH_POSTGRES_URL, or one started from the machine's PostgreSQL binaries)"
    )

    def __init__(self) -> None:
        self._sites: dict[Path, ProjectSite] = {}

    def site(self, case: Case) -> ProjectSite:
        # Imported here: only this contender needs a server (started on first use).
        from bench.postgres import PostgresSite, server

        if case.folder not in self._sites:
            running = server()
            self._sites[case.folder] = PostgresSite(
                case.folder / "site", case.landing, running, running.fresh_database()
            )
        return self._sites[case.folder]


@register
class ProjectSpark(Project):
    name = "project_spark"
    title = "this project on Spark, local[*] (dagster asset materialize)"
    description = (
        "the `project` run with WAREHOUSE_URL=spark:///folder: a local Spark session started by "
        "the run (its start-up included), the landed files read on its executors"
    )

    def site(self, case: Case) -> ProjectSite:
        # Imported here: only this contender reads Spark's tables and event log.
        from bench.spark import SparkSite

        return SparkSite(case.folder / "site", case.landing)

    def collect(self, case: Case, measured: Measurement) -> Outcome:
        from bench.spark import SparkSite

        outcome = super().collect(case, measured)
        site = self.site(case)
        assert isinstance(site, SparkSite)
        return Outcome(
            figures=outcome.figures,
            compute_s=outcome.compute_s,
            steps=outcome.steps,
            extra=outcome.extra | site.spread(),
        )


def _worker_env() -> dict[str, str]:
    """The environment of a worker: this one, with the repository importable (``bench``)."""
    path = [str(PROJECT_ROOT), *filter(None, [os.environ.get("PYTHONPATH")])]
    return {**os.environ, "PYTHONPATH": os.pathsep.join(path)}


def mismatches(truth: Truth, figures: Mapping[str, int | Decimal], tolerance: Decimal) -> list[str]:
    """How ``figures`` differ from the truth: one text per wrong figure (empty: all agree).

    Only the figures a contender reports are compared, and it must report some; ``rejected``
    must be 0 (every generated line follows the contract); revenue figures may differ by
    ``tolerance``.
    """
    expected = truth.figures()
    problems = [] if figures else ["no figures reported"]
    for key, value in sorted(figures.items()):
        if key == "rejected":
            if value:
                problems.append(f"rejected {value} lines, expected none")
            continue
        if key not in expected:
            problems.append(f"unknown figure {key!r}")
            continue
        allowed = tolerance if "revenue" in key else Decimal(0)
        if abs(Decimal(value) - Decimal(expected[key])) > allowed:
            problems.append(f"{key} {value}, expected {expected[key]}")
    return problems
