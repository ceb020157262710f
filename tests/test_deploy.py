"""The production deployment in `deploy/`, run for real.

`deploy/dagster.yaml` is loaded, unchanged, against a private PostgreSQL server
(tests/postgres_server.py), and the end-to-end tests start what docs/deployment.md says to
start: a code server, `dagster-daemon run` and the webserver, as separate processes sharing one
DAGSTER_HOME whose storage is that PostgreSQL server. The landing zone is in a real S3 endpoint
(moto's server, tests/s3_server.py); nobody launches anything: the landing sensor sees the day
folders, its runs load them, the automation sensor's runs build the figures, and
`analytics.daily_summary` must equal the same landing zone loaded in-process into DuckDB.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import dagster as dg
import pytest
import yaml

from event_analytics.settings import SETTINGS
from event_analytics.warehouse import WarehouseResource
from harness import TABLES, Platform
from network import free_loopback_port
from postgres_server import PostgresServer, fresh_database
from s3_server import AWS_VARIABLES, S3Bucket

PROJECT_ROOT = Path(__file__).resolve().parents[1]
DEPLOY = PROJECT_ROOT / "deploy"
BIN = Path(sys.executable).parent
SETTING_NAMES = {setting.env_var for setting in SETTINGS}
DAYS = ("2025-01-01", "2025-01-02")
FINISHED = {dg.DagsterRunStatus.SUCCESS, dg.DagsterRunStatus.FAILURE, dg.DagsterRunStatus.CANCELED}


def _env_example() -> dict[str, str]:
    text = (DEPLOY / ".env.example").read_text()
    return dict(re.findall(r"^([A-Z][A-Z0-9_]*)=(.*)$", text, flags=re.MULTILINE))


def _env_references(path: Path) -> set[str]:
    """Every `env: NAME` a Dagster YAML file reads."""
    found: set[str] = set()

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if set(node) == {"env"}:
                found.add(node["env"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(yaml.safe_load(path.read_text()))
    return found


def _instance_environment(server: PostgresServer, database: str) -> dict[str, str]:
    """The DAGSTER_PG_* variables deploy/dagster.yaml reads, for a database on `server`."""
    return {
        "DAGSTER_PG_HOST": server.host,
        "DAGSTER_PG_PORT": str(server.port),
        "DAGSTER_PG_USERNAME": server.user,
        "DAGSTER_PG_PASSWORD": server.password,
        "DAGSTER_PG_DB": database,
    }


def _dagster_home(root: Path) -> Path:
    """A DAGSTER_HOME holding deploy/dagster.yaml, copied as it is."""
    home = root / "dagster_home"
    home.mkdir(parents=True)
    shutil.copyfile(DEPLOY / "dagster.yaml", home / "dagster.yaml")
    return home


# --- the files --------------------------------------------------------------------------------


def test_the_env_example_sets_what_the_deploy_files_read_and_no_secret() -> None:
    example = _env_example()
    read = _env_references(DEPLOY / "dagster.yaml") | _env_references(DEPLOY / "workspace.yaml")
    assert read <= set(example), f"not in deploy/.env.example: {sorted(read - set(example))}"
    # Nothing but what something reads: the platform's settings, Dagster's and boto3's.
    unknown = set(example) - read - SETTING_NAMES - {"DAGSTER_HOME"} - set(AWS_VARIABLES)
    assert not unknown, f"read by nothing: {sorted(unknown)}"
    for setting in SETTINGS:
        if setting.env_var in example:
            setting.parse(example[setting.env_var])  # every example value works
    for name, value in example.items():
        secret = any(word in name for word in ("PASSWORD", "SECRET", "TOKEN", "KEY_ID"))
        by_setting = [s for s in SETTINGS if s.env_var == name and s.secret]
        if secret or (by_setting and "://" not in value):
            assert value == "", f"{name} must be left empty in an example"
        if by_setting and "://" in value:
            assert urlsplit(value).password is None, f"{name} carries a password"
    assert example["WAREHOUSE_URL"].startswith("postgresql://")
    assert example["EVENTS_LANDING_URL"].startswith("s3://")


def test_the_instance_runs_on_postgresql_with_a_queue_pools_monitoring_and_retention(
    postgres: PostgresServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from dagster._core.definitions.run_request import InstigatorType
    from dagster._core.scheduler.instigation import TickStatus

    home = _dagster_home(tmp_path)
    env = _instance_environment(postgres, fresh_database(postgres))
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with dg.DagsterInstance.from_config(str(home)) as instance:
        storages = {
            type(instance.run_storage).__name__,
            type(instance.event_log_storage).__name__,
            type(instance.schedule_storage).__name__,
        }
        assert storages == {
            "PostgresRunStorage",
            "PostgresEventLogStorage",
            "PostgresScheduleStorage",
        }
        coordinator = instance.run_coordinator
        assert type(coordinator).__name__ == "QueuedRunCoordinator"
        queue = instance.get_concurrency_config().run_queue_config
        assert queue is not None and queue.max_concurrent_runs == 4
        assert queue.tag_concurrency_limits == [
            {"key": "dagster/sensor_name", "value": "landing_zone_sensor", "limit": 2}
        ]
        assert queue.max_user_code_failure_retries == 3
        assert instance.global_op_concurrency_default_limit == 1
        assert instance.run_monitoring_enabled
        assert instance.run_monitoring_start_timeout_seconds == 300
        assert instance.run_monitoring_settings["free_slots_after_run_end_seconds"] == 300
        assert instance.run_monitoring_settings["max_runtime_seconds"] == 21600
        assert instance.run_retries_enabled and instance.run_retries_max_retries == 1
        assert instance.run_retries_retry_on_asset_or_op_failure is False
        sensor_ticks = instance.get_tick_retention_settings(InstigatorType.SENSOR)
        assert sensor_ticks[TickStatus.SKIPPED] == 7
        assert sensor_ticks[TickStatus.FAILURE] == 90
        assert not instance.telemetry_enabled
        # Every event a run or a sensor writes is stored, then announced with NOTIFY to the
        # webserver's watchers: both must work through the driver the instance uses.
        run = instance.create_run_for_job(
            dg.GraphDefinition("noop").to_job(), run_id=None, tags={"probe": "deploy"}
        )
        instance.report_engine_event("stored and announced", run)
        logged = [e.message for e in instance.all_logs(run.run_id)]
        assert "stored and announced" in logged
    # The step every deployment runs once: the pools exist, at one slot, in PostgreSQL.
    done = subprocess.run(
        [str(BIN / "event-analytics"), "prepare-instance"],
        env={**os.environ, **env, "DAGSTER_HOME": str(home)},
        capture_output=True,
        text=True,
    )
    assert (done.returncode, done.stdout) == (0, "pool 'duckdb': 1 slot(s)\n"), done.stderr


def test_the_workspace_names_one_code_server_by_its_address() -> None:
    [entry] = yaml.safe_load((DEPLOY / "workspace.yaml").read_text())["load_from"]
    assert entry == {
        "grpc_server": {
            "host": {"env": "DAGSTER_CODE_SERVER_HOST"},
            "port": {"env": "DAGSTER_CODE_SERVER_PORT"},
            "location_name": "event_analytics",
        }
    }


# --- end to end: three processes, nobody stepping in ------------------------------------------


@dataclass
class Deployment:
    """The processes of a deployment, each in a process group of its own, and their logs."""

    root: Path
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    def start(self, name: str, command: list[str], env: dict[str, str]) -> None:
        log = (self.root / f"{name}.log").open("wb")
        self.processes[name] = subprocess.Popen(
            command,
            cwd=PROJECT_ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # what it starts (servers, run workers) goes with it
        )
        log.close()

    def check_alive(self) -> None:
        for name, process in self.processes.items():
            assert process.poll() is None, f"{name} exited:\n{self.logs()}"

    def logs(self) -> str:
        return "\n".join(
            f"--- {path.name} (last lines)\n" + "\n".join(path.read_text().splitlines()[-40:])
            for path in sorted(self.root.glob("*.log"))
        )

    def stop(self) -> None:
        """Kill each process group, once: a server that already exited may have left workers."""
        while self.processes:
            _, process = self.processes.popitem()
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=60)


@pytest.fixture
def deployment(tmp_path: Path) -> Iterator[Deployment]:
    logs = tmp_path / "logs"
    logs.mkdir()
    running = Deployment(logs)
    try:
        yield running
    finally:
        running.stop()  # even when the test failed: nothing is left running


def _base_environment() -> dict[str, str]:
    """This process's environment without anything that configures the platform, Dagster's
    instance or boto3: each process gets only what docs/deployment.md says it needs."""
    return {
        name: value
        for name, value in os.environ.items()
        if name not in SETTING_NAMES
        and not name.startswith(("DAGSTER_", "AWS_", "PG"))
        and name != "DAGSTER_HOME"
    }


def _wait_until_serving(port: int, deployment: Deployment) -> None:
    deadline = time.monotonic() + 180
    while True:
        check = subprocess.run(
            [str(BIN / "dagster"), "api", "grpc-health-check", "-p", str(port)],
            capture_output=True,
        )
        if check.returncode == 0:
            return
        deployment.check_alive()
        assert time.monotonic() < deadline, f"the code server never answered:\n{deployment.logs()}"
        time.sleep(1)


@dataclass(frozen=True)
class Progress:
    runs: list[tuple[str, dict[str, str], dg.DagsterRunStatus]]
    summarized_days: set[str]

    @property
    def finished(self) -> bool:
        return bool(self.runs) and all(status in FINISHED for _, _, status in self.runs)


def _progress(home: Path) -> Progress:
    with dg.DagsterInstance.from_config(str(home)) as instance:
        runs = [(r.run_id, dict(r.tags), r.status) for r in instance.get_runs()]
        days = set()
        for day in DAYS:
            records = instance.fetch_materializations(
                dg.AssetRecordsFilter(
                    asset_key=dg.AssetKey("daily_summary"), asset_partitions=[day]
                ),
                limit=1,
            ).records
            if records:
                days.add(day)
    return Progress(runs, days)


def _wait_for(
    home: Path, deployment: Deployment, done: Callable[[Progress], bool], seconds: float = 600
) -> Progress:
    deadline = time.monotonic() + seconds
    while True:
        progress = _progress(home)
        if done(progress):
            return progress
        deployment.check_alive()
        assert time.monotonic() < deadline, (
            f"gave up waiting; runs so far: {progress.runs}\n{deployment.logs()}"
        )
        time.sleep(2)


def _read(url: str, sql: str) -> list[dict[str, Any]]:
    with WarehouseResource(url=url).connect(read_only=True) as session:
        return session.fetch_arrow(sql).to_pylist()


def _snapshot(url: str) -> dict[str, list[str]]:
    """Every platform table as sorted rows (their repr), for comparing two warehouses."""
    snapshot = {}
    for table in TABLES:
        # Table names are the harness's constants, never input.
        rows = _read(url, f"SELECT * FROM {table}")  # noqa: S608
        snapshot[table] = sorted(repr(row) for row in rows)
    return snapshot


SUMMARY = "SELECT * FROM analytics.daily_summary ORDER BY date"


def run_the_deployment(
    deployment: Deployment,
    postgres: PostgresServer,
    s3: S3Bucket,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    warehouse: dict[str, str],
    with_webserver: bool = False,
) -> tuple[Platform, Progress]:
    """Start the deployment on a landing zone in S3 and wait until the figures are built.

    Returns the same landing zone loaded in-process into DuckDB, and what the instance saw.
    """
    local = Platform(tmp_path / "local")
    local.generate(dt.date.fromisoformat(DAYS[0]), days=len(DAYS), events_per_day=300, seed=23)
    s3.upload_folder(local.landing_root, "zone")  # local files get the objects' times
    assert local.materialize(partition_range=(DAYS[0], DAYS[-1])).success

    home = _dagster_home(tmp_path)
    instance_env = _instance_environment(postgres, fresh_database(postgres))
    for name, value in instance_env.items():
        monkeypatch.setenv(name, value)  # so this test can read the instance too
    code_port = free_loopback_port()
    base = _base_environment()
    # The webserver and the daemon: the instance and the code server's address, nothing else.
    dagster_env = {
        **base,
        **instance_env,
        "DAGSTER_HOME": str(home),
        "DAGSTER_CODE_SERVER_HOST": "127.0.0.1",
        "DAGSTER_CODE_SERVER_PORT": str(code_port),
    }
    # The code server evaluates the sensors and launches the runs: it needs the platform's
    # settings and the AWS variables too.
    aws = {name: value for name, value in os.environ.items() if name.startswith("AWS_")}
    code_env = {
        **dagster_env,
        **aws,
        **warehouse,
        "EVENTS_LANDING_URL": s3.url("zone"),
    }
    prepared = subprocess.run(
        [str(BIN / "event-analytics"), "prepare-instance"], env=dagster_env, capture_output=True
    )
    assert prepared.returncode == 0, prepared.stderr
    deployment.start(
        "code-server",
        [
            str(BIN / "dagster"),
            "code-server",
            "start",
            "-m",
            "event_analytics.definitions",
            "-h",
            "127.0.0.1",
            "-p",
            str(code_port),
            "--location-name",
            "event_analytics",
        ],
        code_env,
    )
    _wait_until_serving(code_port, deployment)
    workspace = ["-w", str(DEPLOY / "workspace.yaml")]
    deployment.start("daemon", [str(BIN / "dagster-daemon"), "run", *workspace], dagster_env)
    web_port = free_loopback_port()
    if with_webserver:
        deployment.start(
            "webserver",
            [str(BIN / "dagster-webserver"), *workspace, "-h", "127.0.0.1", "-p", str(web_port)],
            dagster_env,
        )
    progress = _wait_for(home, deployment, lambda p: p.summarized_days == set(DAYS) and p.finished)
    if with_webserver:
        _check_the_webserver_sees_the_runs(web_port, progress, deployment)
    return local, progress


def _check_the_webserver_sees_the_runs(
    port: int, progress: Progress, deployment: Deployment
) -> None:
    query = (
        "{ runsOrError { ... on Runs { results { runId status } } } "
        "workspaceOrError { ... on Workspace { locationEntries { name loadStatus } } } }"
    )
    deadline = time.monotonic() + 120
    while True:
        try:
            request = urllib.request.Request(
                f"http://127.0.0.1:{port}/graphql",
                data=json.dumps({"query": query}).encode(),
                headers={"Content-Type": "application/json"},
            )
            with urllib.request.urlopen(request, timeout=10) as answer:
                data = json.load(answer)["data"]
            break
        except OSError:
            deployment.check_alive()
            assert time.monotonic() < deadline, f"no webserver:\n{deployment.logs()}"
            time.sleep(1)
    [location] = data["workspaceOrError"]["locationEntries"]
    assert (location["name"], location["loadStatus"]) == ("event_analytics", "LOADED")
    shown = {run["runId"] for run in data["runsOrError"]["results"]}
    assert shown == {run_id for run_id, _, _ in progress.runs}


def _check_the_runs(progress: Progress) -> None:
    """The landing sensor loaded each day once, the automation sensor built the figures, and
    every run succeeded."""
    assert all(status == dg.DagsterRunStatus.SUCCESS for _, _, status in progress.runs), (
        progress.runs
    )
    loads = [
        tags
        for _, tags, _ in progress.runs
        if tags.get("dagster/sensor_name") == "landing_zone_sensor"
    ]
    assert sorted(tags["dagster/partition"] for tags in loads) == sorted(DAYS)
    # The deadline schedule (every 15 minutes) may tick while the test runs: its run checks
    # yesterday's figures and builds nothing.
    followers = [
        tags
        for _, tags, _ in progress.runs
        if tags not in loads and tags.get("dagster/schedule_name") != "partition_deadline_schedule"
    ]
    assert followers and all(
        tags.get("dagster/sensor_name") == "follow_upstream_sensor" for tags in followers
    )


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_the_daemon_on_a_postgresql_instance_loads_an_s3_landing_zone_into_duckdb(
    deployment: Deployment,
    postgres: PostgresServer,
    s3: S3Bucket,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    disk = tmp_path / "disk"
    disk.mkdir()
    url = f"duckdb:///{disk / 'warehouse.duckdb'}"
    local, progress = run_the_deployment(
        deployment,
        postgres,
        s3,
        tmp_path,
        monkeypatch,
        {"WAREHOUSE_URL": url},
        with_webserver=True,
    )
    deployment.stop()  # the file is read once nobody writes it
    _check_the_runs(progress)
    local_url = f"duckdb:///{local.db_path}"
    assert _read(url, SUMMARY) == _read(local_url, SUMMARY)
    assert len(_read(url, SUMMARY)) == len(DAYS)
    assert _snapshot(url) == _snapshot(local_url)  # every table, down to the files' times


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_the_daemon_on_a_postgresql_instance_loads_an_s3_landing_zone_into_postgresql(
    deployment: Deployment,
    postgres: PostgresServer,
    s3: S3Bucket,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Instance and warehouse on the same server, in databases of their own; the warehouse's
    password comes from PGPASSWORD, as deploy/.env.example has it."""
    url = postgres.url(fresh_database(postgres))
    local, progress = run_the_deployment(
        deployment,
        postgres,
        s3,
        tmp_path,
        monkeypatch,
        {"WAREHOUSE_URL": url, "PGPASSWORD": postgres.password},
    )
    deployment.stop()
    _check_the_runs(progress)
    monkeypatch.setenv("PGPASSWORD", postgres.password)
    figures = _read(url, SUMMARY)
    assert figures == _read(f"duckdb:///{local.db_path}", SUMMARY)
    assert len(figures) == len(DAYS) and all(row["events"] > 0 for row in figures)
