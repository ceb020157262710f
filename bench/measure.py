"""Measuring a command: wall time and peak memory of its whole process tree.

Each contender runs as a fresh process (its imports, start-up and exit included: what a user
waits for). A sampler thread adds up the resident set size (RSS) of the process and all its
descendants every :data:`SAMPLE_SECONDS` and keeps the peak, so the executor's step
processes of a Dagster run count too. Shared pages (libraries, a parent's memory seen by a
forked child) are counted once per process, so the figure is an upper bound of what the tree
needed; a burst shorter than the sampling interval can be missed.
"""

from __future__ import annotations

import subprocess
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import psutil

#: Interval between two memory samples.
SAMPLE_SECONDS = 0.05


@dataclass(frozen=True)
class Measurement:
    """One measured process: how long it ran, its tree's peak RSS, and how it ended."""

    wall_s: float
    peak_rss_bytes: int
    returncode: int
    log: Path

    def log_tail(self, chars: int = 4000) -> str:
        """The end of the process's output (stdout and stderr together)."""
        text = self.log.read_text(errors="replace")
        return text[-chars:]


def human_bytes(value: int) -> str:
    """Bytes for people: MB below a gigabyte, GB above (decimal units, as the targets use)."""
    if value < 1e9:
        return f"{value / 1e6:,.0f} MB"
    return f"{value / 1e9:.2f} GB"


def tree_rss(process: psutil.Process) -> int:
    """Bytes resident in ``process`` and every live descendant (processes that ended count 0)."""
    try:
        members = [process, *process.children(recursive=True)]
    except psutil.Error:
        return 0
    total = 0
    for member in members:
        try:
            total += member.memory_info().rss
        except psutil.Error:  # ended between listing and reading
            continue
    return total


def run_measured(
    argv: Sequence[str],
    env: Mapping[str, str],
    cwd: Path,
    log: Path,
    on_sample: Callable[[float, int], None] | None = None,
) -> Measurement:
    """Run ``argv`` to completion, its output to ``log``; measure it.

    ``on_sample(elapsed_s, rss_bytes)`` is called from the sampler thread after each sample
    (progress display). The wall time is taken around the process's start and exit, not
    from the samples.
    """
    peak = 0
    done = threading.Event()
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("wb") as out:
        began = time.perf_counter()
        process = psutil.Popen(
            list(argv), env=dict(env), cwd=cwd, stdout=out, stderr=subprocess.STDOUT
        )

        def sample() -> None:
            nonlocal peak
            while not done.is_set():
                rss = tree_rss(process)
                peak = max(peak, rss)
                if on_sample is not None:
                    on_sample(time.perf_counter() - began, rss)
                done.wait(SAMPLE_SECONDS)

        sampler = threading.Thread(target=sample, name="rss-sampler", daemon=True)
        sampler.start()
        try:
            returncode = process.wait()
        finally:
            ended = time.perf_counter()
            done.set()
            sampler.join()
            if process.poll() is None:  # interrupted: never leave the contender running
                _stop_tree(process)
    return Measurement(ended - began, peak, returncode, log)


def _stop_tree(process: psutil.Process) -> None:
    """Kill ``process`` and its descendants (it is ours: we started it)."""
    members = [process, *process.children(recursive=True)]
    for member in members:
        try:
            member.kill()
        except psutil.Error:
            continue
    psutil.wait_procs(members, timeout=10)
