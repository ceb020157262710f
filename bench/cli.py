"""``python -m bench``: the command line of the benchmark (``make bench`` runs it).

Examples::

    python -m bench                                 # 1M events, then the backfill scenarios
    python -m bench --sizes 1M,5M,20M --skip-backfill
    python -m bench --sizes 2M --contenders pandas,project --repeat 3

Exit status: 0 when every contender ran and agreed with the generator's figures (whatever
the targets' verdicts), 1 when the bench failed (a contender crashed or gave a wrong
answer; the results written say which), 2 for a usage error.
"""

from __future__ import annotations

import argparse
import datetime as dt
from pathlib import Path

from bench.contenders import CONTENDERS
from bench.data import parse_size
from bench.progress import for_terminal
from bench.runner import BENCH_DAY, Options, run
from event_analytics.cli import whole_number_at_least

_POSITIVE = whole_number_at_least(1)

#: What ``make bench`` runs when no sizes are given: quick, and still a million events.
DEFAULT_SIZES = "1M"
DEFAULT_WORK = Path(".bench")


def _sizes(text: str) -> tuple[int, ...]:
    """argparse type: ``1M,5M,20M`` (``none`` for no size runs)."""
    if text.strip().lower() == "none":
        return ()
    try:
        return tuple(parse_size(part) for part in text.split(",") if part.strip())
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _contenders(text: str) -> tuple[str, ...]:
    """argparse type: a comma-separated subset of the registered contenders."""
    names = tuple(part.strip() for part in text.split(",") if part.strip())
    unknown = [n for n in names if n not in CONTENDERS]
    if unknown or not names:
        raise argparse.ArgumentTypeError(
            f"unknown contender(s) {', '.join(unknown) or '(none given)'}; "
            f"choose from {', '.join(CONTENDERS)}"
        )
    # The registry's order, so tables always read the same way.
    return tuple(n for n in CONTENDERS if n in names)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser."""
    contenders = "; ".join(f"{c.name}: {c.description}" for c in CONTENDERS.values())
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description=(
            "Measure the project end to end against the pandas approach and DuckDB floors on "
            "the same generated landing files, then orchestration over many days. "
            f"Contenders: {contenders}."
        ),
    )
    parser.add_argument(
        "--sizes",
        type=_sizes,
        default=_sizes(DEFAULT_SIZES),
        help=f"events in the generated day, comma-separated: 5k, 1M, 20M (default {DEFAULT_SIZES}; "
        "'none' for only the backfill scenarios)",
    )
    parser.add_argument(
        "--contenders",
        type=_contenders,
        default=tuple(CONTENDERS),
        help=f"which to run (default all: {','.join(CONTENDERS)})",
    )
    parser.add_argument("--repeat", type=_POSITIVE, default=1, help="runs per contender (median)")
    parser.add_argument("--seed", type=int, default=42, help="seed of the generated events")
    parser.add_argument(
        "--day",
        type=dt.date.fromisoformat,
        default=BENCH_DAY,
        help=f"the generated day (default {BENCH_DAY})",
    )
    parser.add_argument(
        "--skip-backfill", action="store_true", help="skip the orchestration scenarios"
    )
    parser.add_argument(
        "--backfill-days", type=_POSITIVE, default=365, help="days in the single-run backfill"
    )
    parser.add_argument(
        "--backfill-events", type=_POSITIVE, default=1000, help="events per backfill day"
    )
    parser.add_argument(
        "--range-days",
        type=_POSITIVE,
        default=30,
        help="days run as one range run and as single-day runs",
    )
    parser.add_argument(
        "--work",
        type=Path,
        default=DEFAULT_WORK,
        help="work folder: cached landing files, per-run folders (default .bench)",
    )
    parser.add_argument(
        "--out", type=Path, default=None, help="results folder (default <work>/results)"
    )
    parser.add_argument(
        "--keep", action="store_true", help="keep each run's databases, instances and logs"
    )
    parser.add_argument(
        "--plain", action="store_true", help="plain progress lines even on a terminal"
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    """Parse ``argv``, run the bench, print the report; the exit status (see above)."""
    args = build_parser().parse_args(argv)
    from event_analytics.settings import DUCKDB_MEMORY_LIMIT

    work = args.work.resolve()
    options = Options(
        sizes=args.sizes,
        contenders=args.contenders,
        work_dir=work,
        out_dir=(args.out or work / "results").resolve(),
        memory_limit=DUCKDB_MEMORY_LIMIT.value(),
        repeat=args.repeat,
        seed=args.seed,
        day=args.day,
        backfill=not args.skip_backfill,
        backfill_days=args.backfill_days,
        backfill_events=args.backfill_events,
        range_days=args.range_days,
        keep=args.keep,
    )
    progress = for_terminal(plain=args.plain)
    written = run(options, progress)
    progress.message("")
    progress.message(written.markdown)
    progress.message(f"results: {written.json_path} and {written.markdown_path}")
    return 1 if written.results.failure else 0
