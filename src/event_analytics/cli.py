"""The ``event-analytics`` command line.

Subcommands:

* ``generate`` - write deterministic sample events into a new, empty or sample folder
  (``--out``; see :mod:`event_analytics.sample_data` and ``docs/landing-zone.md``).
* ``check-config`` - validate every setting without running anything.
* ``prepare-instance`` - create the Dagster instance's pools before the first run
  (see :mod:`event_analytics.instance`).

Run ``event-analytics --help`` (or ``python -m event_analytics.cli --help``) for details.
Argument errors print a message and exit with status 2; I/O errors, a refused folder and a
bad configuration exit with status 1.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path

from event_analytics.sample_data import RefusedDestinationError, generate_landing_zone
from event_analytics.setting_parsers import landing_root

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_USAGE = 2

_Handler = Callable[[argparse.Namespace, argparse.ArgumentParser], int]


def _iso_date(text: str) -> date:
    """argparse type: a ``YYYY-MM-DD`` date."""
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a date as YYYY-MM-DD, got {text!r}") from None


def _folder(text: str) -> Path:
    """argparse type: a local folder, as a path or a ``file://`` URL.

    The same parser as ``EVENTS_LANDING_URL``'s, so a URL names the same folder here as it
    does for the platform.
    """
    try:
        return landing_root(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(f"{text!r} {error}") from None


def _positive_int(text: str) -> int:
    """argparse type: an integer of at least 1."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def _add_generate(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Declare the ``generate`` subcommand."""
    parser = subparsers.add_parser(
        "generate",
        help="write deterministic sample events into a new, empty or sample folder",
        description=(
            "Write sample product events to <out>/events/date=YYYY-MM-DD/part-*.jsonl[.gz]. "
            "The same arguments always produce the same bytes. OUT must not exist yet, be "
            "empty, or be a folder generate wrote before (it holds the marker file "
            ".event-analytics-sample); any other folder is refused, since it may be a real "
            "landing zone. In its own folder, generate replaces the part files of the days "
            "it writes."
        ),
    )
    parser.add_argument(
        "--out",
        type=_folder,
        required=True,
        help="folder to write (a path or a file:// URL); never defaults to EVENTS_LANDING_URL",
    )
    parser.add_argument("--start", type=_iso_date, required=True, help="first day (YYYY-MM-DD)")
    parser.add_argument("--days", type=_positive_int, required=True, help="number of days")
    parser.add_argument(
        "--events-per-day",
        type=_positive_int,
        required=True,
        help="non-blank lines per day (events, re-sends and malformed lines)",
    )
    parser.add_argument("--seed", type=int, required=True, help="random seed")
    parser.set_defaults(handler=_run_generate)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with all subcommands."""
    parser = argparse.ArgumentParser(
        prog="event-analytics",
        description="Product-events analytics: tools around the landing zone and pipeline.",
    )
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    _add_generate(subparsers)
    check = subparsers.add_parser(
        "check-config",
        help="validate every setting (warehouse, landing zone, thresholds) without running",
    )
    check.set_defaults(handler=_run_check_config)
    prepare = subparsers.add_parser(
        "prepare-instance",
        help="create the Dagster instance's pools (run once before the first run)",
        description=(
            "Create every concurrency pool the platform uses on the instance in $DAGSTER_HOME, "
            "at one slot. Safe to run again: existing pools are checked, never changed."
        ),
    )
    prepare.set_defaults(handler=_run_prepare_instance)
    return parser


def _run_prepare_instance(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    """Run ``prepare-instance``: create the pools, or print why the instance cannot serve."""
    import dagster as dg

    from event_analytics.instance import InstanceConfigError, prepare_instance

    if not os.environ.get("DAGSTER_HOME"):
        message = "DAGSTER_HOME is not set: point it at the instance's folder (make: dagster_home)"
        print(f"{parser.prog} {args.command}: error: {message}", file=sys.stderr)
        return EXIT_FAILURE
    try:
        with dg.DagsterInstance.get() as instance:
            limits = prepare_instance(instance)
    except (InstanceConfigError, dg.DagsterInvariantViolationError) as exc:
        print(f"{parser.prog} {args.command}: error: {exc}", file=sys.stderr)
        return EXIT_FAILURE
    for pool, limit in limits.items():
        print(f"pool {pool!r}: {limit} slot(s)")
    return EXIT_OK


def _run_check_config(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    """Run ``check-config``: print each problem with its fix; exit 1 if there is any."""
    from event_analytics.config_check import configuration_problems

    problems = configuration_problems()
    for problem in problems:
        print(f"{parser.prog} {args.command}: {problem}", file=sys.stderr)
    if not problems:
        print("configuration OK")
    return EXIT_FAILURE if problems else EXIT_OK


def _run_generate(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    """Run ``generate``: write the days, print progress and a final summary line."""
    root: Path = args.out
    began = time.perf_counter()
    try:
        summary = generate_landing_zone(
            root,
            args.start,
            args.days,
            args.events_per_day,
            args.seed,
            progress=lambda message: print(message, flush=True),
        )
    except ValueError as exc:
        return _usage_error(parser, args.command, str(exc))
    except (RefusedDestinationError, OSError) as exc:
        print(f"{parser.prog} {args.command}: error: {exc}", file=sys.stderr)
        return EXIT_FAILURE
    elapsed = time.perf_counter() - began
    print(
        f"generated {summary.lines_written:,} lines ({summary.blank_lines:,} blank lines besides) "
        f"in {summary.files} files for {summary.days} day(s) under {root} in {elapsed:.1f} s"
    )
    return EXIT_OK


def _usage_error(parser: argparse.ArgumentParser, command: str, message: str) -> int:
    """Print an argparse-style error for ``command`` and return the usage exit status."""
    print(f"{parser.prog} {command}: error: {message}", file=sys.stderr)
    return EXIT_USAGE


def _exit_status(exc: SystemExit) -> int:
    """The exit status argparse asked for (it exits 2 on errors, 0 after ``--help``)."""
    if exc.code is None:
        return EXIT_OK
    return exc.code if isinstance(exc.code, int) else EXIT_USAGE


def main(argv: list[str] | None = None) -> int:
    """Parse ``argv`` (default: ``sys.argv[1:]``), run the subcommand, return the exit status."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:
        return _exit_status(exc)
    handler: _Handler = args.handler
    return handler(args, parser)


if __name__ == "__main__":
    raise SystemExit(main())
