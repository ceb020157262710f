"""Every Dagster API the platform uses that is not public, named here so an upgrade fails here.

The alert sensors need a few things Dagster does not expose publicly (the cross-run event log,
planned events, check execution history, freshness states). They all live in
`event_analytics.alerts.dagster_internals`; these tests pin each one's name and signature, and
make sure nothing else in the code reaches into Dagster's private modules.
"""

from __future__ import annotations

import ast
import datetime as dt
import enum
import inspect
from collections.abc import Callable
from pathlib import Path

import dagster as dg
import pytest
from dagster._core.definitions.asset_checks.asset_check_evaluation import (
    AssetCheckEvaluationPlanned,
    AssetCheckEvaluationTargetMaterializationData,
)
from dagster._core.definitions.assets.graph.asset_graph import AssetGraph
from dagster._core.definitions.freshness import (
    CronFreshnessPolicy,
    FreshnessState,
    FreshnessStateRecord,
    TimeWindowFreshnessPolicy,
)
from dagster._core.definitions.partitions.subset import PartitionsSubset
from dagster._core.event_api import PartitionKeyFilter
from dagster._core.events import AssetMaterializationPlannedData
from dagster._core.snap.execution_plan_snapshot import (
    ExecutionPlanSnapshot,
    ExecutionStepOutputSnap,
    ExecutionStepSnap,
)
from dagster._core.storage.asset_check_execution_record import (
    COMPLETED_ASSET_CHECK_EXECUTION_RECORD_STATUSES,
    AssetCheckExecutionRecord,
    AssetCheckExecutionRecordStatus,
)
from dagster._core.storage.event_log.base import EventLogStorage

SRC = Path(__file__).resolve().parents[1] / "src" / "event_analytics"
INTERNALS = SRC / "alerts" / "dagster_internals.py"
# The packages that watch Dagster's own records: alerting and the quality checks.
GUARDED = ("alerts", "defs/alerting", "quality", "defs/quality")

# module -> names the internals module imports from it. A new private import must be added
# here (and pinned below), or test_the_internals_module_imports_only_what_is_pinned fails.
PRIVATE_IMPORTS = {
    "dagster._core.definitions.asset_checks.asset_check_evaluation": {
        "AssetCheckEvaluationPlanned",
        "AssetCheckEvaluationTargetMaterializationData",
    },
    "dagster._core.definitions.freshness": {
        "CronFreshnessPolicy",
        "FreshnessState",
        "TimeWindowFreshnessPolicy",
    },
    "dagster._core.event_api": {"PartitionKeyFilter"},
    "dagster._core.events": {"AssetMaterializationPlannedData"},
    "dagster._core.storage.asset_check_execution_record": {
        "COMPLETED_ASSET_CHECK_EXECUTION_RECORD_STATUSES"
    },
}

# Methods and attributes of public objects that are not public API themselves.
PRIVATE_ATTRIBUTES = {
    "event_log_storage",
    "get_records_for_run",
    "get_execution_plan_snapshot",
    "get_freshness_state_records",
    "get_materialized_partitions",
    "all_asset_keys",
    "asset_graph",
    "get_maximum_record_id",
    "get_logs_for_all_runs_by_log_id",
    "get_asset_check_execution_history",
}


def _private_uses(path: Path) -> list[str]:
    uses = []
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("dagster._"):
            uses.append(f"from {node.module} import ...")
        elif isinstance(node, ast.Import):
            uses += [f"import {a.name}" for a in node.names if a.name.startswith("dagster._")]
        elif isinstance(node, ast.Attribute) and node.attr in PRIVATE_ATTRIBUTES:
            uses.append(f".{node.attr}")
    return uses


def test_only_the_internals_module_reaches_into_dagster_private_apis() -> None:
    offenders = {
        str(path.relative_to(SRC)): uses
        for folder in GUARDED
        for path in sorted((SRC / folder).rglob("*.py"))
        if path != INTERNALS and (uses := _private_uses(path))
    }
    assert offenders == {}


def test_the_internals_module_imports_only_what_is_pinned() -> None:
    imported: dict[str, set[str]] = {}
    for node in ast.walk(ast.parse(INTERNALS.read_text("utf-8"))):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("dagster._"):
            imported.setdefault(node.module or "", set()).update(a.name for a in node.names)
        assert not (
            isinstance(node, ast.Import) and any(a.name.startswith("dagster._") for a in node.names)
        ), "import private modules by name with `from ... import`, so they are pinned here"
    assert imported == PRIVATE_IMPORTS


def _parameters(function: Callable[..., object]) -> list[str]:
    return [name for name in inspect.signature(function).parameters if name != "self"]


@pytest.mark.parametrize(
    ("owner", "method", "parameters"),
    [
        (EventLogStorage, "get_maximum_record_id", []),
        (
            EventLogStorage,
            "get_logs_for_all_runs_by_log_id",
            ["after_cursor", "dagster_event_type", "limit"],
        ),
        (
            EventLogStorage,
            "get_asset_check_execution_history",
            ["check_key", "limit", "cursor", "status", "partition_filter"],
        ),
        (
            dg.DagsterInstance,
            "get_records_for_run",
            ["run_id", "cursor", "of_type", "limit", "ascending"],
        ),
        (dg.DagsterInstance, "get_execution_plan_snapshot", ["snapshot_id"]),
        (dg.DagsterInstance, "get_freshness_state_records", ["keys"]),
        (PartitionsSubset, "get_partition_keys", []),
        (AssetGraph, "get", ["key"]),
        (AssetGraph, "get_all_asset_keys", []),
    ],
)
def test_each_private_method_keeps_its_signature(
    owner: type, method: str, parameters: list[str]
) -> None:
    assert _parameters(getattr(owner, method)) == parameters


@pytest.mark.parametrize(
    ("owner", "attributes"),
    [
        (dg.DagsterInstance, ["event_log_storage"]),
        (dg.RepositoryDefinition, ["asset_graph"]),
        (AssetGraph, ["materializable_asset_keys", "observable_asset_keys", "asset_check_keys"]),
    ],
)
def test_each_private_property_exists(owner: type, attributes: list[str]) -> None:
    for attribute in attributes:
        assert hasattr(owner, attribute), attribute


@pytest.mark.parametrize(
    ("record", "fields"),
    [
        (AssetMaterializationPlannedData, ["asset_key", "partition", "partitions_subset"]),
        (AssetCheckEvaluationPlanned, ["asset_key", "check_name", "partitions_subset"]),
        (AssetCheckEvaluationTargetMaterializationData, ["storage_id", "run_id", "timestamp"]),
        (
            AssetCheckExecutionRecord,
            ["key", "id", "run_id", "status", "event", "create_timestamp", "partition"],
        ),
        (FreshnessStateRecord, ["entity_key", "freshness_state", "updated_at"]),
        (PartitionKeyFilter, ["key"]),
        (TimeWindowFreshnessPolicy, ["fail_window", "warn_window"]),
        (CronFreshnessPolicy, ["deadline_cron", "lower_bound_delta", "timezone"]),
        (ExecutionPlanSnapshot, ["steps"]),
        (ExecutionStepSnap, ["key", "outputs"]),
        (ExecutionStepOutputSnap, ["properties"]),
    ],
)
def test_each_private_record_keeps_its_fields(record: type, fields: list[str]) -> None:
    annotations: dict[str, object] = {}
    for klass in reversed(record.__mro__):
        annotations.update(getattr(klass, "__annotations__", {}))
    known = set(annotations) | set(getattr(record, "_fields", ()))
    missing = {field for field in fields if field not in known and not hasattr(record, field)}
    assert not missing


def test_the_freshness_states_and_check_statuses_keep_their_names() -> None:
    assert issubclass(FreshnessState, enum.Enum)
    assert {"PASS", "WARN", "FAIL", "UNKNOWN", "NOT_APPLICABLE"} <= set(FreshnessState.__members__)
    assert {s.value for s in COMPLETED_ASSET_CHECK_EXECUTION_RECORD_STATUSES} == {
        "SUCCEEDED",
        "FAILED",
    }
    assert {s.value for s in AssetCheckExecutionRecordStatus} >= {"PLANNED", "SUCCEEDED", "FAILED"}
    # The freshness policies the platform builds are the classes the internals module names.
    policy = dg.FreshnessPolicy.time_window(fail_window=dt.timedelta(hours=1))
    assert isinstance(policy, TimeWindowFreshnessPolicy)
