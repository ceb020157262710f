"""One bench run: the sizes, each contender on each, the backfill scenarios, the report.

Work happens under ``--work`` (default ``.bench/``): generated days are cached in
``data/`` (see :func:`bench.data.cached_landing`); each run gets ``runs/<UTC time>/`` for
the contenders' databases, instances and logs, deleted at the end unless ``--keep`` is given
or the run failed (then its logs say why). Results go to ``--out`` as
``bench-<UTC time>.json`` and ``.md``, copied to ``latest.json`` and ``latest.md``.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from bench import report, scenarios
from bench.contenders import CONTENDERS, Case, Contender, mismatches
from bench.data import Landing, cached_landing, format_size
from bench.measure import human_bytes, run_measured
from bench.progress import Progress
from bench.project import BenchError
from bench.results import BenchResults, ContenderResult, Run, SizeResult
from bench.targets import evaluate

#: The day the size runs generate (any day after the project's first partition).
BENCH_DAY = dt.date(2025, 6, 1)
#: The first day of the backfill scenarios.
BACKFILL_START = dt.date(2025, 1, 1)
#: Bytes read at once when warming the page cache.
_READ_BYTES = 8 * 1024 * 1024


@dataclass(frozen=True)
class Options:
    """What to run (the command line's options; see ``python -m bench --help``)."""

    sizes: tuple[int, ...]
    contenders: tuple[str, ...]
    work_dir: Path
    out_dir: Path
    memory_limit: str
    repeat: int = 1
    seed: int = 42
    day: dt.date = BENCH_DAY
    backfill: bool = True
    backfill_days: int = 365
    backfill_events: int = 1000
    range_days: int = 30
    keep: bool = False

    def settings(self) -> dict[str, object]:
        """The options as recorded in the results."""
        return {
            "sizes": list(self.sizes),
            "contenders": list(self.contenders),
            "repeat": self.repeat,
            "seed": self.seed,
            "day": self.day.isoformat(),
            "backfill": self.backfill,
            "backfill_days": self.backfill_days,
            "backfill_events": self.backfill_events,
            "range_days": self.range_days,
            "duckdb_memory_limit": self.memory_limit,
        }


@dataclass(frozen=True)
class Written:
    """Where a run's results went."""

    json_path: Path
    markdown_path: Path
    markdown: str
    results: BenchResults


def run(options: Options, progress: Progress) -> Written:
    """Run the bench; write and return its results (a failure is recorded, not raised)."""
    started = dt.datetime.now(dt.UTC)
    stamp = started.strftime("%Y%m%dT%H%M%SZ")
    run_folder = options.work_dir / "runs" / stamp
    host = report.machine()
    results = BenchResults()
    failures: list[str] = []
    try:
        for events in options.sizes:
            size, failed = _size(options, events, run_folder, progress)
            results.sizes.append(size)
            failures.extend(failed)
        if options.backfill:
            _scenarios(options, results, run_folder, progress)
    except BenchError as failure:
        failures.append(str(failure))
        progress.message(f"BENCH FAILED: {failure}")
    if failures:
        results.failure = "\n".join(failures)
    targets = evaluate(results)
    finished = dt.datetime.now(dt.UTC)
    data = report.to_json(results, targets, options.settings(), host, started, finished)
    markdown = report.to_markdown(results, targets, host, options.repeat)
    options.out_dir.mkdir(parents=True, exist_ok=True)
    json_path = options.out_dir / f"bench-{stamp}.json"
    markdown_path = options.out_dir / f"bench-{stamp}.md"
    json_path.write_text(json.dumps(data, indent=2) + "\n")
    markdown_path.write_text(markdown)
    shutil.copy(json_path, options.out_dir / "latest.json")
    shutil.copy(markdown_path, options.out_dir / "latest.md")
    if results.failure is None and not options.keep:
        shutil.rmtree(run_folder, ignore_errors=True)
    return Written(json_path, markdown_path, markdown, results)


def _size(
    options: Options, events: int, run_folder: Path, progress: Progress
) -> tuple[SizeResult, list[str]]:
    """Every contender on one generated day of ``events`` lines, and why any failed.

    A contender that fails (or gives a wrong answer) is left out of the size's results and
    not run again; the others still run, so an hour of measurements is not lost to one of them.
    """
    label = format_size(events)
    progress.message(f"== {label} events on {options.day} ==")
    landing, generate_s = _landing(options, [options.day], events, progress)
    [truth] = landing.days
    files = tuple(landing.files(options.day))
    _warm(files)
    runs: dict[str, list[Run]] = {name: [] for name in options.contenders}
    figures: dict[str, dict[str, int | Decimal]] = {}
    failures: dict[str, str] = {}
    for repeat in range(options.repeat):
        for name in options.contenders:
            if name in failures:
                continue
            contender = CONTENDERS[name]
            folder = run_folder / label / f"{name}-{repeat + 1}"
            folder.mkdir(parents=True)
            case = Case(truth, landing.root, files, folder, options.memory_limit)
            title = f"{label} {name}" + (f" (run {repeat + 1})" if options.repeat > 1 else "")
            try:
                one, found = _measure(contender, case, title, progress)
            except BenchError as failure:
                failures[name] = str(failure)
                progress.message(f"FAILED: {failure}")
                continue  # its folder stays: its log says why
            runs[name].append(one)
            figures[name] = found
            if not options.keep:
                shutil.rmtree(folder, ignore_errors=True)
    size = SizeResult(
        truth=truth,
        landing_bytes=sum(f.stat().st_size for f in files),
        generate_s=generate_s,
        contenders={
            name: ContenderResult(
                name,
                CONTENDERS[name].title,
                tuple(runs[name]),
                figures[name],
            )
            for name in options.contenders
            if name not in failures
        },
    )
    return size, list(failures.values())


def _measure(
    contender: Contender, case: Case, title: str, progress: Progress
) -> tuple[Run, dict[str, int | Decimal]]:
    """One measured run of ``contender``; its figures must equal the truth."""
    launch = contender.launch(case)
    log = case.folder / "output.log"
    with progress.task(title) as task:
        measured = run_measured(launch.argv, launch.env, launch.cwd, log, task.sample)
        if measured.returncode != 0:
            raise BenchError(
                f"{title} failed (exit {measured.returncode}), log {log}:\n{measured.log_tail()}"
            )
        outcome = contender.collect(case, measured)
        problems = mismatches(case.truth, outcome.figures, contender.revenue_tolerance)
        if problems:
            raise BenchError(
                f"{title} gave a wrong answer: {'; '.join(problems)} (its files: {case.folder})"
            )
        task.done(
            f"{measured.wall_s:.2f} s wall, {outcome.compute_s:.2f} s compute, "
            f"peak RSS {human_bytes(measured.peak_rss_bytes)}, figures agree"
        )
    one = Run(
        measured.wall_s, measured.peak_rss_bytes, outcome.compute_s, outcome.steps, outcome.extra
    )
    return one, dict(outcome.figures)


def _scenarios(
    options: Options, results: BenchResults, run_folder: Path, progress: Progress
) -> None:
    """The backfill and range-vs-single-runs scenarios (see :mod:`bench.scenarios`)."""
    days = max(options.backfill_days, options.range_days)
    progress.message(f"== orchestration: {days} days of {options.backfill_events:,} events ==")
    calendar = [BACKFILL_START + dt.timedelta(days=i) for i in range(days)]
    landing, _ = _landing(options, calendar, options.backfill_events, progress)
    for truth in landing.days:
        _warm(tuple(landing.files(truth.day)))
    # Each scenario runs over its own first days only; the other days' files are not read.
    backfill_landing = Landing(landing.root, landing.days[: options.backfill_days])
    results.backfill = scenarios.backfill(backfill_landing, run_folder, progress)
    results.range_runs = scenarios.range_vs_single_runs(
        landing, options.range_days, run_folder, progress
    )


def _landing(
    options: Options, days: list[dt.date], events: int, progress: Progress
) -> tuple[Landing, float | None]:
    """The cached landing zone for ``days``; the seconds it took to generate, if it was."""
    # Per-file lines for a big day; for many small days, only the total at the end.
    note = progress.message if len(days) == 1 else _quiet
    landing = cached_landing(options.work_dir, days, events, options.seed, note)
    if landing.generate_s is None:
        progress.message(f"using the cached landing files in {landing.root.parent}")
    else:
        progress.message(
            f"generated {len(days)} day(s) x {events:,} events in {landing.generate_s:.1f} s"
        )
    return landing, landing.generate_s


def _quiet(message: str) -> None:
    """A progress callback that shows nothing."""


def _warm(files: tuple[Path, ...]) -> None:
    """Read ``files`` once, so every contender finds them in the page cache alike."""
    for path in files:
        with path.open("rb") as f:
            while f.read(_READ_BYTES):
                pass
