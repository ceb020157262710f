"""`make run` as a new user meets it: green, live, and gone when stopped.

Each test runs the real targets in a copy of the checkout with its own state
(`make_project.py`): the sample, `dg launch`, `dg dev` with its webserver, daemon and code
server, and asks the running UI (GraphQL) and the instance what a user would see.
"""

from __future__ import annotations

import json
import signal
import time
import urllib.request
from pathlib import Path
from typing import Any

import dagster as dg
import duckdb
import pytest

from make_project import make, project_copy, served, today
from network import free_loopback_port

pytestmark = [pytest.mark.slow, pytest.mark.timeout(1800)]

SMALL_SAMPLE = ("SAMPLE_DAYS=3", "SAMPLE_EVENTS=2000")
PYTHON_TRACEBACK = "Traceback (most recent call last)"


def _graphql(url: str, query: str) -> dict[str, Any]:
    request = urllib.request.Request(
        f"{url}/graphql",
        data=json.dumps({"query": query}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        answer: dict[str, Any] = json.loads(response.read())
    assert "errors" not in answer, answer
    return answer["data"]


_CHECKS_AND_FRESHNESS = """
{ assetNodes { assetKey { path }
    freshnessStatusInfo { freshnessStatus }
    assetChecksOrError { ... on AssetChecks { checks { name
      executionForLatestMaterialization { status evaluation { success } } } } } } }
"""
_LANDING_TICKS = """
{ sensorOrError(sensorSelector: {repositoryLocationName: "event_analytics",
    repositoryName: "__repository__", sensorName: "landing_zone_sensor"}) {
  ... on Sensor { sensorState { ticks(limit: 20) { status runIds } } } } }
"""


def _checks(url: str) -> dict[str, str]:
    """Every asset check's latest execution, as the asset pages show it."""
    statuses = {}
    for node in _graphql(url, _CHECKS_AND_FRESHNESS)["assetNodes"]:
        asset = "/".join(node["assetKey"]["path"])
        for check in node["assetChecksOrError"]["checks"]:
            execution = check["executionForLatestMaterialization"]
            statuses[f"{asset}:{check['name']}"] = execution["status"] if execution else "NONE"
    return statuses


def _freshness(url: str) -> dict[str, str]:
    return {
        "/".join(node["assetKey"]["path"]): node["freshnessStatusInfo"]["freshnessStatus"]
        for node in _graphql(url, _CHECKS_AND_FRESHNESS)["assetNodes"]
        if node["freshnessStatusInfo"] is not None
    }


def _eventually(probe: Any, seconds: float, what: str) -> Any:
    deadline = time.monotonic() + seconds
    while True:
        value = probe()
        if value:
            return value
        assert time.monotonic() < deadline, f"gave up waiting for {what}"
        time.sleep(2)


def _runs(project: Path) -> list[dg.DagsterRun]:
    with dg.DagsterInstance.from_config(str(project / "dagster_home")) as instance:
        return list(instance.get_runs())


def test_make_run_twice_is_green_and_live_and_a_background_sigterm_stops_it_all(
    tmp_path: Path,
) -> None:
    project = project_copy(tmp_path / "checkout")
    port = free_loopback_port()
    make(project, "sample", "materialize", *SMALL_SAMPLE)  # a first `make run`, up to serving

    with served(project, "run", f"PORT={port}", *SMALL_SAMPLE, background=True) as job:
        url = job.wait_for_ui(port)
        # It says where to look and what was materialized: the sample ends today.
        first_day = today().toordinal() - 2
        span = f"{today().fromordinal(first_day)} .. {today()} (3 days): "
        _eventually(lambda: span in job.output, 120, "the banner")
        assert f"Dagster UI: http://127.0.0.1:{port}" in job.output
        days_line = next(line for line in job.output.splitlines() if span in line)
        for asset in ("raw_events", "cleaned_events", "daily_summary", "sessions"):
            assert asset in days_line

        # Every check is green, the deadline check (yesterday's daily_summary) included...
        checks = _checks(url)
        assert "daily_summary:partition_deadline" in checks
        assert {name: s for name, s in checks.items() if s != "SUCCEEDED"} == {}
        # ...every SLA passes once the freshness daemon has looked...
        freshness = _eventually(
            lambda: (f := _freshness(url)) and "UNKNOWN" not in f.values() and f,
            180,
            "the freshness daemon",
        )
        assert freshness["raw_events"] == freshness["daily_summary"] == "HEALTHY", freshness
        # ...and the landing sensor, which ticked, finds nothing to load: the regenerated days
        # were loaded once by this `make run`'s materialize, and are not loaded again.
        ticks = _eventually(
            lambda: _graphql(url, _LANDING_TICKS)["sensorOrError"]["sensorState"]["ticks"],
            120,
            "a landing_zone_sensor tick",
        )
        assert [tick["runIds"] for tick in ticks] == [[]] * len(ticks)

        # `make run &` then `kill -TERM -PGID`: SIGINT is ignored there, SIGTERM stops it all.
        job.signal_group(signal.SIGTERM)
        job.wait_stopped()
        assert job.left_running() == []

    runs = _runs(project)
    assert [r for r in runs if "dagster/sensor_name" in r.tags] == []
    materialize_runs = [r for r in runs if "dagster/schedule_name" not in r.tags]
    assert len(materialize_runs) == 4, "two runs per make materialize, nothing else"
    assert all(r.status == dg.DagsterRunStatus.SUCCESS for r in runs)
    output = job.output
    assert PYTHON_TRACEBACK not in output
    assert "\x1b[" not in output, "colour codes in output that is not a terminal"
    assert "superseded" not in output.lower()
    assert "Warning" not in output, "a warning on a plain make run"


def test_ctrl_c_on_make_serve_cancels_the_runs_in_flight_and_stops_everything(
    tmp_path: Path,
) -> None:
    project = project_copy(tmp_path / "checkout")
    port = free_loopback_port()
    make(project, "sample", "SAMPLE_DAYS=2", "SAMPLE_EVENTS=500")
    # Another program holds the warehouse: the loads the landing sensor requests stay in
    # flight, waiting for the lock, until they are canceled.
    holder = duckdb.connect(str(project / "data" / "warehouse.duckdb"))
    try:
        with served(project, "serve", f"PORT={port}") as job:
            job.wait_for_ui(port)
            in_flight = _eventually(
                lambda: [r for r in _runs(project) if r.status == dg.DagsterRunStatus.STARTED],
                300,
                "a run in flight",
            )
            job.signal_group(signal.SIGINT)  # Ctrl-C in the terminal
            job.wait_stopped()
            assert job.left_running() == []
    finally:
        holder.close()

    statuses = {run.run_id: run.status for run in _runs(project)}
    for run in in_flight:
        assert statuses[run.run_id] == dg.DagsterRunStatus.CANCELED, statuses
    assert dg.DagsterRunStatus.FAILURE not in statuses.values()
    assert dg.DagsterRunStatus.STARTED not in statuses.values()
    assert PYTHON_TRACEBACK not in job.output


def test_sigterm_during_make_materialize_in_the_background_cancels_its_run(
    tmp_path: Path,
) -> None:
    project = project_copy(tmp_path / "checkout")
    make(project, "sample", "SAMPLE_DAYS=1", "SAMPLE_EVENTS=500")
    holder = duckdb.connect(str(project / "data" / "warehouse.duckdb"))  # the run waits
    try:
        with served(project, "materialize", "SAMPLE_DAYS=1", background=True) as job:
            _eventually(
                lambda: [r for r in _runs(project) if r.status == dg.DagsterRunStatus.STARTED],
                300,
                "the range run in flight",
            )
            job.signal_group(signal.SIGTERM)
            assert job.wait_stopped() != 0  # make reports it was stopped
            assert job.left_running() == []
    finally:
        holder.close()

    assert [run.status for run in _runs(project)] == [dg.DagsterRunStatus.CANCELED]
    assert PYTHON_TRACEBACK not in job.output
