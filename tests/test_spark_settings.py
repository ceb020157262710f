"""Spark's settings: `WAREHOUSE_URL` names a local session, a cluster or Spark Connect; the
`SPARK_*` variables are validated by their parsers, by `check-config` (a subprocess, as a new
user runs it) and by the warehouse resource when it starts, and a secret is never shown.

No Spark session starts here: these are the checks that run before one would.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from event_analytics.policies import SPARK_POOL, warehouse_pool
from event_analytics.setting_parsers import WarehouseTarget, warehouse_target
from event_analytics.settings import (
    SPARK_CONF,
    SPARK_DRIVER_MEMORY,
    SPARK_WAREHOUSE_DIR,
    WarehouseConfigError,
    setting_problems,
)
from event_analytics.warehouse import WarehouseResource
from network import free_loopback_port

CLI = Path(sys.executable).with_name("event-analytics")
SECRET = "sk-spark-9f2e-S3CRET"


def test_a_local_spark_warehouse_is_a_folder_in_spark_layout() -> None:
    target = warehouse_target("spark:///srv/warehouse/")
    assert (target.backend, target.spark_master, target.warehouse_dir) == (
        "spark",
        "local[*]",
        "/srv/warehouse",
    )
    assert target.describe() == "spark:///srv/warehouse"


def test_a_cluster_and_spark_connect_are_named_by_their_urls() -> None:
    cluster = warehouse_target("spark://master.internal")
    assert (cluster.spark_master, cluster.port) == ("spark://master.internal:7077", 7077)
    connect = warehouse_target(f"sc://connect.internal:443/;use_ssl=true;token={SECRET}")
    assert (connect.host, connect.port, connect.spark_connect is not None) == (
        "connect.internal",
        443,
        True,
    )
    assert connect.describe() == "sc://connect.internal:443"
    assert SECRET not in repr(connect) and SECRET not in connect.describe()


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("spark://", "names no host"),
        ("spark:///", "names the root folder"),
        ("spark:///srv/it's", "a quote"),
        ("spark://master:7077/srv/warehouse", "SPARK_WAREHOUSE_DIR"),
        ("spark://master:99999", "port"),
        ("sc://host:15002/;token", "parameter without a value"),
    ],
)
def test_bad_spark_urls_say_how_to_fix_them(url: str, says: str) -> None:
    with pytest.raises(ValueError, match=says):
        warehouse_target(url)


def test_spark_settings_are_validated_by_their_parsers() -> None:
    assert SPARK_DRIVER_MEMORY.parse("4G") == "4g"
    for bad in ("4 gigabytes", "100m", "2.5g"):
        with pytest.raises(WarehouseConfigError, match="SPARK_DRIVER_MEMORY"):
            SPARK_DRIVER_MEMORY.parse(bad)
    assert SPARK_CONF.parse('{"spark.executor.memory": "4g", "spark.x": true}') == (
        ("spark.executor.memory", "4g"),
        ("spark.x", "true"),
    )
    assert SPARK_WAREHOUSE_DIR.parse("hdfs://nn/warehouse/") == "hdfs://nn/warehouse"
    with pytest.raises(WarehouseConfigError, match="absolute folder or a URI"):
        SPARK_WAREHOUSE_DIR.parse("relative/warehouse")


@pytest.mark.parametrize(
    "conf",
    [
        f'{{"spark.hadoop.fs.s3a.secret.key": "{SECRET}", "spark.master": "local"}}',
        f'{{"fs.s3a.secret.key": "{SECRET}"}}',
        f"spark.hadoop.fs.s3a.secret.key={SECRET}",
    ],
)
def test_a_bad_spark_conf_is_refused_without_showing_it(conf: str) -> None:
    with pytest.raises(WarehouseConfigError, match="SPARK_CONF") as raised:
        SPARK_CONF.parse(conf)
    assert SECRET not in str(raised.value)


def test_a_cluster_without_a_warehouse_folder_is_one_problem_naming_both() -> None:
    problems = setting_problems(environ={"WAREHOUSE_URL": "spark://master.internal:7077"})
    assert len(problems) == 1
    assert "SPARK_WAREHOUSE_DIR is not set" in problems[0]
    assert not setting_problems(
        environ={
            "WAREHOUSE_URL": "spark://master.internal:7077",
            "SPARK_WAREHOUSE_DIR": "hdfs://nn/warehouse",
        }
    )


def _check_config(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("SPARK_", "WAREHOUSE"))}
    return subprocess.run(
        [str(CLI), "check-config"],
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_config_validates_spark_and_never_prints_a_secret(tmp_path: Path) -> None:
    (tmp_path / "landing").mkdir()
    port = free_loopback_port()  # nothing listens there
    checked = _check_config(
        {
            "WAREHOUSE_URL": f"sc://127.0.0.1:{port}/;token={SECRET}",
            "SPARK_CONF": f'{{"spark.master": "{SECRET}"}}',
            "SPARK_DRIVER_MEMORY": "lots",
            "EVENTS_LANDING_URL": str(tmp_path / "landing"),
        }
    )
    assert checked.returncode == 1
    assert "SPARK_CONF=*** (hidden): sets spark.master" in checked.stderr
    assert "SPARK_DRIVER_MEMORY='lots': is not a JVM memory size" in checked.stderr
    assert f"WAREHOUSE_URL names Spark at sc://127.0.0.1:{port}, which does not answer" in (
        checked.stderr
    )
    assert SECRET not in checked.stdout + checked.stderr


def test_check_config_passes_on_a_local_spark_folder_and_refuses_a_missing_one(
    tmp_path: Path,
) -> None:
    (tmp_path / "landing").mkdir()
    (tmp_path / "warehouse").mkdir()
    env = {"EVENTS_LANDING_URL": str(tmp_path / "landing")}
    good = _check_config({**env, "WAREHOUSE_URL": f"spark://{tmp_path / 'warehouse'}"})
    assert good.returncode == 0, good.stderr
    missing = _check_config({**env, "WAREHOUSE_URL": f"spark://{tmp_path / 'nope'}"})
    assert missing.returncode == 1
    assert "Spark warehouse folder" in missing.stderr and "does not exist" in missing.stderr


def test_the_warehouse_resource_refuses_bad_spark_settings_before_any_step(
    tmp_path: Path,
) -> None:
    resource = WarehouseResource(
        url=f"spark://{tmp_path}", spark_conf=f'{{"spark.sql.warehouse.dir": "{SECRET}"}}'
    )
    with pytest.raises(WarehouseConfigError, match="SPARK_CONF") as raised:
        resource.check_configuration()
    assert SECRET not in str(raised.value)


def test_spark_writers_share_a_one_slot_pool() -> None:
    from event_analytics.instance import pool_limits

    assert warehouse_pool("spark") == SPARK_POOL
    assert pool_limits("spark") == {SPARK_POOL: 1}
    assert isinstance(warehouse_target("spark:///x"), WarehouseTarget)


def test_the_marts_on_spark_connect_are_refused_before_dbt_starts() -> None:
    import dagster as dg

    from event_analytics.dbt.environment import dbt_environment
    from event_analytics.dbt.project import DBT_EXECUTABLE, marts_project
    from event_analytics.dbt.target import REFUSED_ENV, SPARK_CONNECT_REFUSAL, MartsDbtResource
    from event_analytics.process_environment import environment

    values = dbt_environment(WarehouseResource(url="sc://spark.example:15002"))
    assert values[REFUSED_ENV] == SPARK_CONNECT_REFUSAL
    dbt = MartsDbtResource(project_dir=marts_project, dbt_executable=DBT_EXECUTABLE)
    with environment(values), pytest.raises(dg.Failure, match="do not run on Spark Connect"):
        dbt.cli(["build"])


def test_dbt_gets_the_platform_s_spark_settings_and_tables(tmp_path: Path) -> None:
    """dbt's own Spark session starts with the platform's settings and declares the tables
    that have data in the folder, nothing else."""
    import json

    from event_analytics.dbt.environment import (
        SPARK_SETTINGS_ENV,
        SPARK_TABLES_ENV,
        SPARK_WAREHOUSE_DIR_ENV,
        dbt_environment,
    )
    from event_analytics.warehouse.spark.session import RUNTIME_CONF, STATIC_CONF

    for folder, data in [
        ("analytics.db/cleaned_events/event_date=2025-01-01", True),
        ("marts.db/users", True),
        ("marts.db/sessions", False),
        ("_staging/x", True),
        ("Bad.db/x", True),
    ]:
        (tmp_path / folder).mkdir(parents=True)
        if data:
            (tmp_path / folder / "part-0.parquet").write_bytes(b"PAR1")
    values = dbt_environment(
        WarehouseResource(url=f"spark://{tmp_path}", spark_conf='{"spark.executor.cores": "3"}')
    )
    settings = json.loads(values[SPARK_SETTINGS_ENV])
    assert settings.items() >= {**STATIC_CONF, **RUNTIME_CONF}.items()
    assert settings["spark.sql.warehouse.dir"] == str(tmp_path)
    # SPARK_CONF's settings go to dbt's JVM in a file (see the test below), and win there.
    assert "spark.executor.cores" not in settings
    assert values[SPARK_WAREHOUSE_DIR_ENV] == str(tmp_path)
    assert values[SPARK_TABLES_ENV].split(",") == ["analytics.cleaned_events", "marts.users"]


def test_dbt_gets_spark_conf_in_a_file_only_this_user_reads(tmp_path: Path) -> None:
    """SPARK_CONF (a secret) reaches dbt's JVM through a 0600 file named in
    PYSPARK_SUBMIT_ARGS, never through the JSON of settings or a command line; the file is
    gone once dbt is done."""
    from event_analytics.dbt.environment import (
        SPARK_SETTINGS_ENV,
        dbt_environment,
        spark_conf_for_dbt,
    )

    resource = WarehouseResource(
        url=f"spark://{tmp_path}",
        spark_conf=f'{{"spark.hadoop.fs.s3a.secret.key": "{SECRET}"}}',
    )
    with spark_conf_for_dbt(resource) as conf_file:
        assert conf_file is not None
        values = dbt_environment(resource, conf_file)
        assert SECRET not in values[SPARK_SETTINGS_ENV]
        assert values["PYSPARK_SUBMIT_ARGS"].startswith(f"--properties-file {conf_file} ")
        assert values["PYSPARK_SUBMIT_ARGS"].endswith("pyspark-shell")
        assert os.stat(conf_file).st_mode & 0o777 == 0o600
        assert SECRET in Path(conf_file).read_text()
    assert not Path(conf_file).exists()
    with spark_conf_for_dbt(WarehouseResource(url=f"spark://{tmp_path}")) as none:
        assert none is None
    assert "PYSPARK_SUBMIT_ARGS" not in dbt_environment(resource)


@pytest.mark.slow
def test_spark_conf_never_shows_on_the_jvm_s_command_line(tmp_path: Path) -> None:
    """A builder's settings become `--conf key=value` arguments of the JVM, which every user
    of the machine sees in `ps`: SPARK_CONF's go through a file, and still apply, exactly
    (characters a properties file treats specially included)."""
    from spark_session import require_java

    require_java()
    value = f"{SECRET} a=b:c#d!e\\f\ttab\u00e9"
    script = f"""
import subprocess
from event_analytics.warehouse.spark.session import SparkOptions, get_session
session = get_session(SparkOptions(
    master="local[1]", driver_memory="512m", warehouse_dir={str(tmp_path)!r},
    conf=(("spark.hadoop.fs.s3a.secret.key", {value!r}), ("spark.sql.shuffle.partitions", "3")),
))
listing = subprocess.run(["ps", "-eo", "args"], capture_output=True, text=True).stdout
print("SHOWN" if {SECRET!r} in listing else "HIDDEN")
print(session.sparkContext.getConf().get("spark.hadoop.fs.s3a.secret.key") == {value!r})
print(session.conf.get("spark.sql.shuffle.partitions"))
"""
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=300, check=False
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split() == ["HIDDEN", "True", "3"]
