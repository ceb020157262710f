"""Every Dagster API the alert sensors use that is not public, in one place.

The rest of `alerts/` imports only from `dagster` and from here. Each use below has no public
equivalent in Dagster 1.13, and each is pinned by `tests/test_dagster_internals.py` (its name,
signature or fields), so a Dagster upgrade that changes one fails that test, not the sensors
in production. What each one is for:

- The cross-run event log (`EventLogStorage.get_maximum_record_id`,
  `get_logs_for_all_runs_by_log_id`): the check sensor reads every check evaluation in storage
  order, non-blocking failures and check-only runs included. A failed non-blocking check does
  not fail its run (dagster#29896), so no run-status sensor ever sees it, and the public
  `DagsterInstance.fetch_*` readers cover materializations, observations and run status
  changes, not check evaluations.
- A run's own events (`DagsterInstance.get_records_for_run`) and the planned-event classes
  (`AssetMaterializationPlannedData`, `AssetCheckEvaluationPlanned`): what a failed run meant
  to produce, partition by partition (a single-run backfill may plan a whole range in one
  event, as a partitions subset).
- The run's execution plan (`DagsterInstance.get_execution_plan_snapshot`): which assets the
  failed steps produce, so the message names the culprit.
- The check execution history (`EventLogStorage.get_asset_check_execution_history`,
  `PartitionKeyFilter`, `COMPLETED_ASSET_CHECK_EXECUTION_RECORD_STATUSES`): whether a check
  completed for one given partition since a failure.
- The materialization a check evaluated (`AssetCheckEvaluationTargetMaterializationData`),
  for the per-day check results of `defs/quality/per_day.py`: the UI counts a partition's
  check result only when it names the partition's latest materialization, and Dagster fills
  it in only for a check run on one partition (`AssetCheckResult`), never for a range.
- Freshness states (`DagsterInstance.get_freshness_state_records`, `FreshnessState`,
  `TimeWindowFreshnessPolicy`, `CronFreshnessPolicy`): what Dagster's freshness daemon decided.
  Open-source Dagster shows it in the UI only; there is no public reader.
- The code location's asset graph (`RepositoryDefinition.asset_graph`): which assets the
  location owns (materializable or observable, not merely referenced upstream), their checks
  and their freshness policies.

Why the run-failure alert does not use `dg.run_failure_sensor`: that decorator owns the
sensor's cursor, and the open incidents (which must survive daemon restarts) live in the
cursor; it is also only called for a failed run, while incidents must be resolved on ticks
when nothing fails, and per partition. Run failures themselves are read through the public
`DagsterInstance.fetch_run_status_changes`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import dagster as dg
from dagster._core.definitions.asset_checks.asset_check_evaluation import (
    AssetCheckEvaluationPlanned,
    AssetCheckEvaluationTargetMaterializationData,
)
from dagster._core.definitions.freshness import (
    CronFreshnessPolicy,
    FreshnessState,
    TimeWindowFreshnessPolicy,
)
from dagster._core.event_api import PartitionKeyFilter
from dagster._core.events import AssetMaterializationPlannedData
from dagster._core.storage.asset_check_execution_record import (
    COMPLETED_ASSET_CHECK_EXECUTION_RECORD_STATUSES,
)

# --- the event log across runs -------------------------------------------------------------


def latest_storage_id(instance: dg.DagsterInstance) -> int:
    """The storage id of the newest event in the event log (0 when it is empty)."""
    return instance.event_log_storage.get_maximum_record_id() or 0


def check_evaluations_after(
    instance: dg.DagsterInstance, after: int, limit: int
) -> list[tuple[int, dg.EventLogEntry, dg.AssetCheckEvaluation | None]]:
    """Check evaluations stored after `after`, oldest first: (storage id, entry, evaluation).

    Reads the cross-run index, which run-sharded SQLite storage keeps too. The evaluation is
    None for an entry that does not carry one (the caller still moves past it).
    """
    entries = instance.event_log_storage.get_logs_for_all_runs_by_log_id(
        after_cursor=after,
        dagster_event_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION,
        limit=limit,
    )
    found = []
    for storage_id, entry in sorted(entries.items()):
        data = event_data(entry)
        evaluation = data if isinstance(data, dg.AssetCheckEvaluation) else None
        found.append((storage_id, entry, evaluation))
    return found


def event_data(entry: dg.EventLogEntry) -> Any:
    """The event-specific payload of a Dagster event entry (None for a plain log line)."""
    return entry.dagster_event.event_specific_data if entry.dagster_event else None


# --- one run's events ----------------------------------------------------------------------


def run_records(
    instance: dg.DagsterInstance, run_id: str, event_type: dg.DagsterEventType
) -> list[dg.EventLogRecord]:
    """Every event of one type in one run, in order."""
    return list(instance.get_records_for_run(run_id, of_type=event_type).records)


@dataclass
class Planned:
    """What a run planned: each asset's and each check's partition keys (None: unpartitioned)."""

    assets: dict[dg.AssetKey, set[str | None]] = field(default_factory=dict)
    checks: dict[dg.AssetCheckKey, set[str | None]] = field(default_factory=dict)


def planned_by_run(instance: dg.DagsterInstance, run_id: str) -> Planned:
    """The asset and check partitions a run planned, every key of a planned range included."""
    planned = Planned()
    for record in run_records(instance, run_id, dg.DagsterEventType.ASSET_MATERIALIZATION_PLANNED):
        data = event_data(record.event_log_entry)
        if isinstance(data, AssetMaterializationPlannedData):
            keys = _keys(data.partitions_subset) or {data.partition}
            planned.assets.setdefault(data.asset_key, set()).update(keys)
    for record in run_records(instance, run_id, dg.DagsterEventType.ASSET_CHECK_EVALUATION_PLANNED):
        data = event_data(record.event_log_entry)
        if isinstance(data, AssetCheckEvaluationPlanned):
            keys = _keys(data.partitions_subset) or {None}
            planned.checks.setdefault(data.asset_check_key, set()).update(keys)
    return planned


def _keys(subset: Any) -> set[str | None]:
    return set(subset.get_partition_keys()) if subset is not None else set()


def assets_of_steps(
    instance: dg.DagsterInstance, run: dg.DagsterRun, step_keys: Iterable[str]
) -> set[dg.AssetKey]:
    """The assets the given steps of a run produce, from the run's own execution plan."""
    wanted = set(step_keys)
    if not run.execution_plan_snapshot_id or not wanted:
        return set()
    plan = instance.get_execution_plan_snapshot(run.execution_plan_snapshot_id)
    return {
        output.properties.asset_key
        for step in plan.steps
        if step.key in wanted
        for output in step.outputs
        if output.properties and output.properties.asset_key
    }


# --- check execution history ---------------------------------------------------------------


@dataclass(frozen=True)
class CheckExecution:
    """One row of a check's execution history: planned, or completed (passed or failed)."""

    run_id: str
    partition: str | None
    completed: bool
    timestamp: float


def check_executions_since(
    instance: dg.DagsterInstance,
    key: dg.AssetCheckKey,
    partition: str | None,
    since: float,
    page_size: int = 50,
) -> list[CheckExecution]:
    """The check's executions recorded for exactly `partition` after `since`, newest first.

    `partition=None` means the evaluations reported without a partition: an unpartitioned
    check, or one that reports once for a whole run.
    """
    found: list[CheckExecution] = []
    cursor = None
    while True:
        page = instance.event_log_storage.get_asset_check_execution_history(
            key, limit=page_size, cursor=cursor, partition_filter=PartitionKeyFilter(key=partition)
        )
        for record in page:
            at = record.event.timestamp if record.event else record.create_timestamp
            if at <= since:
                return found
            completed = record.status in COMPLETED_ASSET_CHECK_EXECUTION_RECORD_STATUSES
            found.append(CheckExecution(record.run_id, record.partition, completed, at))
        if len(page) < page_size:
            return found
        cursor = page[-1].id


# --- what a check evaluated ----------------------------------------------------------------


def materializations_checked(
    instance: dg.DagsterInstance, asset_key: dg.AssetKey, partitions: Sequence[str]
) -> dict[str, AssetCheckEvaluationTargetMaterializationData]:
    """The latest materialization of each of `partitions` (those that have one), as a check
    evaluation names the data it judged."""
    wanted = set(partitions)
    found: dict[str, AssetCheckEvaluationTargetMaterializationData] = {}

    def record(entry: dg.EventLogRecord) -> None:
        if entry.partition_key in wanted and entry.partition_key not in found:
            found[entry.partition_key] = AssetCheckEvaluationTargetMaterializationData(
                storage_id=entry.storage_id, run_id=entry.run_id, timestamp=entry.timestamp
            )

    # One query for all: newest first, so in a run that materialized every day, each day's
    # latest is among the first len(partitions). A day re-materialized since is looked up alone.
    latest = dg.AssetRecordsFilter(asset_key=asset_key, asset_partitions=list(wanted))
    for entry in instance.fetch_materializations(latest, limit=len(wanted)).records:
        record(entry)
    for partition in sorted(wanted - found.keys()):
        alone = dg.AssetRecordsFilter(asset_key=asset_key, asset_partitions=[partition])
        for entry in instance.fetch_materializations(alone, limit=1).records:
            record(entry)
    return found


# --- freshness -----------------------------------------------------------------------------


@dataclass(frozen=True)
class FreshnessReading:
    """An asset's freshness as the daemon last decided it: PASS, WARN, FAIL or UNKNOWN."""

    state: str
    updated_at: dt.datetime


def freshness_readings(
    instance: dg.DagsterInstance, keys: Sequence[dg.AssetKey]
) -> dict[dg.AssetKey, FreshnessReading]:
    """The current freshness state of each asset that has one."""
    records = instance.get_freshness_state_records(list(keys)) if keys else {}
    return {
        key: FreshnessReading(FreshnessState(record.freshness_state).value, record.updated_at)
        for key, record in records.items()
    }


def describe_freshness_policy(policy: Any) -> str:
    """A freshness policy in words, for an alert's details."""
    if isinstance(policy, TimeWindowFreshnessPolicy):
        text = f"expected at least every {policy.fail_window.to_timedelta()}"
        if policy.warn_window:
            text += f" (warning after {policy.warn_window.to_timedelta()})"
        return text
    if isinstance(policy, CronFreshnessPolicy):
        return (
            f"expected by each '{policy.deadline_cron}' ({policy.timezone}) deadline, "
            f"within {policy.lower_bound_delta} before it"
        )
    return "its freshness policy"


# --- the code location ---------------------------------------------------------------------


def owned_keys(
    repository: dg.RepositoryDefinition,
) -> tuple[frozenset[dg.AssetKey], frozenset[dg.AssetCheckKey]]:
    """The assets a code location materializes or observes, and its checks."""
    graph = repository.asset_graph
    assets = graph.materializable_asset_keys | graph.observable_asset_keys
    return frozenset(assets), frozenset(graph.asset_check_keys)


def freshness_policies(repository: dg.RepositoryDefinition) -> dict[dg.AssetKey, Any]:
    """Each asset of the code location with a freshness policy, and that policy."""
    graph = repository.asset_graph
    policies = {key: graph.get(key).freshness_policy for key in graph.get_all_asset_keys()}
    return {key: policy for key, policy in policies.items() if policy is not None}
