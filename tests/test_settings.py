"""Settings: one parser per environment variable, used by every entry point.

`event-analytics check-config` is run as a new user would (a subprocess with an environment);
the same values are then shown to fail before any step when the platform loads or runs.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote

import dagster as dg
import pytest

from event_analytics import settings
from event_analytics.cli import main
from event_analytics.landing import LandingZoneResource
from event_analytics.settings import SETTINGS, Setting, SettingError, setting_problems
from harness import Platform

PROJECT_ROOT = Path(__file__).resolve().parents[1]
CLI = Path(sys.executable).with_name("event-analytics")
BY_NAME = {setting.env_var: setting for setting in SETTINGS}
WEBHOOK_SECRET = "T0-B0-s3cr3t-token"


# --- the registry ---------------------------------------------------------------------------


def test_every_setting_is_in_the_registry_and_its_default_parses() -> None:
    declared = {v.env_var for v in vars(settings).values() if isinstance(v, Setting)}
    assert declared == set(BY_NAME)
    assert len(BY_NAME) == len(SETTINGS)
    for setting in SETTINGS:
        setting.parse(setting.default)


def _readme_table_names() -> set[str]:
    readme = (PROJECT_ROOT / "README.md").read_text()
    section = readme.split("## Environment variables", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| `")]
    return {name for row in rows for name in re.findall(r"`([A-Z][A-Z0-9_]+)`", row.split("|")[1])}


def test_readme_and_env_example_list_exactly_the_registry() -> None:
    # DAGSTER_HOME is Dagster's own variable: documented, but not a setting of the platform.
    assert _readme_table_names() == set(BY_NAME) | {"DAGSTER_HOME"}
    example = (PROJECT_ROOT / ".env.example").read_text()
    lines = dict(re.findall(r"^# ([A-Z][A-Z0-9_]+)=(.*)$", example, flags=re.MULTILINE))
    assert set(lines) == set(BY_NAME)
    for name, value in lines.items():
        BY_NAME[name].parse(value)  # every example is a working value


# --- one parser per setting -----------------------------------------------------------------

GOOD_AND_BAD: dict[str, tuple[list[str], list[str]]] = {
    "WAREHOUSE_URL": (
        [
            "duckdb:///data/warehouse.duckdb",
            "duckdb:////srv/w.duckdb",
            "postgresql://analyst@db.internal:5432/events?sslmode=require",
            "spark:///srv/spark-warehouse",
            "spark://spark-master.internal:7077",
            "sc://spark-connect.internal:15002",
        ],
        [
            "duckdb://x.duckdb",
            "mysql://h/db",
            "duckdb:///:memory:",
            "postgresql://a@h/",
            "spark:///srv/it's",
            "spark:///srv/a b",
        ],
    ),
    "DUCKDB_MEMORY_LIMIT": (
        ["512MB", "4GB", "1.5GiB", "2 gb", "1TB"],
        ["lots", "1.2.3GB", "-1", "100", "1PB", "1KB"],
    ),
    "DUCKDB_LOCK_TIMEOUT_SECONDS": (["0", "300"], ["-5", "1.5", "soon"]),
    "EVENTS_LANDING_URL": (
        [
            "data/landing",
            "/srv/landing",
            "file:///srv/landing",
            "file://localhost/srv/landing",
            "s3://bucket/landing",
        ],
        ["s3://Bad_Bucket/landing", "file://otherhost/srv/landing", "https://example.com/landing"],
    ),
    "EVENTS_START_DATE": (["2025-01-01", "2019-12-31"], ["01/01/2025", "2025-02-30", "20250101"]),
    "DAGSTER_UI_URL": (
        ["http://localhost:3000", "https://dagster.example.com/prefix"],
        ["localhost:3000", "notaurl", "ftp://example.com", "https://"],
    ),
    "RAW_REJECTED_RATIO_MAX": (["0", "0.01", "1"], ["1.5", "-0.1", "nan", "lots"]),
    "RAW_VOLUME_MIN_RATIO": (["0", "0.5"], ["-1", "inf", "nan", "x"]),
    "RAW_VOLUME_MAX_RATIO": (["3.0", "10"], ["-1", "inf", "3,0"]),
    "DAILY_SUMMARY_DEADLINE_UTC": (["02:00", "23:59", "00:00"], ["2am", "24:00", "02:00:00", "2"]),
    "ALERT_WEBHOOK_URL": (
        ["", "https://hooks.example.com/services/T0/B0/x", "http://127.0.0.1:8080/hook"],
        ["notaurl", "ftp://hooks.example.com/x", "https:///no-host", "hooks.example.com/x"],
    ),
    "SLACK_BOT_TOKEN": (["", "xoxb-1-2-abc"], ["xoxb 1 2"]),
    "SLACK_CHANNEL": (["#data-alerts", "C0123ABC"], ["data alerts"]),
    "PGPASSWORD": (["", "any thing at all"], []),
    "SPARK_WAREHOUSE_DIR": (
        ["", "/srv/spark-warehouse", "hdfs://namenode/warehouse", "file:///srv/w"],
        ["relative/folder", "/srv/it's", "/srv/{a,b}"],
    ),
    "SPARK_DRIVER_MEMORY": (["2g", "512m", "1t", "8G"], ["2", "2gb", "256m", "lots"]),
    "SPARK_CONF": (
        ["", '{"spark.executor.memory": "4g"}', '{"spark.sql.shuffle.partitions": 8}'],
        ["[1, 2]", '{"executor.memory": "4g"}', "{not json", '{"spark.master": "local"}'],
    ),
    "LANDING_LOAD_MAX_ATTEMPTS": (["1", "4"], ["0", "-1", "2.5", "many"]),
    "LANDING_RETRY_BASE_SECONDS": (["0", "60", "0.5"], ["-1", "inf", "nan", "soon"]),
}


def test_every_setting_has_its_examples() -> None:
    assert set(GOOD_AND_BAD) == set(BY_NAME)


@pytest.mark.parametrize("name", sorted(GOOD_AND_BAD))
def test_each_parser_accepts_good_values_and_names_the_variable_for_bad_ones(name: str) -> None:
    setting = BY_NAME[name]
    good, bad = GOOD_AND_BAD[name]
    for text in good:
        setting.parse(text)
    for text in bad:
        with pytest.raises(SettingError) as refused:
            setting.parse(text)
        message = str(refused.value)
        assert name in message
        if not setting.secret:  # secrets: see test_a_secret_is_never_echoed_*
            assert repr(text) in message  # the bad value, quoted


def test_parsed_values_are_typed() -> None:
    assert BY_NAME["DUCKDB_LOCK_TIMEOUT_SECONDS"].parse("7") == 7
    assert BY_NAME["RAW_VOLUME_MIN_RATIO"].parse("0.25") == 0.25
    assert str(BY_NAME["DAILY_SUMMARY_DEADLINE_UTC"].parse("02:30")) == "02:30:00"
    assert str(BY_NAME["EVENTS_START_DATE"].parse("2025-03-04")) == "2025-03-04"
    assert BY_NAME["WAREHOUSE_URL"].parse("postgres://a@h:6543/db").port == 6543
    assert BY_NAME["EVENTS_LANDING_URL"].parse("file://localhost/srv/a%20b") == Path("/srv/a b")


def test_a_reversed_volume_band_is_one_problem_naming_both_variables() -> None:
    environ = {"RAW_VOLUME_MIN_RATIO": "5", "RAW_VOLUME_MAX_RATIO": "1"}
    [problem] = setting_problems(SETTINGS, environ)
    assert "RAW_VOLUME_MIN_RATIO" in problem and "RAW_VOLUME_MAX_RATIO" in problem
    assert setting_problems(SETTINGS, {"RAW_VOLUME_MIN_RATIO": "0.5"}) == []


def test_a_secret_is_never_echoed_only_its_scheme_and_host() -> None:
    url = f"ftp://hooks.example.com/services/{WEBHOOK_SECRET}?token={WEBHOOK_SECRET}"
    with pytest.raises(SettingError) as refused:
        BY_NAME["ALERT_WEBHOOK_URL"].parse(url)
    message = str(refused.value)
    assert "ftp://hooks.example.com" in message
    assert WEBHOOK_SECRET not in message
    with pytest.raises(SettingError) as refused:
        BY_NAME["WAREHOUSE_URL"].parse(f"postgresql://analyst:{WEBHOOK_SECRET}@db.internal/x/y")
    assert WEBHOOK_SECRET not in str(refused.value)
    assert "postgresql://db.internal" in str(refused.value)


# --- the landing zone: one parser for generate, the resource and the sensor -----------------


def test_generate_and_the_landing_resource_read_a_file_url_the_same_way(tmp_path: Path) -> None:
    folder = tmp_path / "landing zone"  # a space: percent-encoded in the URL
    url = "file://localhost" + quote(str(folder))
    argv = ["generate", "--start", "2025-01-01", "--days", "2", "--events-per-day", "50"]
    assert main([*argv, "--seed", "3", "--out", url]) == 0
    landing = LandingZoneResource(url=url)
    assert landing.root() == folder
    landing.check_configuration()
    assert [d.isoformat() for d in landing.list_days()] == ["2025-01-01", "2025-01-02"]
    assert [f.relative_path for f in landing.list_files(landing.list_days()[0])] == [
        "events/date=2025-01-01/part-00000.jsonl",
        "events/date=2025-01-01/part-00001.jsonl.gz",
    ]


# --- check-config, as a new user runs it -----------------------------------------------------


def _environment(tmp_path: Path, **overrides: str) -> dict[str, str]:
    """This process's environment without any setting, pointed at a working tmp setup."""
    env = {k: v for k, v in os.environ.items() if k not in BY_NAME}
    (tmp_path / "landing").mkdir(exist_ok=True)
    env["WAREHOUSE_URL"] = f"duckdb:///{tmp_path / 'warehouse.duckdb'}"
    env["EVENTS_LANDING_URL"] = str(tmp_path / "landing")
    env.update(overrides)
    return env


ISSUE_CASES: dict[str, dict[str, str]] = {
    "reversed volume band": {"RAW_VOLUME_MIN_RATIO": "5", "RAW_VOLUME_MAX_RATIO": "1"},
    "negative lock timeout": {"DUCKDB_LOCK_TIMEOUT_SECONDS": "-5"},
    "memory limit without a size": {"DUCKDB_MEMORY_LIMIT": "lots"},
    "webhook that is not a URL": {"ALERT_WEBHOOK_URL": "notaurl"},
    "warehouse in a missing folder": {"WAREHOUSE_URL": "duckdb:///{tmp}/missing/w.duckdb"},
}


def test_check_config_refuses_each_case_of_the_issue(tmp_path: Path) -> None:
    # Started together: each process imports the platform, which takes a few seconds.
    started = {}
    for case, overrides in ISSUE_CASES.items():
        folder = tmp_path / case.replace(" ", "-")
        folder.mkdir()
        values = {k: v.replace("{tmp}", str(folder)) for k, v in overrides.items()}
        started[case] = subprocess.Popen(
            [str(CLI), "check-config"],
            env=_environment(folder, **values),
            cwd=folder,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
    for case, process in started.items():
        out, err = process.communicate(timeout=120)
        assert process.returncode == 1, f"{case}: {out}{err}"
        assert "configuration OK" not in out
        assert "Traceback" not in err
        for name in ISSUE_CASES[case]:
            assert name in err, f"{case}: {err}"
        if case == "webhook that is not a URL":
            assert "notaurl" not in err  # a secret: never echoed
    assert not (tmp_path / "warehouse-in-a-missing-folder" / "missing").exists()


def test_check_config_passes_a_working_setup(tmp_path: Path) -> None:
    done = subprocess.run(
        [str(CLI), "check-config"],
        env=_environment(tmp_path, ALERT_WEBHOOK_URL="https://hooks.example.com/x"),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert (done.returncode, done.stdout.strip(), done.stderr) == (0, "configuration OK", "")


# --- the same values fail before any step -----------------------------------------------------


def _bound_resources(defs: dg.Definitions) -> dict[str, object]:
    assert defs.resources is not None
    return dict(defs.resources)


def _run_raw_events(defs: dg.Definitions) -> dg.ExecuteInProcessResult:
    return dg.materialize(
        [defs.get_assets_def("raw_events")],
        resources=_bound_resources(defs),
        partition_key="2025-01-01",
        raise_on_error=False,
    )


def _resource_failure(result: dg.ExecuteInProcessResult) -> str:
    failures = [
        e for e in result.all_events if e.event_type == dg.DagsterEventType.RESOURCE_INIT_FAILURE
    ]
    assert failures, "the error must surface while the resource starts, before the step runs"
    assert not any(e.event_type == dg.DagsterEventType.STEP_START for e in result.all_events)
    return str(failures[0].event_specific_data)


@pytest.mark.parametrize(
    "case",
    ["negative lock timeout", "memory limit without a size", "warehouse in a missing folder"],
)
def test_the_warehouse_resource_refuses_before_any_step(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, case: str
) -> None:
    environment = _environment(tmp_path)
    overrides = {k: v.replace("{tmp}", str(tmp_path)) for k, v in ISSUE_CASES[case].items()}
    for name in BY_NAME:
        monkeypatch.delenv(name, raising=False)
    for name, value in {**environment, **overrides}.items():
        if name in BY_NAME:
            monkeypatch.setenv(name, value)
    defs = Platform.load_definitions()  # the resources bound to the environment, as deployed
    result = _run_raw_events(defs)
    assert not result.success
    message = _resource_failure(result)
    for name in overrides:
        assert name in message
    assert not (tmp_path / "missing").exists()
    assert not (tmp_path / "warehouse.duckdb").exists()


def test_a_reversed_volume_band_stops_the_code_location_from_loading(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("RAW_VOLUME_MIN_RATIO", "5")
    monkeypatch.setenv("RAW_VOLUME_MAX_RATIO", "1")
    with pytest.raises(Exception, match=r"resources\.py") as refused:
        Platform.load_definitions()
    cause: BaseException | None = refused.value
    while cause is not None and not isinstance(cause, SettingError):
        cause = cause.__cause__
    assert cause is not None, "Dagster's load error must carry the setting's own message"
    assert "RAW_VOLUME_MIN_RATIO=5 is not below RAW_VOLUME_MAX_RATIO=1" in str(cause)


def test_a_webhook_that_is_not_a_url_stops_the_notifier_from_starting(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("ALERT_WEBHOOK_URL", f"notaurl-{WEBHOOK_SECRET}")
    notifier = _bound_resources(Platform.load_definitions())["notifier"]
    with (
        pytest.raises(dg.DagsterResourceFunctionError) as refused,
        dg.build_resources({"notifier": notifier}),
    ):
        pass
    cause = str(refused.value.__cause__)
    assert "ALERT_WEBHOOK_URL" in cause
    assert WEBHOOK_SECRET not in cause
