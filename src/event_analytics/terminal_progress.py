"""Progress of long command-line work, day by day, shown the way the output is read.

- On a terminal: a live bar (rich) with the days done out of all, the time spent and the time
  left; each finished day's line is printed above it and stays, the bar goes at the end.
- Anywhere else (a pipe, a file, CI's log): one plain line per finished day, flushed at once,
  with no control characters: a log that reads well and that a script can follow.
- Quiet (`--quiet`): nothing at all; the command still prints its one-line summary.

rich is imported only when a terminal will see it: the command line stays quick otherwise.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TextIO

DayDone = Callable[[str], None]
"""Called once per finished day with the line that describes it."""


@contextmanager
def day_progress(label: str, days: int, out: TextIO, quiet: bool = False) -> Iterator[DayDone]:
    """What to call after each of `days` days of work, while the block runs."""
    if quiet:
        yield lambda _line: None
    elif not out.isatty():
        yield lambda line: print(line, file=out, flush=True)
    else:
        with _live_bar(label, days, out) as done:
            yield done


@contextmanager
def _live_bar(label: str, days: int, out: TextIO) -> Iterator[DayDone]:
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    console = Console(file=out, highlight=False)
    bar = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("days"),
        TimeElapsedColumn(),
        TextColumn("spent,"),
        TimeRemainingColumn(),
        TextColumn("left"),
        console=console,
        transient=True,  # the lines stay, the bar goes: the summary line follows them
    )
    with bar:
        task = bar.add_task(label, total=days)

        def done(line: str) -> None:
            bar.console.print(line, markup=False, highlight=False, soft_wrap=True)
            bar.advance(task)

        yield done
