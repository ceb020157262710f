"""The runs in flight when `make run` stops: canceled, the way the UI's Terminate button does.

Stopping `dg dev` does not stop its runs: a run interrupted without a termination request is
recorded as failed ("interrupted unexpectedly"), or never recorded at all when its process is
killed. So before the supervisor interrupts its command it asks Dagster to cancel the runs that
command started, and the runs end CANCELED:

- a run launched by `dg dev` (by a sensor, a schedule or the UI) runs beside the code server:
  the run coordinator sends it a termination request, as the UI does, and the supervisor waits
  for it to finish canceling;
- a run executed by `dg launch` runs in the command's own process: it is marked CANCELING, and
  the SIGINT the supervisor sends next makes Dagster record it CANCELED.

Only runs created since the supervisor started are touched: runs of another session, or a
`make materialize` in another terminal, are not this command's to stop.
"""

from __future__ import annotations

import datetime as dt
import time
from enum import Enum

import dagster as dg

# Dagster's tag naming the code server a run was launched through (the one its termination
# request goes to). Runs `dg launch` executes in its own process have none. Not public API:
# tests/test_make_run.py fails if it changes, since cancellation then stops working.
from dagster._core.storage.tags import GRPC_INFO_TAG

# Queued runs too: the daemon could dequeue one while the command stops, and a run whose
# process is interrupted without a termination request is recorded as failed.
IN_FLIGHT = [
    dg.DagsterRunStatus.QUEUED,
    dg.DagsterRunStatus.STARTING,
    dg.DagsterRunStatus.STARTED,
]
# A sensor or the daemon may start another run while the first ones cancel: sweep again until
# a sweep finds nothing new, at most this many times.
SWEEPS = 5
CANCEL_WAIT_SECONDS = 60.0
_POLL_SECONDS = 0.5


class Launcher(Enum):
    """Where the supervised command's runs execute."""

    CODE_SERVER = "code server"  # dg dev
    IN_PROCESS = "in process"  # dg launch


def runs_in_flight(
    instance: dg.DagsterInstance, since: dt.datetime, launcher: Launcher
) -> list[dg.DagsterRun]:
    """The runs created since `since` that are starting or running, launched by `launcher`."""
    runs = instance.get_runs(filters=dg.RunsFilter(statuses=IN_FLIGHT, created_after=since))
    through_server = launcher is Launcher.CODE_SERVER
    # A queued run has no code server yet: it is the daemon's, so `dg dev`'s (`dg launch`
    # executes its run at once, never through the queue).
    return [
        run
        for run in runs
        if (GRPC_INFO_TAG in run.tags or run.status == dg.DagsterRunStatus.QUEUED) == through_server
    ]


def cancel_runs(
    instance: dg.DagsterInstance,
    since: dt.datetime,
    launcher: Launcher,
    wait_seconds: float = CANCEL_WAIT_SECONDS,
) -> list[str]:
    """Cancel the command's runs in flight; return their ids.

    Runs on a code server are waited for (up to `wait_seconds`) until they are finished; a run
    in the command's own process only finishes once the command is interrupted.
    """
    message = "Canceled: the command that started this run (make run / make serve) was stopped."
    canceled: list[str] = []
    for _ in range(SWEEPS):
        runs = [r for r in runs_in_flight(instance, since, launcher) if r.run_id not in canceled]
        if not runs:
            break
        for run in runs:
            if launcher is Launcher.CODE_SERVER or run.status == dg.DagsterRunStatus.QUEUED:
                instance.run_coordinator.cancel_run(run.run_id)
            else:
                instance.report_run_canceling(run, message=message)
        canceled += [run.run_id for run in runs]
        if launcher is not Launcher.CODE_SERVER:
            break  # its runs finish only once the command is interrupted
        _wait_finished(instance, [run.run_id for run in runs], wait_seconds)
    return canceled


def _wait_finished(instance: dg.DagsterInstance, run_ids: list[str], seconds: float) -> None:
    deadline = time.monotonic() + seconds
    pending = set(run_ids)
    while pending and time.monotonic() < deadline:
        for run_id in list(pending):
            run = instance.get_run_by_id(run_id)
            if run is None or run.is_finished:
                pending.discard(run_id)
        if pending:
            time.sleep(_POLL_SECONDS)
