"""`event-analytics doctor`: the command line around `diagnose`.

`add_doctor` declares the subcommand on the CLI's parser; nothing here imports Dagster until
the command runs, so other commands stay quick.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import dagster as dg

DEFAULT_MODULE = "event_analytics.definitions"
EXIT_USAGE = 2

_EPILOG = """\
examples:
  event-analytics doctor                       this project's code location
  event-analytics doctor -f path/to/defs.py    any file with a Definitions
  event-analytics doctor -m my_pkg.definitions --format json

Rules, how each decides, and how to silence one (with a reason): docs/doctor.md.
Silencing and severities are read from --config, else ./doctor.toml, else the
[tool.event_analytics.doctor] table of ./pyproject.toml.

Run history (recorded row counts) is read from the instance in $DAGSTER_HOME when it is set.

Exit status: 0 no finding at error level (warnings and silenced findings do not count);
1 at least one; 2 usage (a bad option, a missing file, an unusable config file).
"""


def add_doctor(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Declare the `doctor` subcommand."""
    parser = subparsers.add_parser(
        "doctor",
        help="check a Dagster code location against the guide's rules (assets, resources, "
        "partitions, freshness, pools, automation)",
        description=(
            "Load a Dagster code location the way Dagster does and report every rule it "
            "breaks, with the asset or resource, the source location and the fix."
        ),
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    where = parser.add_mutually_exclusive_group()
    where.add_argument(
        "-m", "--module", help=f"the module holding the definitions (default: {DEFAULT_MODULE})"
    )
    where.add_argument("-f", "--file", type=Path, help="the Python file holding the definitions")
    parser.add_argument(
        "-a", "--attribute", help="the Definitions / repository attribute, when there are several"
    )
    parser.add_argument(
        "-d",
        "--working-directory",
        type=Path,
        help="the folder imports resolve from (default: the current one)",
    )
    parser.add_argument("--format", choices=["text", "json"], default="text")
    parser.add_argument("--config", type=Path, help="a doctor.toml or pyproject.toml to read")
    parser.add_argument(
        "--no-instance",
        action="store_true",
        help="do not read run history even when DAGSTER_HOME is set",
    )
    parser.set_defaults(handler=run_doctor)


def run_doctor(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    """Run `doctor`: print the report; 0 without errors, 1 with, 2 on usage errors."""
    from event_analytics.doctor.config import ConfigError, load_config
    from event_analytics.doctor.diagnosis import diagnose
    from event_analytics.doctor.location_ref import CodeLocationRef
    from event_analytics.doctor.output import render_json, render_text

    def usage(message: str) -> int:
        print(f"{parser.prog} {args.command}: error: {message}", file=sys.stderr)
        return EXIT_USAGE

    if args.file is not None and not args.file.is_file():
        return usage(f"{args.file}: no such file")
    try:
        config = load_config(args.config, cwd=Path.cwd())
    except ConfigError as error:
        return usage(str(error))
    ref = CodeLocationRef(
        module=args.module or (None if args.file else DEFAULT_MODULE),
        file=args.file,
        attribute=args.attribute,
        working_directory=args.working_directory,
    )
    instance, why = _instance(args.no_instance)
    try:
        report = diagnose(ref, instance=instance, config=config, no_instance_why=why)
    finally:
        if instance is not None:
            instance.dispose()
    render = render_json if args.format == "json" else render_text
    sys.stdout.write(render(report))
    sys.stdout.flush()
    return report.exit_status


def _instance(disabled: bool) -> tuple[dg.DagsterInstance | None, str]:
    """The instance in $DAGSTER_HOME when there is one to read, or why not."""
    from event_analytics.doctor.diagnosis import NO_INSTANCE

    if disabled:
        return None, "no Dagster instance (--no-instance)"
    home = os.environ.get("DAGSTER_HOME")
    if not home or not Path(home).is_dir():
        return None, NO_INSTANCE
    import dagster as dg

    try:
        return dg.DagsterInstance.get(), ""
    except Exception as error:  # a bad dagster.yaml: only the run-history rule is lost
        return None, f"the instance in DAGSTER_HOME does not open: {error}"
