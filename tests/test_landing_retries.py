"""A day whose load failed is requested again by the landing sensor, a bounded number of times.

Every run here is real: the sensor's requests are executed with the tags the sensor daemon
gives them (`dagster/run_key` included) against a real SQLite instance in tmp_path and a real
DuckDB file. The failure is real too: the warehouse's folder is a regular file (a disk that is
not mounted, say), so the run fails when the warehouse resource starts; removing that file is
"the failure removed".
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import dagster as dg
import pytest
from dagster._core.utils import make_new_run_id

from event_analytics.automation.landing_cursor import LandingCursor
from event_analytics.automation.load_retries import (
    LOAD_ATTEMPT_TAG,
    RETRY_OF_TAG,
    LoadRequest,
    LoadRetryPolicy,
    NextStep,
    RunOutcome,
    Verdict,
    next_step,
)
from event_analytics.defs.automation.landing_sensor import landing_zone_sensor
from event_analytics.landing import LandingZoneResource
from event_analytics.warehouse import WarehouseResource
from harness import Platform

DAY = "2025-01-03"
LINE = '{"event_id":"%s","user_id":"u1","event_type":"page_view","occurred_at":"%sT10:00:00Z"}\n'
ATTEMPT = "event_analytics/load_attempt"
RETRY_OF = "event_analytics/retry_of"


class Disk:
    """The warehouse's folder, which can be broken (a regular file in its place) and fixed."""

    def __init__(self, root: Path) -> None:
        self.folder = root / "disk"
        self.warehouse = WarehouseResource(url=f"duckdb:///{self.folder / 'warehouse.duckdb'}")

    def break_(self) -> None:
        self.folder.rename(self.folder.with_name("disk-unmounted"))
        self.folder.write_text("not a folder")

    def fix(self) -> None:
        self.folder.unlink()
        self.folder.with_name("disk-unmounted").rename(self.folder)


class Loads:
    """The landing sensor ticked from its serialized cursor, and its requests run for real."""

    def __init__(self, platform: Platform, instance: dg.DagsterInstance, disk: Disk) -> None:
        self.platform, self.instance, self.disk = platform, instance, disk
        self.cursor: str | None = None

    def tick(self) -> list[dg.RunRequest]:
        context = dg.build_sensor_context(
            cursor=self.cursor,
            instance=self.instance,
            resources={"landing": LandingZoneResource(url=str(self.platform.landing_root))},
        )
        result = landing_zone_sensor(context)
        assert isinstance(result, dg.SensorResult)
        self.cursor = result.cursor
        return list(result.run_requests or [])

    def run(self, request: dg.RunRequest) -> dg.ExecuteInProcessResult:
        """The request as the sensor daemon launches it: its partition, its tags, its run key."""
        assert request.run_key
        return dg.materialize(
            [self.platform.defs.get_assets_def("raw_events")],
            resources={**self.platform.resources, "warehouse": self.disk.warehouse},
            partition_key=request.partition_key,
            tags={**request.tags, "dagster/run_key": request.run_key},
            instance=self.instance,
            raise_on_error=False,
        )

    def fail(self, request: dg.RunRequest) -> str:
        """Run the request on a broken disk; the failed run's id."""
        self.disk.break_()
        try:
            result = self.run(request)
        finally:
            self.disk.fix()
        assert not result.success
        return result.run_id

    def rows(self) -> int:
        with self.disk.warehouse.connect(read_only=True) as connection:
            [row] = connection.fetch_dicts("SELECT count(*) AS n FROM raw.events")
        return int(row["n"])


@pytest.fixture
def instance(tmp_path: Path) -> Iterator[dg.DagsterInstance]:
    """A real instance with SQLite storage in tmp_path, as `dagster_home/` is."""
    home = tmp_path / "dagster_home"
    home.mkdir()
    with dg.DagsterInstance.local_temp(tempdir=str(home)) as local:
        yield local


@pytest.fixture
def loads(platform: Platform, instance: dg.DagsterInstance, tmp_path: Path) -> Loads:
    disk = Disk(tmp_path)
    disk.folder.mkdir()
    return Loads(platform, instance, disk)


@pytest.fixture
def one_day(write_day: Callable[[str, str, bytes | str], Path]) -> Path:
    return write_day(DAY, "a.jsonl", LINE % ("e1", DAY))


def _only(requests: list[dg.RunRequest]) -> dg.RunRequest:
    assert [r.partition_key for r in requests] == [DAY]
    return requests[0]


def test_a_failed_load_is_retried_and_the_day_ends_up_loaded(
    loads: Loads,
    one_day: Path,
    monkeypatch: pytest.MonkeyPatch,
    capfd: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("LANDING_RETRY_BASE_SECONDS", "0")
    first = _only(loads.tick())
    failed_run = loads.fail(first)

    capfd.readouterr()
    retry = _only(loads.tick())
    assert first.tags[ATTEMPT] == "1"
    assert retry.run_key != first.run_key
    assert retry.tags[ATTEMPT] == "2"
    assert retry.tags[RETRY_OF] == failed_run
    logged = capfd.readouterr().err  # the sensor's log (the tick's log in the UI)
    assert f"attempt 2 of 4 for {DAY}" in logged
    assert failed_run in logged
    assert "2 attempts left" in logged

    assert loads.run(retry).success
    assert loads.rows() == 1
    assert loads.tick() == []
    assert loads.tick() == []


def test_retries_stop_at_the_maximum_and_the_give_up_is_logged_once(
    loads: Loads,
    one_day: Path,
    monkeypatch: pytest.MonkeyPatch,
    capfd: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("LANDING_RETRY_BASE_SECONDS", "0")
    monkeypatch.setenv("LANDING_LOAD_MAX_ATTEMPTS", "3")
    attempts, failed_runs = [], []
    for _ in range(3):
        request = _only(loads.tick())
        attempts.append(request.tags.get(ATTEMPT))
        failed_runs.append(loads.fail(request))
    assert attempts == ["1", "2", "3"]

    capfd.readouterr()
    assert loads.tick() == []
    logged = capfd.readouterr().err
    assert f"{DAY} failed 3 times" in logged
    assert failed_runs[-1] in logged
    assert "until its landing folder changes" in logged
    assert loads.tick() == []
    assert "failed 3 times" not in capfd.readouterr().err  # said once, not every tick


def test_the_retry_waits_for_the_delay(
    loads: Loads, one_day: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LANDING_RETRY_BASE_SECONDS", "3600")
    loads.fail(_only(loads.tick()))
    assert loads.tick() == []  # an hour has not passed since the run failed
    monkeypatch.setenv("LANDING_RETRY_BASE_SECONDS", "0")
    assert _only(loads.tick()).tags[ATTEMPT] == "2"


def test_a_changed_folder_starts_again_at_attempt_one(
    loads: Loads,
    one_day: Path,
    write_day: Callable[[str, str, bytes | str], Path],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("LANDING_RETRY_BASE_SECONDS", "0")
    monkeypatch.setenv("LANDING_LOAD_MAX_ATTEMPTS", "2")
    loads.fail(_only(loads.tick()))
    loads.fail(_only(loads.tick()))
    assert loads.tick() == []  # given up

    write_day(DAY, "late.jsonl", LINE % ("e2", DAY))
    fresh = _only(loads.tick())
    assert fresh.tags[ATTEMPT] == "1"
    assert RETRY_OF not in fresh.tags
    loads.fail(fresh)
    retry = _only(loads.tick())
    assert retry.tags[ATTEMPT] == "2"
    assert loads.run(retry).success
    assert loads.rows() == 2


@pytest.mark.parametrize("status", [dg.DagsterRunStatus.NOT_STARTED, dg.DagsterRunStatus.STARTED])
def test_a_run_not_finished_yet_is_waited_for(
    loads: Loads, one_day: Path, monkeypatch: pytest.MonkeyPatch, status: dg.DagsterRunStatus
) -> None:
    monkeypatch.setenv("LANDING_RETRY_BASE_SECONDS", "0")
    first = _only(loads.tick())
    # The request's run in the run history, created but not launched yet, or running.
    loads.instance.add_run(
        dg.DagsterRun(
            job_name="__ASSET_JOB",
            run_id=make_new_run_id(),
            status=status,
            tags={**first.tags, "dagster/run_key": first.run_key or "", "dagster/partition": DAY},
        )
    )
    assert loads.tick() == []
    assert loads.tick() == []


def test_a_cursor_written_before_retries_existed_still_retries_its_failed_day(
    loads: Loads, one_day: Path, platform: Platform, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Today's cursors are `{day: digest}` with run keys `day:digest`: such a day whose run
    failed was stuck for good; now it is retried as attempt 2."""
    monkeypatch.setenv("LANDING_RETRY_BASE_SECONDS", "0")
    digest = LandingZoneResource(url=str(platform.landing_root)).digest(dt.date.fromisoformat(DAY))
    old_request = dg.RunRequest(partition_key=DAY, run_key=f"{DAY}:{digest}")
    failed_run = loads.fail(old_request)
    loads.cursor = json.dumps({DAY: digest})

    retry = _only(loads.tick())
    assert retry.tags[ATTEMPT] == "2"
    assert retry.tags[RETRY_OF] == failed_run
    assert loads.run(retry).success
    assert loads.tick() == []


def test_an_unreadable_cursor_starts_afresh_from_run_history(
    loads: Loads, one_day: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    assert loads.run(_only(loads.tick())).success
    loads.cursor = "not json"
    assert loads.tick() == []  # loaded as it is: run history says so
    assert "Starting from an empty cursor" in capfd.readouterr().err


# Which texts each setting accepts is tested with the other settings (tests/test_settings.py);
# here: a bad one is an error tick that names it, never a sensor quietly not retrying.
@pytest.mark.parametrize(
    ("variable", "value"),
    [("LANDING_LOAD_MAX_ATTEMPTS", "0"), ("LANDING_RETRY_BASE_SECONDS", "-1")],
)
def test_a_bad_retry_setting_fails_the_tick_naming_the_variable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, variable: str, value: str
) -> None:
    monkeypatch.setenv(variable, value)
    context = dg.build_sensor_context(
        instance=dg.DagsterInstance.ephemeral(),
        resources={"landing": LandingZoneResource(url=str(tmp_path))},
    )
    with pytest.raises(ValueError, match=f"{variable}='{value}'"):
        landing_zone_sensor(context)


# --- the pure parts -------------------------------------------------------------------------


def test_settings_defaults_and_values(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LANDING_LOAD_MAX_ATTEMPTS", raising=False)
    monkeypatch.delenv("LANDING_RETRY_BASE_SECONDS", raising=False)
    assert LoadRetryPolicy.from_settings() == LoadRetryPolicy(max_attempts=4, base_seconds=60.0)
    monkeypatch.setenv("LANDING_LOAD_MAX_ATTEMPTS", "1")
    monkeypatch.setenv("LANDING_RETRY_BASE_SECONDS", "0.5")
    assert LoadRetryPolicy.from_settings() == LoadRetryPolicy(max_attempts=1, base_seconds=0.5)


def test_the_delay_doubles_after_each_failure_up_to_an_hour() -> None:
    policy = LoadRetryPolicy(max_attempts=50, base_seconds=60)
    assert [policy.delay_after(n) for n in (1, 2, 3, 4)] == [60, 120, 240, 480]
    assert policy.delay_after(7) == 3600  # 60 x 64 would be 3840
    assert policy.delay_after(49) == 3600
    assert LoadRetryPolicy(max_attempts=4, base_seconds=0).delay_after(3) == 0
    # A base longer than the cap is kept, never shortened.
    assert LoadRetryPolicy(max_attempts=4, base_seconds=7200).delay_after(2) == 7200


POLICY = LoadRetryPolicy(max_attempts=3, base_seconds=100)
REQUESTED = LoadRequest.first(DAY, "abc", now=1000.0)


def _outcome(status: dg.DagsterRunStatus, ended_at: float | None = 2000.0) -> RunOutcome:
    return RunOutcome("run-1", status, ended_at)


@pytest.mark.parametrize(
    "status",
    [
        dg.DagsterRunStatus.QUEUED,
        dg.DagsterRunStatus.NOT_STARTED,
        dg.DagsterRunStatus.STARTING,
        dg.DagsterRunStatus.STARTED,
        dg.DagsterRunStatus.CANCELING,
    ],
)
def test_a_run_not_finished_is_waited_for_however_long_it_takes(
    status: dg.DagsterRunStatus,
) -> None:
    step = next_step(REQUESTED, _outcome(status, None), now=10**9, policy=POLICY)
    assert step.verdict is Verdict.WAIT


def test_a_succeeded_run_settles_the_request() -> None:
    step = next_step(REQUESTED, _outcome(dg.DagsterRunStatus.SUCCESS), now=2001, policy=POLICY)
    assert step.verdict is Verdict.SUCCEEDED


@pytest.mark.parametrize("status", [dg.DagsterRunStatus.FAILURE, dg.DagsterRunStatus.CANCELED])
def test_a_failed_or_canceled_run_is_retried_once_the_delay_has_passed(
    status: dg.DagsterRunStatus,
) -> None:
    run = _outcome(status)
    assert next_step(REQUESTED, run, now=2099, policy=POLICY).verdict is Verdict.WAIT
    step = next_step(REQUESTED, run, now=2100, policy=POLICY)
    assert step == NextStep(Verdict.RETRY, f"run run-1 ended {status.value}", "run-1")
    second = REQUESTED.retry(DAY, now=2100)
    assert (second.attempt, second.run_key) == (2, f"{DAY}:abc:attempt-2")
    assert second.tags("run-1") == {LOAD_ATTEMPT_TAG: "2", RETRY_OF_TAG: "run-1"}
    # The second failure waits twice as long.
    assert next_step(second, run, now=2199, policy=POLICY).verdict is Verdict.WAIT
    assert next_step(second, run, now=2200, policy=POLICY).verdict is Verdict.RETRY


def test_the_last_failed_attempt_gives_up_and_then_stays_given_up() -> None:
    third = REQUESTED.retry(DAY, 0).retry(DAY, 0)
    failed = _outcome(dg.DagsterRunStatus.FAILURE)
    step = next_step(third, failed, now=10**9, policy=POLICY)
    assert (step.verdict, step.failed_run_id) == (Verdict.GIVE_UP, "run-1")
    given_up = dataclasses.replace(third, given_up=True)
    assert next_step(given_up, failed, now=10**9, policy=POLICY).verdict is Verdict.GIVEN_UP


def test_a_request_whose_run_is_gone_is_a_lost_attempt() -> None:
    assert next_step(REQUESTED, None, now=1099, policy=POLICY).verdict is Verdict.WAIT
    step = next_step(REQUESTED, None, now=1100, policy=POLICY)
    assert (step.verdict, step.failed_run_id) == (Verdict.RETRY, None)
    assert "not in the run history" in step.why


def test_a_failed_run_without_an_end_time_counts_from_the_request() -> None:
    failed = _outcome(dg.DagsterRunStatus.FAILURE, ended_at=None)
    assert next_step(REQUESTED, failed, now=1100, policy=POLICY).verdict is Verdict.RETRY


def test_the_cursor_round_trips_and_reads_the_format_before_retries() -> None:
    cursor = LandingCursor()
    cursor.settle("2025-01-01", "d1")
    cursor.record(DAY, REQUESTED.retry(DAY, 1500.5))
    assert LandingCursor.from_json(cursor.to_json()) == cursor

    old = LandingCursor.from_json(json.dumps({"2025-01-01": "d1", DAY: "abc"}))
    assert old.settled == {}
    assert old.requests == {
        "2025-01-01": LoadRequest("d1", 1, "2025-01-01:d1", 0.0),
        DAY: LoadRequest("abc", 1, f"{DAY}:abc", 0.0),
    }
    assert LandingCursor.from_json(None) == LandingCursor()


@pytest.mark.parametrize("text", ["not json", "[1, 2]", '{"2025-01-01": 3}', '{"version": 2}'])
def test_a_cursor_this_sensor_did_not_write_is_refused(text: str) -> None:
    with pytest.raises(ValueError, match="not a landing sensor cursor"):
        LandingCursor.from_json(text)


# --- end to end: Dagster's own daemon -------------------------------------------------------

PROJECT_ROOT = Path(__file__).resolve().parents[1]


def _load_runs(home: Path) -> list[tuple[str, dict[str, str], dg.DagsterRunStatus]]:
    """(run id, tags, status) of every raw_events load the daemon launched, oldest first."""
    with dg.DagsterInstance.from_config(str(home)) as instance:
        runs = instance.get_runs(dg.RunsFilter(tags={"dagster/sensor_name": "landing_zone_sensor"}))
        return [(r.run_id, dict(r.tags), r.status) for r in reversed(runs)]


@pytest.mark.slow
def test_the_daemon_retries_a_failed_load_without_anyone_stepping_in(
    platform: Platform, write_day: Callable[[str, str, bytes | str], Path], tmp_path: Path
) -> None:
    """A fresh DAGSTER_HOME, `dagster-daemon run` and nothing else: the sensor starts RUNNING,
    its first load fails (the warehouse's disk is missing), the disk comes back, and the
    daemon's next tick loads the day."""
    home = tmp_path / "dagster_home"
    home.mkdir()
    (home / "dagster.yaml").write_text((PROJECT_ROOT / "dagster_home" / "dagster.yaml").read_text())
    write_day(DAY, "a.jsonl", LINE % ("e1", DAY) + LINE % ("e2", DAY))
    disk = Disk(tmp_path)
    disk.folder.mkdir()
    disk.break_()
    bin_dir = Path(sys.executable).parent
    env = {
        **os.environ,
        "DAGSTER_HOME": str(home),
        "WAREHOUSE_URL": disk.warehouse.url,
        "EVENTS_LANDING_URL": str(platform.landing_root),
        "LANDING_RETRY_BASE_SECONDS": "0",
        "PATH": f"{bin_dir}:{os.environ.get('PATH', '')}",
    }
    subprocess.run([str(bin_dir / "event-analytics"), "prepare-instance"], env=env, check=True)
    with (tmp_path / "daemon.log").open("w") as log:
        daemon = subprocess.Popen(
            [str(bin_dir / "dagster-daemon"), "run", "-w", "workspace.yaml"],
            cwd=PROJECT_ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its code server and run workers go with it
        )
    try:
        runs = _wait_for(home, daemon, lambda runs: runs and runs[0][2] == FAILURE)
        disk.fix()  # nobody re-runs anything: the disk is back, that is all
        runs = _wait_for(home, daemon, lambda runs: any(r[2] == SUCCESS for r in runs))
    finally:
        os.killpg(daemon.pid, signal.SIGKILL)
        daemon.wait(timeout=60)
    first, *retries = runs
    assert first[1][ATTEMPT] == "1"
    [retry] = [r for r in retries if r[2] == SUCCESS]
    assert retry[1][RETRY_OF] in {r[0] for r in runs if r[2] == FAILURE}
    assert int(retry[1][ATTEMPT]) >= 2
    assert retry[1]["dagster/partition"] == DAY
    assert loads_rows(disk) == 2


FAILURE, SUCCESS = dg.DagsterRunStatus.FAILURE, dg.DagsterRunStatus.SUCCESS
Runs = list[tuple[str, dict[str, str], dg.DagsterRunStatus]]


def _wait_for(home: Path, daemon: subprocess.Popen[bytes], done: Callable[[Runs], object]) -> Runs:
    deadline = time.monotonic() + 240
    while True:
        runs = _load_runs(home)
        if done(runs):
            return runs
        assert daemon.poll() is None, "the daemon exited"
        assert time.monotonic() < deadline, f"gave up waiting; runs so far: {runs}"
        time.sleep(0.5)


def loads_rows(disk: Disk) -> int:
    with disk.warehouse.connect(read_only=True) as connection:
        [row] = connection.fetch_dicts("SELECT count(*) AS n FROM raw.events")
    return int(row["n"])
