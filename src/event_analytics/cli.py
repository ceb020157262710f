"""The ``event-analytics`` command line.

Subcommands:

* ``generate`` - write deterministic sample events into a new, empty or sample folder
  (``--out``; see :mod:`event_analytics.sample_data` and ``docs/landing-zone.md``).
* ``check-config`` - validate every setting without running anything.
* ``prepare-instance`` - create the Dagster instance's pools before the first run
  (see :mod:`event_analytics.instance`).
* ``sql`` - run one read-only query against the configured warehouse and print its rows as a
  table, JSON lines or CSV (see :mod:`event_analytics.sql_command`).
* ``summary`` - print the daily figures of some days, or say a day is not computed yet (see
  :mod:`event_analytics.summary_command`).
* ``doctor`` - check a Dagster code location against the guide's rules (see
  :mod:`event_analytics.doctor`).

Run ``event-analytics --help`` (or ``python -m event_analytics.cli --help``) for details; every
command's ``--help`` ends with examples. Exit statuses, the same for every command: 0 done;
1 a failure at run time (an I/O error, a refused folder, a bad setting, a failed query), with a
message naming the setting or the file; 2 usage (argparse's errors); 130 interrupted (Ctrl-C).
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
from event_analytics.terminal_progress import day_progress

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130  # 128 + SIGINT, as shells report a command stopped by Ctrl-C

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


def whole_number_at_least(minimum: int) -> Callable[[str], int]:
    """An argparse type: a whole number of at least `minimum`, or a message saying why not."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be at least {minimum}, got {value}")
        return value

    return parse


class _DescribedExamples(argparse.HelpFormatter):
    """Wraps the description to the terminal, and keeps the epilog (examples, exit statuses)
    exactly as written: commands must stay on one line to be copied."""

    def _fill_text(self, text: str, width: int, indent: str) -> str:
        if text.startswith("example"):
            return "".join(indent + line for line in text.splitlines(keepends=True))
        return super()._fill_text(text, width, indent)


_SQL_EPILOG = """\
examples:
  event-analytics sql "SELECT * FROM analytics.daily_summary ORDER BY date DESC"
  event-analytics sql --format jsonl "SELECT * FROM analytics.daily_summary" > figures.jsonl
  echo "SELECT reason, count(*) AS n FROM raw.rejected_events GROUP BY 1" | event-analytics sql -

The query is written in DuckDB's SQL dialect on every backend (the platform translates it for
a server). The session is read-only: the engine refuses any write. JSON lines and CSV give
decimals as exact text, dates and timestamps in ISO 8601, NULL as null (an empty CSV field).

Exit status: 0 the rows were printed; 1 the query failed, the warehouse could not be opened or
a setting is wrong (the message names it, never a password); 2 usage: not exactly one query,
or a bad option.
"""


def _add_sql(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Declare the ``sql`` subcommand."""
    from event_analytics.sql_command.options import TABLE_ROW_LIMIT, Format

    parser = subparsers.add_parser(
        "sql",
        help="run one read-only query against the warehouse and print its rows",
        description=(
            "Run one query against the warehouse WAREHOUSE_URL names (DuckDB or PostgreSQL),\n"
            "read-only, and print its rows."
        ),
        epilog=_SQL_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("query", metavar="QUERY", help="one query, or - to read it from stdin")
    parser.add_argument(
        "--format",
        choices=[f.value for f in Format],
        default=Format.TABLE.value,
        help="table (for people: plain text when not on a terminal), jsonl (one JSON object "
        "per row) or csv; default: table",
    )
    parser.add_argument(
        "--limit",
        type=whole_number_at_least(0),
        metavar="N",
        help=f"print at most N rows, 0 for all (default: {TABLE_ROW_LIMIT} for the table, "
        "all for jsonl and csv)",
    )
    parser.set_defaults(handler=_run_sql)


# Written in pieces so that each example stays on one line of the help, to be copied whole.
_GENERATE_EPILOG = (
    "examples:\n"
    "  event-analytics generate --out sample --start 2025-01-01 --days 7 --events-per-day 20000"
    " --seed 42\n"
    "  event-analytics generate --out sample --start 2025-03-01 --days 90 --events-per-day 500"
    " --seed 1 --quiet\n"
    """
Progress: on a terminal a live bar of the days, with each finished day's line above it; in a
pipe or a file one plain line per day; with --quiet nothing but the final summary line.

Exit status: 0 written; 1 the folder was refused (it may be a real landing zone) or could not
be written (the message names it); 2 usage (a bad or missing option).
"""
)


def _add_generate(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Declare the ``generate`` subcommand."""
    parser = subparsers.add_parser(
        "generate",
        help="write deterministic sample events into a new, empty or sample folder",
        epilog=_GENERATE_EPILOG,
        formatter_class=_DescribedExamples,
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
    parser.add_argument(
        "--days", type=whole_number_at_least(1), required=True, help="number of days"
    )
    parser.add_argument(
        "--events-per-day",
        type=whole_number_at_least(1),
        required=True,
        help="non-blank lines per day (events, re-sends and malformed lines)",
    )
    parser.add_argument("--seed", type=int, required=True, help="random seed")
    parser.add_argument(
        "--quiet",
        action="store_true",
        help="no progress, only the final summary line (errors still go to stderr)",
    )
    parser.set_defaults(handler=_run_generate)


_CHECK_CONFIG_EPILOG = """\
examples:
  event-analytics check-config
  WAREHOUSE_URL=postgresql://analytics@db.internal:5432/warehouse event-analytics check-config

Prints one line per problem on stderr, naming the variable and the fix (never a secret's
value), or "configuration OK".

Exit status: 0 every setting can be used; 1 at least one problem; 2 usage.
"""

_PREPARE_INSTANCE_EPILOG = """\
examples:
  DAGSTER_HOME=$PWD/dagster_home event-analytics prepare-instance
  make prepare-instance

Exit status: 0 the pools exist (one line each); 1 DAGSTER_HOME is not set or its instance
cannot be used (the message says which); 2 usage.
"""

_SUMMARY_EPILOG = """\
examples:
  event-analytics summary --start 2025-01-01 --end 2025-01-07
  event-analytics summary --start 2025-01-01 --end 2025-01-31 --format csv > january.csv
  event-analytics summary --start 2025-01-07 --format jsonl

One row per day from --start to --end, both included: events, active users, purchases and
revenue (exact decimal text, never a float). A day the platform has not computed has no
figures and says so: "not computed yet" in the table, "computed": false in jsonl and csv; a
day without events is computed, with zeros. Read-only, on the warehouse WAREHOUSE_URL names
(DuckDB or PostgreSQL).

Exit status: 0 printed (days not computed yet included); 1 the warehouse could not be read or
a setting is wrong (the message names it, never a password); 2 usage (a bad date, --end
before --start, a bad option).
"""


def _add_summary(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Declare the ``summary`` subcommand."""
    from event_analytics.sql_command.options import Format

    parser = subparsers.add_parser(
        "summary",
        help="print the daily figures of some days (or that a day is not computed yet)",
        description=(
            "Print analytics.daily_summary for the days from --start to --end, both "
            "included, as a table, JSON lines or CSV."
        ),
        epilog=_SUMMARY_EPILOG,
        formatter_class=_DescribedExamples,
    )
    parser.add_argument("--start", type=_iso_date, required=True, help="first day (YYYY-MM-DD)")
    parser.add_argument(
        "--end", type=_iso_date, help="last day, included (YYYY-MM-DD; default: --start)"
    )
    parser.add_argument(
        "--format",
        choices=[f.value for f in Format],
        default=Format.TABLE.value,
        help="table (for people: plain text when not on a terminal), jsonl (one JSON object "
        "per day) or csv; default: table",
    )
    parser.set_defaults(handler=_run_summary)


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
        description=(
            "Check every setting the platform reads (docs/configuration.md) through its parser, "
            "and the places they name: the warehouse (the DuckDB file's folder, or a login to "
            "the PostgreSQL server) and the landing zone's root. Nothing is run or written."
        ),
        epilog=_CHECK_CONFIG_EPILOG,
        formatter_class=_DescribedExamples,
    )
    check.set_defaults(handler=_run_check_config)
    prepare = subparsers.add_parser(
        "prepare-instance",
        help="create the Dagster instance's pools (run once before the first run)",
        description=(
            "Create every concurrency pool the platform uses on the instance in $DAGSTER_HOME, "
            "at one slot. Safe to run again: existing pools are checked, never changed."
        ),
        epilog=_PREPARE_INSTANCE_EPILOG,
        formatter_class=_DescribedExamples,
    )
    prepare.set_defaults(handler=_run_prepare_instance)
    _add_sql(subparsers)
    _add_summary(subparsers)
    # `doctor` lives in its own package (event_analytics.doctor), which imports Dagster only
    # when the command runs.
    from event_analytics.doctor.command import add_doctor

    add_doctor(subparsers)
    return parser


def _run_sql(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    """Run ``sql``: print the rows, or why not, with the exit status a script can rely on."""
    from event_analytics.sql_command.options import Format
    from event_analytics.sql_command.run import run_sql

    text = sys.stdin.read() if args.query == "-" else args.query
    return _print_to_stdout(
        args, parser, lambda: run_sql(text, Format(args.format), args.limit, sys.stdout)
    )


def _run_summary(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    """Run ``summary``: print the days' figures, or why not."""
    from event_analytics.sql_command.options import Format
    from event_analytics.summary_command import run_summary

    return _print_to_stdout(
        args,
        parser,
        lambda: run_summary(args.start, args.end or args.start, Format(args.format), sys.stdout),
    )


def _print_to_stdout(
    args: argparse.Namespace, parser: argparse.ArgumentParser, write: Callable[[], None]
) -> int:
    """Run a command that prints its result (`sql`, `summary`): its error on stderr with the
    status it chose, and a reader that stops early (`| head`) is not an error worth a traceback."""
    from event_analytics.sql_command.run import CommandError

    try:
        write()
        sys.stdout.flush()
    except CommandError as error:
        print(f"{parser.prog} {args.command}: error: {error}", file=sys.stderr)
        return error.status
    except BrokenPipeError:
        # Nothing more to flush at exit either: stdout goes nowhere from here on.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_FAILURE
    return EXIT_OK


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
        with day_progress("generating", args.days, sys.stdout, quiet=args.quiet) as day_done:
            summary = generate_landing_zone(
                root, args.start, args.days, args.events_per_day, args.seed, progress=day_done
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
    try:
        return handler(args, parser)
    except KeyboardInterrupt:
        # Ctrl-C is the person's choice, not a crash: one line, no traceback, the status a
        # shell gives a command stopped by SIGINT. Every command leaves things as they were
        # or as a rerun expects them (generate writes each file whole, by rename).
        print(f"{parser.prog} {args.command}: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED


if __name__ == "__main__":
    raise SystemExit(main())
