"""Configuration mistakes: one clear message naming the setting and the fix, before any work."""

from __future__ import annotations

import ast
import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import dagster as dg
import pytest

from event_analytics.cli import main
from event_analytics.dbt.environment import dbt_environment
from event_analytics.dbt.project import DBT_EXECUTABLE, marts_project
from event_analytics.dbt.target import REFUSED_ENV, TARGET_ENV, TARGETS, MartsDbtResource
from event_analytics.landing import LandingZoneResource
from event_analytics.warehouse import WarehouseConfigError, WarehouseResource
from harness import Platform
from network import free_loopback_port
from postgres_server import PostgresServer

SECRET = "S3cret-pw-0451"
PROJECT_ROOT = Path(__file__).resolve().parents[1]


def _run_raw(platform: Platform, **resources: object) -> dg.ExecuteInProcessResult:
    return dg.materialize(
        [platform.defs.get_assets_def("raw_events")],
        resources={**platform.resources, **resources},
        partition_key="2025-01-01",
        raise_on_error=False,
    )


def _failure_message(result: dg.ExecuteInProcessResult) -> str:
    failures = [
        e for e in result.all_events if e.event_type == dg.DagsterEventType.RESOURCE_INIT_FAILURE
    ]
    assert failures, "the error must surface while the resource starts, before the step runs"
    assert not any(e.event_type == dg.DagsterEventType.STEP_START for e in result.all_events)
    return str(failures[0].event_specific_data)


@pytest.mark.parametrize(
    ("url", "fix"),
    [
        ("duckdb://no-third-slash.duckdb", "three slashes"),
        ("mysql://host/db", "duckdb:///path/to/file.duckdb"),
        (f"postgresql://analyst:{SECRET}@db.internal/events/x", "one database"),
        (f"postgresql://analyst:{SECRET}@127.0.0.1:5/events", "Start the server"),
        # {file} is a regular file: a folder cannot be made under it, even by root.
        ("duckdb:///{file}/w.duckdb", "is not a folder"),
        ("duckdb:///{missing}/w.duckdb", "does not exist"),
    ],
)
def test_bad_warehouse_url_fails_before_work_and_names_the_setting(
    platform: Platform, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, url: str, fix: str
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    url = url.replace("{file}", str(blocker)).replace("{missing}", str(tmp_path / "missing"))
    monkeypatch.setenv("WAREHOUSE_URL", url)
    result = _run_raw(platform, warehouse=WarehouseResource(url=dg.EnvVar("WAREHOUSE_URL")))
    assert not result.success
    message = _failure_message(result)
    assert "WAREHOUSE_URL" in message and fix in message
    assert SECRET not in message
    assert not platform.db_path.exists()
    assert not (tmp_path / "missing").exists()


def test_missing_landing_zone_is_an_error_not_an_empty_day(
    platform: Platform, tmp_path: Path
) -> None:
    missing = tmp_path / "not-there"
    result = _run_raw(platform, landing=LandingZoneResource(url=str(missing)))
    assert not result.success
    message = _failure_message(result)
    assert "EVENTS_LANDING_URL" in message and str(missing) in message
    assert not platform.db_path.exists()


def test_object_storage_url_is_refused_with_the_fix(platform: Platform) -> None:
    result = _run_raw(platform, landing=LandingZoneResource(url="gs://bucket/landing"))
    message = _failure_message(result)
    assert "EVENTS_LANDING_URL" in message and "local or mounted folder" in message


def test_partition_outside_the_partitions_fails_before_any_run(platform: Platform) -> None:
    with pytest.raises(dg.DagsterUnknownPartitionError, match="2019-01-01"):
        dg.materialize(
            [platform.defs.get_assets_def("raw_events")],
            resources=platform.resources,
            partition_key="2019-01-01",
        )
    assert not platform.db_path.exists()


def test_bad_start_date_stops_the_partitions_from_loading(tmp_path: Path) -> None:
    env = {**os.environ, "EVENTS_START_DATE": "01/01/2025"}
    loading = subprocess.run(
        [sys.executable, "-c", "import event_analytics.partitions"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert loading.returncode != 0
    assert "SettingError: EVENTS_START_DATE='01/01/2025': is not a date" in loading.stderr


def test_check_config_reports_every_problem(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    port = free_loopback_port()
    monkeypatch.setenv("WAREHOUSE_URL", f"postgresql://u:{SECRET}@127.0.0.1:{port}/db")
    monkeypatch.setenv("EVENTS_LANDING_URL", str(tmp_path / "nope"))
    monkeypatch.setenv("RAW_REJECTED_RATIO_MAX", "lots")
    monkeypatch.setenv("DAILY_SUMMARY_DEADLINE_UTC", "2am")
    monkeypatch.setenv("PGPASSWORD", SECRET)
    assert main(["check-config"]) == 1
    err = capsys.readouterr().err
    for setting in (
        f"WAREHOUSE_URL names PostgreSQL at 127.0.0.1:{port}",
        "EVENTS_LANDING_URL",
        "RAW_REJECTED_RATIO_MAX",
        "DAILY_SUMMARY_DEADLINE_UTC",
    ):
        assert setting in err
    assert SECRET not in err


def test_check_config_passes_on_a_working_setup(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    (tmp_path / "landing").mkdir()
    monkeypatch.setenv("WAREHOUSE_URL", f"duckdb:///{tmp_path / 'w.duckdb'}")
    monkeypatch.setenv("EVENTS_LANDING_URL", str(tmp_path / "landing"))
    assert main(["check-config"]) == 0
    assert "configuration OK" in capsys.readouterr().out


# --- the dbt target follows the warehouse ----------------------------------------------------


def _run_marts(platform: Platform, **resources: object) -> dg.ExecuteInProcessResult:
    dbt = MartsDbtResource(project_dir=marts_project, dbt_executable=DBT_EXECUTABLE)
    return dg.materialize(
        [platform.defs.get_assets_def("users")],
        resources={**platform.resources, "dbt": dbt, **resources},
        raise_on_error=False,
    )


def test_unreachable_postgres_fails_before_the_marts_start(
    platform: Platform, monkeypatch: pytest.MonkeyPatch
) -> None:
    port = free_loopback_port()
    monkeypatch.setenv("WAREHOUSE_URL", f"postgresql://analyst@127.0.0.1:{port}/events")
    monkeypatch.setenv("PGPASSWORD", SECRET)
    warehouse = WarehouseResource(url=dg.EnvVar("WAREHOUSE_URL"))
    message = _failure_message(_run_marts(platform, warehouse=warehouse))
    assert f"WAREHOUSE_URL names PostgreSQL at 127.0.0.1:{port}" in message
    assert "PGPASSWORD" in message and "Start the server" in message
    assert SECRET not in message


def test_postgres_refusing_the_login_is_named_and_the_password_never_shown(
    postgres: PostgresServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PGPASSWORD", SECRET)
    with pytest.raises(WarehouseConfigError) as refused:
        WarehouseResource(url=postgres.url()).check_configuration()
    message = str(refused.value)
    assert "password authentication failed" in message and postgres.user in message
    assert SECRET not in message
    # The same server with the right password is a working warehouse.
    WarehouseResource(url=postgres.url(with_password=True)).check_configuration()


def test_the_profile_reads_what_the_platform_sets() -> None:
    """profiles.yml has a target per warehouse backend, chosen by the variable the platform
    sets, and reads only variables the platform sets for dbt."""
    profiles = (marts_project.project_dir / "profiles.yml").read_text()
    project = marts_project.project_dir
    dbt_files = [project / "profiles.yml", project / "dbt_project.yml"]
    read = {
        name
        for path in [*dbt_files, *sorted((project / "macros").glob("*.sql"))]
        for name in re.findall(r"env_var\('([A-Z_]+)'", path.read_text())
    }
    assert f"env_var('{TARGET_ENV}', 'duckdb')" in profiles
    for target in TARGETS:
        assert f"    {target}:\n      type: {target}" in profiles
    duck = dbt_environment(WarehouseResource(url="duckdb:///data/warehouse.duckdb"))
    pg = dbt_environment(WarehouseResource(url="postgresql://u@h:5433/db"))
    spark = dbt_environment(WarehouseResource(url="spark:///srv/warehouse"))
    assert (duck[TARGET_ENV], pg[TARGET_ENV], spark[TARGET_ENV]) == ("duckdb", "postgres", "spark")
    assert read == set(duck) | set(pg) | set(spark)
    # Read by the platform before dbt starts, never by dbt (dbt.target.MartsDbtResource).
    connect = dbt_environment(WarehouseResource(url="sc://h:15002"))
    assert set(connect) == {TARGET_ENV, REFUSED_ENV}


def _top_level_imports(path: Path) -> set[str]:
    """The top-level names of every module a Python file imports (absolute imports)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text("utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def test_one_postgresql_driver_declared_and_used_everywhere() -> None:
    """psycopg (3) is declared, and the only PostgreSQL driver the project's code imports.

    psycopg2 is installed too, by dbt-postgres for dbt's own use: not the project's to import.
    """
    importers = {
        path.relative_to(PROJECT_ROOT).as_posix(): drivers
        for root in ("src", "tests")
        for path in sorted((PROJECT_ROOT / root).rglob("*.py"))
        if (drivers := _top_level_imports(path) & {"psycopg", "psycopg2"})
    }
    assert [path for path, drivers in importers.items() if "psycopg2" in drivers] == []
    assert "src/event_analytics/warehouse/postgres_backend.py" in importers  # the backend's
    pyproject = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text("utf-8"))
    declared = pyproject["project"]["dependencies"]
    assert any(re.match(r"psycopg(\[|[<>=~ ]|$)", requirement) for requirement in declared)
    everything = [*declared, *pyproject["dependency-groups"]["dev"]]
    assert [requirement for requirement in everything if "psycopg2" in requirement] == []
