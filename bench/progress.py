"""Showing the bench's progress: live lines on a terminal (rich), plain lines otherwise.

A run of the project at 20M events takes minutes, so each measured task shows its elapsed
time and its process tree's current memory while it runs. Without a terminal (CI, a pipe,
``--plain``) the same happens as plain lines: one when a task starts, one every
:data:`HEARTBEAT_SECONDS` while it runs, one when it ends.
"""

from __future__ import annotations

import sys
import threading
from abc import ABC, abstractmethod
from collections.abc import Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import Progress as RichBar
from rich.progress import SpinnerColumn, TaskID, TextColumn, TimeElapsedColumn

#: Plain output: how often a running task says it is still running.
HEARTBEAT_SECONDS = 30.0


class Task(ABC):
    """A task being shown: told its process's memory as it runs, and its outcome at the end."""

    @abstractmethod
    def sample(self, elapsed_s: float, rss_bytes: int) -> None:
        """A new memory sample (called from the sampler thread)."""

    @abstractmethod
    def done(self, summary: str) -> None:
        """The task succeeded; ``summary`` says what it measured."""


class Progress(ABC):
    """Where the bench reports what it is doing."""

    @abstractmethod
    def message(self, text: str) -> None:
        """A line of information (a section, a cached day, a file written)."""

    @abstractmethod
    @contextmanager
    def task(self, label: str) -> Iterator[Task]:
        """Show ``label`` as running until the block ends."""


def for_terminal(plain: bool = False) -> Progress:
    """Live display when stdout is a terminal (and ``plain`` is not asked), plain lines else."""
    if not plain and sys.stdout.isatty():
        return RichProgress()
    return PlainProgress()


class PlainProgress(Progress):
    """One line per event, flushed at once (readable in CI logs and pipes)."""

    def message(self, text: str) -> None:
        print(text, flush=True)

    @contextmanager
    def task(self, label: str) -> Iterator[Task]:
        print(f"{label} ...", flush=True)
        task = _PlainTask(label)
        yield task
        if not task.finished:
            print(f"{label}: stopped", flush=True)


class _PlainTask(Task):
    def __init__(self, label: str) -> None:
        self.label = label
        self.finished = False
        self._next = HEARTBEAT_SECONDS
        self._lock = threading.Lock()

    def sample(self, elapsed_s: float, rss_bytes: int) -> None:
        with self._lock:
            if elapsed_s < self._next:
                return
            self._next += HEARTBEAT_SECONDS
        print(f"{self.label}: running, {elapsed_s:.0f} s, {_mb(rss_bytes)}", flush=True)

    def done(self, summary: str) -> None:
        self.finished = True
        print(f"{self.label}: {summary}", flush=True)


class RichProgress(Progress):
    """A spinner, the elapsed time and the live memory of each running task."""

    def __init__(self) -> None:
        self.console = Console()

    def message(self, text: str) -> None:
        self.console.print(text, highlight=False, markup=False, soft_wrap=True)

    @contextmanager
    def task(self, label: str) -> Iterator[Task]:
        bar = RichBar(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            TextColumn("{task.fields[info]}"),
            TimeElapsedColumn(),
            console=self.console,
            transient=True,
        )
        with bar:
            task = _RichTask(bar, bar.add_task(label, total=None, info=""))
            yield task
        if task.summary is not None:
            self.console.print(f"[green]✓[/green] {label}: {task.summary}", highlight=False)
        else:
            self.console.print(f"[red]✗[/red] {label}: stopped", highlight=False)


class _RichTask(Task):
    def __init__(self, bar: RichBar, task_id: TaskID) -> None:
        self._bar = bar
        self._id = task_id
        self.summary: str | None = None

    def sample(self, elapsed_s: float, rss_bytes: int) -> None:
        self._bar.update(self._id, info=_mb(rss_bytes))

    def done(self, summary: str) -> None:
        self.summary = summary


def _mb(rss_bytes: int) -> str:
    return f"RSS {rss_bytes / 1e6:,.0f} MB"
