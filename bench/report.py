"""The bench's results as JSON (every figure) and as a Markdown report (the same content).

The JSON is for machines and later comparison: each size with the generator's truth, each
contender's runs (wall, peak RSS, compute, per-step times), summaries and ratios; the
backfill scenarios; the targets; the machine and the software versions. The Markdown is what
``docs/performance.md`` quotes and what the bench prints at the end.
"""

from __future__ import annotations

import datetime as dt
import os
import platform
import subprocess
from importlib import metadata
from pathlib import Path

import psutil

from bench.measure import human_bytes
from bench.project import PROJECT_ROOT
from bench.results import BenchResults, ContenderResult, SizeResult
from bench.targets import Target

#: Version of the JSON layout below.
SCHEMA_VERSION = 1


def machine() -> dict[str, object]:
    """The machine and software the figures were measured on."""
    return {
        "cpu_model": _cpu_model(),
        "logical_cores": os.cpu_count(),
        "physical_cores": psutil.cpu_count(logical=False),
        "memory_bytes": psutil.virtual_memory().total,
        "load_average": list(os.getloadavg()),
        "os": platform.platform(),
        "python": platform.python_version(),
        "versions": {
            name: _version(name) for name in ("duckdb", "dagster", "pandas", "numpy", "pyarrow")
        },
        "git_commit": _git("rev-parse", "HEAD"),
        # Uncommitted changes mean the commit alone does not say what was measured.
        "git_dirty": bool(_git("status", "--porcelain")),
    }


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _version(package: str) -> str | None:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return None


def _git(*args: str) -> str | None:
    try:
        done = subprocess.run(
            ["git", *args], cwd=PROJECT_ROOT, capture_output=True, text=True, check=True
        )
    except (OSError, subprocess.CalledProcessError):
        return None
    return done.stdout.strip()


def to_json(
    results: BenchResults,
    targets: list[Target],
    settings: dict[str, object],
    host: dict[str, object],
    started: dt.datetime,
    finished: dt.datetime,
) -> dict[str, object]:
    """Every figure of the run as a JSON-ready dict (exact decimals as text)."""
    backfill = results.backfill
    range_runs = results.range_runs
    return {
        "schema_version": SCHEMA_VERSION,
        "started_at": started.isoformat(),
        "finished_at": finished.isoformat(),
        "failure": results.failure,
        "machine": host,
        "settings": settings,
        "sizes": [_size_json(s) for s in results.sizes],
        "backfill": None
        if backfill is None
        else {
            "days": backfill.days,
            "events_per_day": backfill.events_per_day,
            "wall_s": backfill.wall_s,
            "peak_rss_bytes": backfill.peak_rss_bytes,
            "asset_compute_s": backfill.asset_compute_s,
            "run_s": backfill.run_s,
            "orchestration_per_partition_s": backfill.orchestration_per_partition_s,
            "wall_per_partition_s": backfill.wall_per_partition_s,
            "steps": [s.to_json() for s in backfill.steps],
        },
        "range_vs_single_runs": None
        if range_runs is None
        else {
            "days": range_runs.days,
            "events_per_day": range_runs.events_per_day,
            "range_wall_s": range_runs.range_wall_s,
            "range_asset_compute_s": range_runs.range_asset_compute_s,
            "single_walls_s": list(range_runs.single_walls_s),
            "single_asset_compute_s": list(range_runs.single_asset_compute_s),
            "singles_wall_s": range_runs.singles_wall_s,
            "singles_vs_range": range_runs.singles_vs_range,
            "peak_rss_bytes": range_runs.peak_rss_bytes,
        },
        "targets": [t.to_json() for t in targets],
    }


def _size_json(size: SizeResult) -> dict[str, object]:
    return {
        "events": size.events,
        "label": size.label,
        "day": size.truth.day.isoformat(),
        "landing_bytes": size.landing_bytes,
        "generate_s": size.generate_s,
        "truth": size.truth.to_json(),
        "contenders": {
            name: _contender_json(size, result) for name, result in size.contenders.items()
        },
    }


def _contender_json(size: SizeResult, result: ContenderResult) -> dict[str, object]:
    return {
        "title": result.title,
        "wall_s": result.wall_s,
        "compute_s": result.compute_s,
        "peak_rss_bytes": result.peak_rss_bytes,
        "events_per_s": size.events_per_s(result.name),
        "figures": {key: str(value) for key, value in result.figures.items()},
        "ratios": size.ratios(result.name),
        "steps": [{"step": s, "seconds": t} for s, t in result.median_steps()],
        "runs": [r.to_json() for r in result.runs],
    }


def to_markdown(
    results: BenchResults, targets: list[Target], host: dict[str, object], repeat: int
) -> str:
    """The report: one table per part, the targets, and the machine."""
    parts = [f"## Results ({'median of ' + str(repeat) + ' runs' if repeat > 1 else '1 run'})"]
    if results.failure:
        # The first line says what failed and where its log is; the JSON has the rest.
        parts.append(f"**The bench failed:** {results.failure.splitlines()[0]}")
    if results.sizes:
        parts.append(_sizes_table(results.sizes))
        parts.extend(_steps_tables(results.sizes))
    if results.backfill is not None or results.range_runs is not None:
        parts.append(_scenarios_table(results))
    parts.append(_targets_table(targets))
    parts.append(_machine_line(host))
    return "\n\n".join(parts) + "\n"


def _sizes_table(sizes: list[SizeResult]) -> str:
    rows = [
        "| events | contender | wall s | compute s | events/s | peak RSS | speed vs pandas "
        "| compute vs scan floor | compute vs lenient load |",
        "|---|---|--:|--:|--:|--:|--:|--:|--:|",
    ]
    for size in sizes:
        for name, result in size.contenders.items():
            ratios = size.ratios(name)
            rows.append(
                f"| {size.label} | {result.title} | {result.wall_s:.2f} | {result.compute_s:.2f} "
                f"| {size.events_per_s(name):,.0f} | {human_bytes(result.peak_rss_bytes)} "
                f"| {_times(ratios['speed_vs_pandas'])} "
                f"| {_times(ratios['compute_vs_scan_floor'])} "
                f"| {_times(ratios['compute_vs_lenient_load'])} |"
            )
    return "\n".join(rows)


def _steps_tables(sizes: list[SizeResult]) -> list[str]:
    tables = []
    for size in sizes:
        for name, project in size.contenders.items():
            if not name.startswith("project"):
                continue
            heading = f"{project.title}, steps at {size.label}"
            rows = [f"{heading} (seconds, STEP_START to STEP_SUCCESS):", ""]
            rows += ["| step | seconds |", "|---|--:|"]
            rows += [f"| {step} | {seconds:.2f} |" for step, seconds in project.median_steps()]
            for key, label in _EXTRA_LABELS.items():
                value = project.extra(key)
                if value is not None:
                    rows.append(f"| *{label}* | {value:.2f} |")
            tables.append("\n".join(rows))
    return tables


_EXTRA_LABELS = {
    "run_s": "run (RUN_START to RUN_SUCCESS)",
    "check_steps_s": "asset check steps",
    "orchestration_s": "orchestration (wall - asset steps)",
    # Spark's event log (project_spark): how the work spread over the executors' cores.
    "spark_stages": "Spark stages",
    "spark_tasks": "Spark tasks",
    "spark_stage_wall_s": "Spark stages' wall seconds (summed)",
    "spark_busy_cores": "cores busy on average during the stages",
    "spark_longest_stage_s": "longest stage, seconds",
    "spark_longest_stage_tasks": "longest stage, tasks",
    "spark_longest_stage_busy_cores": "longest stage, cores busy on average",
}


def _scenarios_table(results: BenchResults) -> str:
    rows = ["| scenario | figure | value |", "|---|---|--:|"]
    backfill = results.backfill
    if backfill is not None:
        what = f"{backfill.days}-day single-run backfill, {backfill.events_per_day:,} events/day"
        rows += [
            f"| {what} | wall | {backfill.wall_s:.1f} s |",
            f"| | asset steps | {backfill.asset_compute_s:.1f} s |",
            f"| | orchestration per partition | {backfill.orchestration_per_partition_s:.3f} s |",
            f"| | wall per partition | {backfill.wall_per_partition_s:.3f} s |",
            f"| | peak RSS | {human_bytes(backfill.peak_rss_bytes)} |",
        ]
    range_runs = results.range_runs
    if range_runs is not None:
        what = f"{range_runs.days} days, {range_runs.events_per_day:,} events/day"
        rows += [
            f"| {what} | one range run, wall | {range_runs.range_wall_s:.1f} s |",
            f"| | {range_runs.days} single-day runs, wall | {range_runs.singles_wall_s:.1f} s |",
            f"| | single-day runs / range run | {range_runs.singles_vs_range:.1f}x |",
        ]
    return "\n".join(rows)


def _targets_table(targets: list[Target]) -> str:
    rows = ["| target | goal | measured | verdict |", "|---|---|--:|---|"]
    for t in targets:
        if t.measured is None:
            measured = "-"
        elif t.unit == "x":
            measured = f"{t.measured:.2f}x"
        else:
            measured = f"{t.measured:.3g} {t.unit}"
        detail = f" ({t.detail})" if t.detail else ""
        rows.append(f"| {t.name} | {t.goal} | {measured} | **{t.status}**{detail} |")
    return "\n".join(rows)


def _machine_line(host: dict[str, object]) -> str:
    memory = host.get("memory_bytes")
    versions = host.get("versions")
    version_text = (
        ", ".join(f"{k} {v}" for k, v in versions.items()) if isinstance(versions, dict) else ""
    )
    load = host.get("load_average")
    load_text = " / ".join(f"{x:.1f}" for x in load) if isinstance(load, list) else "unknown"
    commit = str(host.get("git_commit") or "unknown")[:12]
    dirty = " (with uncommitted changes)" if host.get("git_dirty") else ""
    memory_text = human_bytes(memory) if isinstance(memory, int) else "unknown"
    return (
        f"Machine: {host.get('cpu_model')}, {host.get('logical_cores')} cores, "
        f"{memory_text} memory, Python {host.get('python')}; "
        f"{version_text}; commit {commit}{dirty}; load average at start {load_text}."
    )


def _times(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}x"
