"""`python -m event_analytics.devserver serve|launch|land`: what the Makefile runs.

- `serve --host H --port P`: `dg dev`, supervised; once the UI answers, prints where it is and
  what is materialized; Ctrl-C or SIGTERM stops everything, runs in flight canceled.
- `launch -- ARGS`: `dg launch ARGS`, supervised the same way (the run it executes is marked
  canceled if it is stopped).
- `land --landing DIR`: a new file of events for today in the sample landing zone.

Exit status: the command's own (0 for `dg dev` stopped by Ctrl-C or SIGTERM), 128 + the signal
if it had to be killed; 1 for `land` refused or failed; 2 for a usage error.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import urllib.request
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from event_analytics.devserver.supervisor import Supervisor

if TYPE_CHECKING:  # imported when needed: Dagster costs a second the supervisor need not pay
    import dagster as dg

LOG_LEVELS = ("critical", "error", "warning", "info", "debug")


def _dg() -> str:
    """The `dg` of the interpreter running us (the project's virtualenv)."""
    beside = Path(sys.executable).with_name("dg")
    return str(beside) if beside.is_file() else "dg"


def _instance() -> dg.DagsterInstance | None:
    """The instance in DAGSTER_HOME (the Makefile sets it), or None without one."""
    if not os.environ.get("DAGSTER_HOME"):
        return None
    import dagster as dg

    return dg.DagsterInstance.get()


def _canceler(since: dt.datetime, launcher_name: str) -> Callable[[], None]:
    """What to do before interrupting the command: cancel the runs it started."""

    def cancel() -> None:
        from event_analytics.devserver.runs import Launcher, cancel_runs

        instance = _instance()
        if instance is None:
            return
        with instance:
            canceled = cancel_runs(instance, since, Launcher(launcher_name))
        if canceled:
            print(f"Canceled {len(canceled)} run(s) in flight: {', '.join(canceled)}", flush=True)

    return cancel


def _probe_host(host: str) -> str:
    """Where to reach a server bound to `host` from this machine."""
    return "127.0.0.1" if host in ("0.0.0.0", "::", "") else host


def _answers(url: str) -> Callable[[], bool]:
    def probe() -> bool:
        try:
            with urllib.request.urlopen(f"{url}/server_info", timeout=2) as response:
                return bool(response.status == 200)
        except OSError:
            return False

    return probe


def _supervise(
    supervisor: Supervisor, launcher: str, on_ready: Callable[[], None] | None = None
) -> int:
    """Run the supervised command to its end or until we are asked to stop."""
    since = dt.datetime.now(dt.UTC)
    supervisor.install_signal_handlers()
    supervisor.start()
    if on_ready is not None:
        on_ready()
    supervisor.wait_until_done()
    if supervisor.stopping:
        print("Stopping: runs in flight first, then the Dagster processes...", flush=True)
    return supervisor.stop(before_interrupt=_canceler(since, launcher))


def serve(host: str, port: int, log_level: str) -> int:
    """`dg dev` on host:port, supervised; the banner once the UI answers."""
    url = f"http://{_probe_host(host)}:{port}"
    command = [_dg(), "dev", "--host", host, "--port", str(port), "--log-level", log_level]
    supervisor = Supervisor(command)

    def announce() -> None:
        if not supervisor.wait_for(_answers(url)):
            return
        from event_analytics.devserver.banner import banner

        instance = _instance()
        if instance is None:
            print(banner(url, None), flush=True)
            return
        with instance:
            print(banner(url, instance), flush=True)

    return _supervise(supervisor, "code server", on_ready=announce)


def launch(arguments: Sequence[str]) -> int:
    """`dg launch ARGUMENTS`, supervised."""
    return _supervise(Supervisor([_dg(), "launch", *arguments]), "in process")


def land_today(landing: Path, events: int) -> int:
    from event_analytics.devserver.land import land
    from event_analytics.sample_data import RefusedDestinationError

    try:
        landed = land(landing, events)
    except (RefusedDestinationError, OSError, ValueError) as error:
        print(f"make land: error: {error}", file=sys.stderr)
        return 1
    print(
        f"Landed {landed.events} events by {landed.users} new users ({landed.purchases} "
        f"purchases, revenue {landed.revenue}) in {landed.path}.\n"
        "With `make run` or `make serve` running, within a minute: Automation > "
        "landing_zone_sensor ticks and requests raw_events for "
        f"{landed.day}; Runs shows that run, then follow_upstream_sensor's run of "
        f"cleaned_events and daily_summary; Assets > daily_summary > {landed.day} shows the "
        "new figures."
    )
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m event_analytics.devserver")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    serve_parser = commands.add_parser("serve", help="dg dev, supervised")
    serve_parser.add_argument("--host", default="127.0.0.1")
    serve_parser.add_argument("--port", type=int, default=3000)
    serve_parser.add_argument("--log-level", choices=LOG_LEVELS, default="warning")
    launch_parser = commands.add_parser("launch", help="dg launch ARGS, supervised")
    launch_parser.add_argument("arguments", nargs=argparse.REMAINDER, help="-- then dg's")
    land_parser = commands.add_parser("land", help="a new file of events for today")
    land_parser.add_argument("--landing", type=Path, default=Path("data/landing"))
    land_parser.add_argument("--events", type=int, default=500)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "serve":
        return serve(args.host, args.port, args.log_level)
    if args.command == "launch":
        arguments = list(args.arguments)
        return launch(arguments[1:] if arguments[:1] == ["--"] else arguments)
    return land_today(args.landing, args.events)


if __name__ == "__main__":
    raise SystemExit(main())
