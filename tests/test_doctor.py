"""`event-analytics doctor`: the guide's rules, run against real code locations.

Each fixture under `tests/doctor_fixtures/` commits exactly one mistake (or none: `clean.py`),
and doctor must report exactly that: the rule, the asset / resource / job / sensor it concerns,
and where in the fixture it is. The project itself must pass. Code locations are loaded for
real (Dagster's own loader), run history comes from a real Dagster instance.
"""

from __future__ import annotations

import ast
import datetime as dt
import inspect
import json
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

import dagster as dg
import pytest

from event_analytics.cli import main
from event_analytics.doctor import CodeLocationRef, DoctorConfig, Report, diagnose
from event_analytics.doctor import dagster_internals as internals
from event_analytics.doctor.catalog import RULES, Severity
from event_analytics.doctor.config import ConfigError, load_config
from event_analytics.doctor.output import render_text

PROJECT_ROOT = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).parent / "doctor_fixtures"


def doctor(name: str, **kwargs: object) -> Report:
    return diagnose(CodeLocationRef(file=FIXTURES / f"{name}.py"), **kwargs)  # type: ignore[arg-type]


def found(report: Report) -> Counter[tuple[str, str]]:
    return Counter((f.rule, f.target) for f in report.findings)


def definition_line(fixture: str, name: str) -> int:
    """Where a function, class or module-level name of a fixture is defined: its first
    decorator for a decorated definition, the assignment otherwise."""
    tree = ast.parse((FIXTURES / f"{fixture}.py").read_text())
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.ClassDef) and node.name == name:
            return node.decorator_list[0].lineno if node.decorator_list else node.lineno
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == name for t in node.targets
        ):
            return node.lineno
    raise AssertionError(f"{name} is not defined in {fixture}")


def line_containing(fixture: str, text: str) -> int:
    lines = (FIXTURES / f"{fixture}.py").read_text().splitlines()
    return next(number for number, line in enumerate(lines, 1) if text in line)


def shown(path: Path) -> str:
    """A path as doctor prints it: relative to the working directory when inside it."""
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path.resolve())


def where(report: Report, rule: str, target: str) -> tuple[str, int | None]:
    [finding] = [f for f in report.findings if (f.rule, f.target) == (rule, target)]
    assert finding.file is not None, finding
    return Path(finding.file).name, finding.line


# --- one fixture per rule --------------------------------------------------------------------

# fixture -> every finding doctor must report on it, and no other.
EXPECTED = {
    "op_job": [("ops-instead-of-assets", "job:orders_etl")],
    "legacy_resource": [("legacy-resource", "resource:prices_api")],
    "secret_literal": [("secret-literal", "resource:database")] * 2,
    "unpartitioned_input": [("unpartitioned-reads-partitions", "asset:total_page_views")],
    "critical_without_freshness": [
        ("critical-without-freshness", "asset:payments"),
        ("critical-without-freshness", "asset:finance_report"),
    ],
    "legacy_api": [
        ("legacy-api", "repository:growth"),
        ("legacy-api", "asset:signups"),
        ("legacy-api", "asset:signup_funnel"),
    ],
    "no_backfill_policy": [("partitioned-without-backfill-policy", "asset:clicks")],
    "duckdb_without_pool": [
        ("duckdb-writer-without-pool", "asset:visits"),
        ("duckdb-writer-without-pool", "asset:visit_stats"),
    ],
    "automation_sensor_stopped": [
        ("automation-sensor-stopped", "sensor:nightly_automation"),
        ("automation-sensor-stopped", "sensor:default_automation_condition_sensor"),
    ],
    "ignore_without_reason": [
        ("ignore-needs-reason", "asset:unexplained"),
        ("critical-without-freshness", "asset:unexplained"),
    ],
}


@pytest.mark.parametrize("fixture", sorted(EXPECTED))
def test_each_fixture_reports_exactly_its_mistake(fixture: str) -> None:
    report = doctor(fixture)
    assert found(report) == Counter(EXPECTED[fixture]), render_text(report)
    assert report.silenced == []
    for finding in report.findings:
        assert finding.severity == RULES[finding.rule].severity
        assert finding.analysis == "loaded"
        assert finding.message and finding.fix
        assert finding.file is not None and Path(finding.file).name == f"{fixture}.py", finding


def test_every_rule_that_inspects_definitions_has_a_fixture() -> None:
    covered = {rule for findings in EXPECTED.values() for rule, _ in findings}
    # `loads` has the guide's sample, `large-unpartitioned` needs run history (both below).
    assert covered | {"loads", "large-unpartitioned"} == set(RULES)


def test_the_clean_fixture_has_no_finding() -> None:
    report = doctor("clean", instance=dg.DagsterInstance.ephemeral())
    assert report.findings == [], render_text(report)
    assert report.silenced == []
    assert report.exit_status == 0


def test_findings_point_at_the_source_of_what_they_concern() -> None:
    ops = doctor("op_job")
    assert where(ops, "ops-instead-of-assets", "job:orders_etl") == (
        "op_job.py",
        definition_line("op_job", "extract_orders"),
    )
    [finding] = ops.findings
    assert "extract_orders" in finding.message and "load_orders" not in finding.message

    resource = doctor("legacy_resource")
    assert where(resource, "legacy-resource", "resource:prices_api") == (
        "legacy_resource.py",
        definition_line("legacy_resource", "prices_api"),
    )
    secrets = doctor("secret_literal")
    assert {(f.file and Path(f.file).name, f.line) for f in secrets.findings} == {
        ("secret_literal.py", definition_line("secret_literal", "Database"))
    }
    assert sorted("field 'password'" in f.message for f in secrets.findings) == [False, True]
    assert any("replica_url" in f.message for f in secrets.findings)
    # The message names the field, never the secret.
    assert not any("hunter2" in f.message or "s3cret" in f.message for f in secrets.findings)

    unpartitioned = doctor("unpartitioned_input")
    assert where(unpartitioned, "unpartitioned-reads-partitions", "asset:total_page_views") == (
        "unpartitioned_input.py",
        definition_line("unpartitioned_input", "total_page_views"),
    )
    sensors = doctor("automation_sensor_stopped")
    assert where(sensors, "automation-sensor-stopped", "sensor:nightly_automation") == (
        "automation_sensor_stopped.py",
        definition_line("automation_sensor_stopped", "nightly"),
    )
    # Dagster's default sensor has no source: the fix goes where the Definitions are.
    assert where(
        sensors, "automation-sensor-stopped", "sensor:default_automation_condition_sensor"
    ) == ("automation_sensor_stopped.py", definition_line("automation_sensor_stopped", "defs"))
    legacy = doctor("legacy_api")
    assert where(legacy, "legacy-api", "repository:growth") == (
        "legacy_api.py",
        definition_line("legacy_api", "growth"),
    )


def test_the_fixes_are_written_in_todays_api() -> None:
    fixes = {
        f.rule: f.fix
        for fixture in EXPECTED
        for f in doctor(fixture).findings
        if f.rule != "ignore-needs-reason"
    }
    assert "dg.asset" in fixes["ops-instead-of-assets"]
    assert "ConfigurableResource" in fixes["legacy-resource"]
    assert "EnvVar(" in fixes["secret-literal"]
    assert "deps=" in fixes["unpartitioned-reads-partitions"]
    assert "FreshnessPolicy.time_window(" in fixes["critical-without-freshness"]
    assert "BackfillPolicy.single_run()" in fixes["partitioned-without-backfill-policy"]
    assert 'pool="duckdb"' in fixes["duckdb-writer-without-pool"]
    assert "DefaultSensorStatus.RUNNING" in fixes["automation-sensor-stopped"]
    legacy = {f.target: f.fix for f in doctor("legacy_api").findings}
    assert "dg.Definitions(" in legacy["repository:growth"]
    assert "FreshnessPolicy.time_window(" in legacy["asset:signups"]
    assert "FreshnessPolicy.time_window(" in legacy["asset:signup_funnel"]


def test_a_resource_is_a_duckdb_writer_when_its_environment_says_so(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The EnvVar is read where doctor runs, as it would be where the code runs."""
    monkeypatch.setenv("SHOP_WAREHOUSE_URL", "duckdb:///data/shop.duckdb")
    report = doctor("duckdb_by_url")
    assert found(report) == Counter([("duckdb-writer-without-pool", "asset:shop_totals")])
    assert "resource 'warehouse' is DuckDB" in report.findings[0].message
    monkeypatch.setenv("SHOP_WAREHOUSE_URL", "postgresql://shop@db.internal/shop")
    assert doctor("duckdb_by_url").findings == []
    monkeypatch.delenv("SHOP_WAREHOUSE_URL")
    assert doctor("duckdb_by_url").findings == []


def test_a_large_unpartitioned_asset_is_found_in_run_history() -> None:
    instance = dg.DagsterInstance.ephemeral()
    instance.report_runless_asset_event(
        dg.AssetMaterialization("clickstream", metadata={"dagster/row_count": 25_000_000})
    )
    report = doctor("large_unpartitioned", instance=instance)
    assert found(report) == Counter([("large-unpartitioned", "asset:clickstream")])
    [finding] = report.findings
    assert finding.severity is Severity.WARNING
    assert finding.analysis == "history"
    assert "25,000,000" in finding.message
    assert report.exit_status == 0  # a warning

    above = doctor(
        "large_unpartitioned", instance=instance, config=DoctorConfig(large_rows=24_000_000)
    )
    assert found(above) == Counter([("large-unpartitioned", "asset:clickstream")])
    below = doctor(
        "large_unpartitioned", instance=instance, config=DoctorConfig(large_rows=50_000_000)
    )
    assert below.findings == []


def test_without_an_instance_the_row_count_rule_is_skipped_and_says_so() -> None:
    report = doctor("large_unpartitioned")
    assert report.findings == []
    assert [s.rule for s in report.skipped] == ["large-unpartitioned"]
    assert "DAGSTER_HOME" in render_text(report)


# --- the guide's sample ----------------------------------------------------------------------


GUIDE_STATIC = [
    ("unpartitioned-reads-partitions", "asset:daily_summary"),
    ("critical-without-freshness", "asset:daily_summary"),
    ("partitioned-without-backfill-policy", "asset:raw_events"),
    ("partitioned-without-backfill-policy", "asset:cleaned_events"),
    ("secret-literal", "resource:warehouse"),
]


def test_the_guides_sample_reports_its_load_failure_and_its_memory_bug() -> None:
    report = doctor("guide_sample")
    assert found(report) == Counter([("loads", "file:guide_sample.py"), *GUIDE_STATIC])
    [load] = [f for f in report.findings if f.rule == "loads"]
    assert load.message.startswith("TypeError: FreshnessPolicy() takes no arguments")
    assert load.line == line_containing("guide_sample", "FreshnessPolicy(maximum_lag_minutes=60)")
    assert "FreshnessPolicy.time_window(fail_window=" in load.fix
    memory = next(f for f in report.findings if f.rule == "unpartitioned-reads-partitions")
    assert memory.analysis == "static"
    assert memory.line == definition_line("guide_sample", "daily_summary")
    assert "cleaned_events" in memory.message and "every partition" in memory.message
    assert {f.analysis for f in report.findings if f.rule != "loads"} == {"static"}
    assert report.exit_status == 1
    # A second look in the same process sees the same failure, not a half-imported module.
    assert found(doctor("guide_sample")) == found(report)


def test_the_guides_sample_on_the_command_line(capsys: pytest.CaptureFixture[str]) -> None:
    status = main(["doctor", "-f", str(FIXTURES / "guide_sample.py"), "--no-instance"])
    out = capsys.readouterr().out
    assert status == 1
    assert "TypeError: FreshnessPolicy() takes no arguments" in out
    assert "unpartitioned-reads-partitions" in out and "daily_summary" in out
    assert f"guide_sample.py:{definition_line('guide_sample', 'daily_summary')}" in out


STATIC_RULES = {rule.id for rule in RULES.values() if rule.analysis == "both"}


@pytest.mark.parametrize("fixture", sorted(set(EXPECTED) - {"ignore_without_reason"}))
def test_the_static_forms_see_the_same_mistakes_in_a_module_that_does_not_load(
    fixture: str, tmp_path: Path
) -> None:
    """Each fixture, made to fail at import after its definitions: the load failure, and
    every finding whose rule has a static form, read from the source alone."""
    broken = tmp_path / f"{fixture}.py"
    broken.write_text((FIXTURES / f"{fixture}.py").read_text() + "\nraise RuntimeError('stop')\n")
    report = diagnose(CodeLocationRef(file=broken))
    expected = [(rule, target) for rule, target in EXPECTED[fixture] if rule in STATIC_RULES]
    assert found(report) == Counter([("loads", f"file:{fixture}.py"), *expected])
    assert {f.analysis for f in report.findings if f.rule != "loads"} <= {"static"}


def test_a_module_that_does_not_exist_is_one_finding() -> None:
    report = diagnose(CodeLocationRef(module="no_such_package.definitions"))
    assert found(report) == Counter([("loads", "module:no_such_package.definitions")])
    [finding] = report.findings
    assert "ModuleNotFoundError" in finding.message


def test_a_module_without_definitions_is_one_finding(tmp_path: Path) -> None:
    empty = tmp_path / "nothing_here.py"
    empty.write_text("VALUE = 1\n")
    report = diagnose(CodeLocationRef(file=empty))
    assert found(report) == Counter([("loads", "file:nothing_here.py")])
    assert "dg.Definitions" in report.findings[0].fix


def test_a_definition_dagster_refuses_is_one_finding_in_the_users_file(tmp_path: Path) -> None:
    path = tmp_path / "unbound_resource.py"
    path.write_text(
        "import dagster as dg\n\n\n"
        "@dg.asset\n"
        "def orders(database: dg.ConfigurableResource) -> None: ...\n\n\n"
        "defs = dg.Definitions(assets=[orders])\n"
    )
    report = diagnose(CodeLocationRef(file=path))
    [load] = [f for f in report.findings if f.rule == "loads"]
    assert load.message.startswith("DagsterInvalidDefinitionError: resource with key 'database'")
    # Raised inside Dagster, called by doctor: the file is the user's, never doctor's own.
    assert load.file is not None and Path(load.file).resolve() == path.resolve()


def test_a_module_is_loaded_with_m_from_the_working_directory(
    capsys: pytest.CaptureFixture[str],
) -> None:
    status, out, _ = run_cli(capsys, "-m", "op_job", "-d", str(FIXTURES), "--no-instance")
    assert status == 1
    assert "doctor: op_job" in out
    assert "ops-instead-of-assets  job:orders_etl" in out


# --- output and exit status ------------------------------------------------------------------

FINDING_FIELDS = {"rule", "severity", "target", "file", "line", "message", "fix", "analysis"}


def run_cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    status = main(["doctor", *args])
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def test_json_output_schema(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    config = tmp_path / "doctor.toml"
    config.write_text(
        '[[ignore]]\nrule = "secret-literal"\ntarget = "resource:database"\n'
        'reason = "checked: both values are the test database\'s"\n'
    )
    args = ["-f", str(FIXTURES / "secret_literal.py"), "--format", "json", "--no-instance"]
    status, out, _ = run_cli(capsys, *args)
    document = json.loads(out)
    assert status == 1
    assert set(document) == {"schema", "location", "findings", "silenced", "skipped", "summary"}
    assert document["schema"] == "event-analytics-doctor/1"
    assert document["location"] == {
        "module": None,
        "file": str(FIXTURES / "secret_literal.py"),
        "loaded": True,
    }
    assert document["summary"] == {"errors": 2, "warnings": 0, "silenced": 0}
    for finding in document["findings"]:
        assert set(finding) == FINDING_FIELDS
        assert finding["rule"] == "secret-literal"
        assert finding["severity"] == "error"
        assert finding["target"] == "resource:database"
        assert finding["file"].endswith("secret_literal.py")
        assert isinstance(finding["line"], int)
        assert finding["analysis"] == "loaded"
    assert document["skipped"] == [
        {"rule": "large-unpartitioned", "why": "no Dagster instance (--no-instance)"}
    ]

    status, out, _ = run_cli(capsys, *args, "--config", str(config))
    document = json.loads(out)
    assert status == 0
    assert document["findings"] == []
    assert document["summary"] == {"errors": 0, "warnings": 0, "silenced": 2}
    for silenced in document["silenced"]:
        assert set(silenced) == FINDING_FIELDS | {"reason"}
        assert silenced["reason"] == "checked: both values are the test database's"


@pytest.mark.parametrize(
    ("fixture", "status"),
    [("clean", 0), ("no_backfill_policy", 0), ("op_job", 1), ("guide_sample", 1)],
)
def test_exit_status_is_1_only_for_errors(
    capsys: pytest.CaptureFixture[str], fixture: str, status: int
) -> None:
    assert run_cli(capsys, "-f", str(FIXTURES / f"{fixture}.py"), "--no-instance")[0] == status


def test_usage_errors_exit_2(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    both = run_cli(capsys, "-m", "event_analytics.definitions", "-f", "x.py")
    assert both[0] == 2
    missing = run_cli(capsys, "-f", str(tmp_path / "missing.py"))
    assert missing[0] == 2 and "missing.py" in missing[2]
    broken = tmp_path / "doctor.toml"
    broken.write_text("[[ignore]\n")
    bad_config = run_cli(capsys, "-f", str(FIXTURES / "clean.py"), "--config", str(broken))
    assert bad_config[0] == 2 and "doctor.toml" in bad_config[2]


def test_text_output_for_people(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run_cli(capsys, "-f", str(FIXTURES / "op_job.py"), "--no-instance")
    assert status == 1
    line = definition_line("op_job", "extract_orders")
    assert (
        f"error  ops-instead-of-assets  job:orders_etl  {shown(FIXTURES / 'op_job.py')}:{line}"
        in out
    )
    assert "fix: " in out
    assert out.rstrip().endswith("1 error, 0 warnings, 0 silenced")
    status, out, _ = run_cli(capsys, "-f", str(FIXTURES / "clean.py"), "--no-instance")
    assert status == 0
    assert "no findings" in out


# --- silencing -------------------------------------------------------------------------------


def test_silencing_with_a_reason_lists_the_finding_as_silenced(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    report = doctor("silenced")
    # Asset metadata and the resource's class attribute silence theirs; the legacy resource
    # is silenced only by the config file below.
    assert found(report) == Counter([("legacy-resource", "resource:legacy_client")])
    assert {(s.finding.rule, s.finding.target, s.reason) for s in report.silenced} == {
        ("critical-without-freshness", "asset:scratch", "a scratch table nobody reads"),
        (
            "secret-literal",
            "resource:emulator",
            "the emulator's documented default password, not a secret",
        ),
    }
    (tmp_path / "pyproject.toml").write_text(
        "[tool.event_analytics.doctor]\n"
        "[[tool.event_analytics.doctor.ignore]]\n"
        'rule = "legacy-resource"\n'
        'target = "resource:legacy_client"\n'
        'reason = "replaced by ClientResource in the next release"\n'
    )
    config = load_config(None, cwd=tmp_path)
    report = doctor("silenced", config=config)
    assert report.findings == []
    assert len(report.silenced) == 3
    assert report.exit_status == 0

    previous = Path.cwd()
    os.chdir(tmp_path)  # the config is found in the working directory, like ruff's
    try:
        status, out, _ = run_cli(capsys, "-f", str(FIXTURES / "silenced.py"), "--no-instance")
    finally:
        os.chdir(previous)
    assert status == 0
    assert "silenced  legacy-resource  resource:legacy_client" in out
    assert "reason: replaced by ClientResource in the next release" in out
    assert out.rstrip().endswith("0 errors, 0 warnings, 3 silenced")


def test_an_ignore_in_the_config_needs_a_reason(tmp_path: Path) -> None:
    config = tmp_path / "doctor.toml"
    config.write_text('[[ignore]]\nrule = "ops-instead-of-assets"\ntarget = "job:orders_etl"\n')
    report = doctor("op_job", config=load_config(config, cwd=tmp_path))
    assert found(report) == Counter(
        [("ops-instead-of-assets", "job:orders_etl"), ("ignore-needs-reason", "config:doctor.toml")]
    )
    assert report.silenced == []


def test_an_ignore_of_an_unknown_rule_is_refused(tmp_path: Path) -> None:
    config = tmp_path / "doctor.toml"
    config.write_text('[[ignore]]\nrule = "no-such-rule"\ntarget = "asset:x"\nreason = "r"\n')
    with pytest.raises(ConfigError, match="no-such-rule"):
        load_config(config, cwd=tmp_path)


def test_severity_is_per_rule_and_configurable(tmp_path: Path) -> None:
    config = tmp_path / "doctor.toml"
    config.write_text('[severity]\n"partitioned-without-backfill-policy" = "error"\n')
    report = doctor("no_backfill_policy", config=load_config(config, cwd=tmp_path))
    [finding] = report.findings
    assert finding.severity is Severity.ERROR
    assert report.exit_status == 1


# --- this project ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "warehouse_url",
    # DuckDB (what `make test` runs), and a server: no pool there, and nothing may say DuckDB.
    [None, "postgresql://doctor@127.0.0.1:9/never_connected"],
)
def test_the_project_itself_has_no_finding(warehouse_url: str | None) -> None:
    """What `make test` runs: `event-analytics doctor` on the project's own Definitions."""
    bin_dir = Path(sys.executable).parent
    env = {k: v for k, v in os.environ.items() if k not in ("DAGSTER_HOME", "WAREHOUSE_URL")}
    if warehouse_url:
        env["WAREHOUSE_URL"] = warehouse_url
    completed = subprocess.run(
        [str(bin_dir / "event-analytics"), "doctor", "--format", "json"],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert completed.returncode == 0, completed.stdout[-3000:] + completed.stderr[-3000:]
    document = json.loads(completed.stdout)
    assert document["location"]["module"] == "event_analytics.definitions"
    assert document["location"]["loaded"] is True
    assert document["findings"] == []
    assert document["silenced"] == []


# --- docs and Dagster internals ----------------------------------------------------------------


def test_the_docs_have_a_section_per_rule() -> None:
    text = (PROJECT_ROOT / "docs" / "doctor.md").read_text()
    headings = [line[5:-1] for line in text.splitlines() if line.startswith("### `")]
    assert headings == list(RULES)


def test_the_dagster_internals_doctor_uses_are_still_there() -> None:
    """Private Dagster APIs doctor relies on (doctor/dagster_internals.py), pinned: an upgrade
    that changes one fails here, not in a user's CI."""
    params = inspect.signature(internals.load_python_file).parameters
    assert list(params)[:2] == ["python_file", "working_directory"]
    params = inspect.signature(internals.load_python_module).parameters
    assert list(params)[:2] == ["module_name", "working_directory"]
    assert callable(internals.loadable_targets_from_loaded_module)
    assert callable(internals.repository_def_from_target_def)

    @dg.definitions
    def lazy() -> dg.Definitions:
        return dg.Definitions()

    assert isinstance(lazy, internals.LazyDefinitions)
    assert issubclass(dg.ConfigurableResource, internals.ConfigurableResourceFactory)
    assert issubclass(dg.ConfigurableIOManager, internals.ConfigurableResourceFactory)

    @dg.asset(automation_condition=dg.AutomationCondition.eager())
    def watched() -> None: ...

    with pytest.warns(Warning, match="superseded"):
        [check] = dg.build_last_update_freshness_checks(
            assets=[watched], lower_bound_delta=dt.timedelta(hours=1)
        )
    assert internals.is_freshness_check_builder_output(check)
    repository = dg.Definitions(assets=[watched]).get_repository_def()
    assert [s.name for s in repository.sensor_defs] == [internals.DEFAULT_AUTOMATION_SENSOR]
    node = repository.asset_graph.get(watched.key)
    assert internals.freshness_policy_of(node) is None
    assert internals.legacy_freshness_policy_of(node) is None
