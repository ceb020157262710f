"""The marts as Dagster sees them: one asset graph, partitions, automation, pools, docs.

Fast: nothing here runs dbt (the manifest built by `make setup` is enough).
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

import dagster as dg
import pytest
from dagster_dbt import DbtCliResource, DbtProject

from event_analytics.dbt.project import (
    DBT_EXECUTABLE,
    DbtManifestMissingError,
    manifest_path,
    marts_project,
)
from event_analytics.dbt.translator import FOLLOW_ANY_UPSTREAM_PARTITION
from event_analytics.policies import DUCKDB_POOL, FOLLOW_UPSTREAM
from harness import Platform

PROJECT_ROOT = Path(__file__).resolve().parents[1]
DAILY_MARTS = ("user_activity_daily", "sessions", "active_users_daily", "purchase_funnel_daily")
HISTORY_MARTS = ("users", "user_retention_weekly")
MARTS = DAILY_MARTS + HISTORY_MARTS


@pytest.fixture(scope="module")
def defs() -> dg.Definitions:
    return Platform.load_definitions()


def _key(name: str) -> dg.AssetKey:
    return dg.AssetKey(name)


def test_one_graph_with_cleaned_events_as_the_dbt_source(defs: dg.Definitions) -> None:
    graph = defs.resolve_asset_graph()
    keys = {key.to_user_string() for key in graph.get_all_asset_keys()}
    # The dbt sources are the platform's assets themselves, not look-alike external assets.
    assert {"cleaned_events", "daily_summary", *MARTS} <= keys
    assert not {k for k in keys if k.startswith("platform/")}
    assert graph.get(_key("user_activity_daily")).parent_keys == {
        _key("cleaned_events"),
        _key("daily_summary"),
    }
    assert graph.get(_key("sessions")).parent_keys == {_key("cleaned_events")}


def test_marts_are_grouped_partitioned_and_pooled(defs: dg.Definitions) -> None:
    graph = defs.resolve_asset_graph()
    for name in MARTS:
        node = graph.get(_key(name))
        assert node.group_name == "marts", name
        assert "dbt" in node.kinds and "duckdb" in node.kinds, name
        assets_def = defs.get_assets_def(name)
        assert assets_def.op.pool == DUCKDB_POOL, name
        is_daily = name in DAILY_MARTS
        assert (node.partitions_def is not None) == is_daily, name
        expected = FOLLOW_UPSTREAM if is_daily else FOLLOW_ANY_UPSTREAM_PARTITION
        assert node.automation_condition == expected, name
    daily = defs.get_assets_def("sessions")
    assert daily.backfill_policy == dg.BackfillPolicy.single_run()


@pytest.mark.parametrize(
    ("child", "parent", "start_offset", "end_offset"),
    [
        ("sessions", "cleaned_events", -1, 1),
        ("active_users_daily", "user_activity_daily", -27, 0),
        ("user_activity_daily", "cleaned_events", 0, 0),
        ("purchase_funnel_daily", "user_activity_daily", 0, 0),
    ],
)
def test_partition_mappings_say_which_days_a_model_reads(
    defs: dg.Definitions, child: str, parent: str, start_offset: int, end_offset: int
) -> None:
    mapping = defs.resolve_asset_graph().get_partition_mapping(_key(child), _key(parent))
    assert isinstance(mapping, dg.TimeWindowPartitionMapping)
    assert (mapping.start_offset, mapping.end_offset) == (start_offset, end_offset)


def test_every_mart_and_column_is_described(defs: dg.Definitions) -> None:
    for name in MARTS:
        [spec] = [s for s in defs.get_assets_def(name).specs if s.key == _key(name)]
        assert spec.description and "Raw SQL" not in spec.description, name
        schema = spec.metadata["dagster/column_schema"]
        assert schema.columns, name
        for column in schema.columns:
            assert column.description, f"{name}.{column.name}"
            assert column.type, f"{name}.{column.name}"
        revenue_types = {c.type for c in schema.columns if "revenue" in c.name}
        assert revenue_types <= {"decimal(38,4)"}, name


def test_dbt_tests_are_blocking_checks_including_reconciliation(defs: dg.Definitions) -> None:
    checks: dict[str, dg.AssetCheckSpec] = {}
    for name in ("sessions", "users"):
        for spec in defs.get_assets_def(name).check_specs:
            checks[spec.name] = spec
    names = set(checks)
    for kind in ("unique_", "not_null_", "accepted_values_", "matches_daily_summary_"):
        assert any(n.startswith(kind) for n in names), kind
    reconciliations = [c for n, c in checks.items() if n.startswith("matches_daily_summary_")]
    assert {c.asset_key.to_user_string() for c in reconciliations} == {
        "user_activity_daily",
        "active_users_daily",
        "purchase_funnel_daily",
    }
    assert all(c.blocking for c in checks.values())
    assert all(
        {d.asset_key for d in c.additional_deps} == {_key("daily_summary")} for c in reconciliations
    )


def test_missing_manifest_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "dbt_project.yml").write_text("name: empty\nprofile: none\n")
    (tmp_path / "profiles.yml").write_text("{}\n")
    project = DbtProject(project_dir=tmp_path)
    with pytest.raises(DbtManifestMissingError, match="make setup"):
        manifest_path(project)
    assert manifest_path() == marts_project.manifest_path


def test_loading_the_code_outside_dev_does_not_parse_dbt() -> None:
    before = marts_project.manifest_path.stat().st_mtime_ns
    env = {k: v for k, v in os.environ.items() if k != "DAGSTER_IS_DEV_CLI"}
    code = "from event_analytics.definitions import defs; defs()"
    subprocess.run([sys.executable, "-c", code], check=True, env=env, cwd=PROJECT_ROOT)
    assert marts_project.manifest_path.stat().st_mtime_ns == before


# --------------------------------------------------------------------------------------------
# Automation: which partitions follow a re-run of an old day
# --------------------------------------------------------------------------------------------

START = dt.date(2025, 1, 1)
DAYS = [START + dt.timedelta(days=i) for i in range(17)]
PLATFORM = ("raw_events", "cleaned_events", "daily_summary")


def _report(instance: dg.DagsterInstance, names: tuple[str, ...], days: list[dt.date]) -> None:
    for name in names:
        for day in days:
            instance.report_runless_asset_event(
                dg.AssetMaterialization(asset_key=name, partition=day.isoformat())
            )


def _requested(result: dg.EvaluateAutomationConditionsResult) -> dict[str, list[str]]:
    requested = {}
    for name in PLATFORM + MARTS:
        count = result.get_num_requested(_key(name))
        if not count:
            continue
        partitions = result.get_requested_partitions(_key(name))
        requested[name] = sorted(str(p) for p in partitions if p is not None) or ["*"]
    return requested


def test_an_old_day_reruns_every_partition_it_feeds(defs: dg.Definitions, tmp_path: Path) -> None:
    platform = Platform(tmp_path)
    graph_defs = dg.Definitions(
        assets=[defs.get_assets_def(name) for name in (*PLATFORM, "sessions", "users")],
        resources={
            **platform.resources,
            "dbt": DbtCliResource(project_dir=marts_project, dbt_executable=DBT_EXECUTABLE),
        },
    )
    instance = dg.DagsterInstance.ephemeral()
    _report(instance, PLATFORM + DAILY_MARTS, DAYS)
    for name in HISTORY_MARTS:
        instance.report_runless_asset_event(dg.AssetMaterialization(asset_key=name))
    baseline = dg.evaluate_automation_conditions(defs=graph_defs, instance=instance)
    assert baseline.total_requested == 0

    # A late file for 2025-01-05: the landing sensor re-materializes raw_events for that day.
    _report(instance, ("raw_events",), [dt.date(2025, 1, 5)])
    first = dg.evaluate_automation_conditions(
        defs=graph_defs, instance=instance, cursor=baseline.cursor
    )
    assert _requested(first) == {
        "cleaned_events": ["2025-01-05"],
        "daily_summary": ["2025-01-05"],
        "user_activity_daily": ["2025-01-05"],
        "purchase_funnel_daily": ["2025-01-05"],
        # Sessions of the 4th may run past midnight into the 5th; those of the 6th may
        # continue a session from the 5th.
        "sessions": ["2025-01-04", "2025-01-05", "2025-01-06"],
        # WAU/MAU of every later day whose 28-day window holds the 5th (up to the last day
        # whose inputs all exist).
        "active_users_daily": [d.isoformat() for d in DAYS[4:]],
    }

    # The history marts wait for the daily runs to finish, then rebuild once, together.
    _report(instance, ("cleaned_events", "daily_summary"), [dt.date(2025, 1, 5)])
    _report(instance, ("user_activity_daily", "purchase_funnel_daily"), [dt.date(2025, 1, 5)])
    _report(instance, ("sessions",), DAYS[3:6])
    _report(instance, ("active_users_daily",), DAYS[4:])
    second = dg.evaluate_automation_conditions(
        defs=graph_defs, instance=instance, cursor=first.cursor
    )
    assert _requested(second) == {"users": ["*"], "user_retention_weekly": ["*"]}
