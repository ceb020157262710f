"""Orchestration at scale: many small days, as one run and as one run per day.

* **Backfill**: ``--backfill-days`` days (365 by default) of ``--backfill-events`` events each
  (1k) as ONE run (``--partition-range first...last``; the assets' backfill policy is a single
  run). Orchestration per partition is (wall - asset steps) / days: what going through
  Dagster costs per day once the data is small.
* **Range vs single runs**: the first ``--range-days`` days (30) as one range run, and again,
  on a fresh site, as that many sequential single-day CLI runs.

Every run is measured like a contender (fresh process, wall time, peak RSS of the tree) and
its figures are checked against the generator's truth, day by day.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from bench.contenders import mismatches
from bench.data import Landing, Truth
from bench.measure import Measurement, human_bytes, run_measured
from bench.progress import Progress
from bench.project import PROJECT_ROOT, BenchError, ProjectSite, RunTimes
from bench.results import BackfillResult, RangeResult


def backfill(landing: Landing, folder: Path, progress: Progress) -> BackfillResult:
    """Every day of ``landing`` as one single-run backfill on a fresh site."""
    days = landing.days
    site = ProjectSite(folder / "backfill", landing.root)
    site.prepare()
    label = f"backfill: {len(days)} days x {days[0].lines:,} events, one run"
    measured, run = _measured_run(site, _range(days), label, progress)
    _check(site, days)
    return BackfillResult(
        days=len(days),
        events_per_day=days[0].lines,
        wall_s=measured.wall_s,
        peak_rss_bytes=measured.peak_rss_bytes,
        asset_compute_s=run.asset_compute_s,
        run_s=run.run_s,
        steps=run.steps,
    )


def range_vs_single_runs(
    landing: Landing, days: int, folder: Path, progress: Progress
) -> RangeResult:
    """The first ``days`` days of ``landing`` as one range run, then as one run per day."""
    chosen = landing.days[:days]
    one = ProjectSite(folder / "range", landing.root)
    one.prepare()
    label = f"range: {len(chosen)} days as one run"
    range_measured, range_run = _measured_run(one, _range(chosen), label, progress)
    _check(one, chosen)

    each = ProjectSite(folder / "singles", landing.root)
    each.prepare()
    walls, computes, peak = [], [], range_measured.peak_rss_bytes
    for number, truth in enumerate(chosen, start=1):
        label = f"range: single-day run {number} of {len(chosen)} ({truth.day})"
        measured, run = _measured_run(each, truth.day.isoformat(), label, progress)
        walls.append(measured.wall_s)
        computes.append(run.asset_compute_s)
        peak = max(peak, measured.peak_rss_bytes)
    _check(each, chosen)
    return RangeResult(
        days=len(chosen),
        events_per_day=chosen[0].lines,
        range_wall_s=range_measured.wall_s,
        range_asset_compute_s=range_run.asset_compute_s,
        single_walls_s=tuple(walls),
        single_asset_compute_s=tuple(computes),
        peak_rss_bytes=peak,
    )


def _range(days: tuple[Truth, ...]) -> str:
    return f"{days[0].day.isoformat()}...{days[-1].day.isoformat()}"


def _measured_run(
    site: ProjectSite, partition: str, label: str, progress: Progress
) -> tuple[Measurement, RunTimes]:
    """One measured ``dagster asset materialize`` on ``site``; fails unless it succeeded."""
    log = site.folder / f"run-{partition.replace('...', '_to_')}.log"
    with progress.task(label) as task:
        measured = run_measured(
            site.materialize_argv(partition), site.env(), PROJECT_ROOT, log, task.sample
        )
        if measured.returncode != 0:
            raise BenchError(
                f"{label} failed (exit {measured.returncode}), log {log}:\n{measured.log_tail()}"
            )
        run = site.last_run()
        if not run.succeeded:
            raise BenchError(f"{label}: run {run.run_id} did not succeed, log {log}")
        task.done(
            f"{measured.wall_s:.1f} s wall, asset steps {run.asset_compute_s:.1f} s, "
            f"peak RSS {human_bytes(measured.peak_rss_bytes)}"
        )
    return measured, run


def _check(site: ProjectSite, days: tuple[Truth, ...]) -> None:
    """Every day's figures in the site's warehouse equal the truth, or the bench fails."""
    found = site.figures(days[0].day, days[-1].day)
    problems = []
    for truth in days:
        figures = found.get(truth.day)
        if figures is None:
            problems.append(f"{truth.day}: no daily_summary row")
            continue
        problems += [f"{truth.day}: {p}" for p in mismatches(truth, figures, tolerance=Decimal(0))]
    if problems:
        shown = "\n".join(problems[:20])
        raise BenchError(f"the project's figures are wrong in {site.folder}:\n{shown}")
