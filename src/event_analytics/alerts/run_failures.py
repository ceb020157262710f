"""Run failures: a failed run leaves platform (asset, partition)s unmaterialized, or platform
checks unevaluated in a check-only run (e.g. a scheduled deadline check that crashed). That
opens an incident, resolved once every one of them has been materialized (or evaluated) again.

Tracked per (asset, partition[, check]), not per run: a retry that fails on the same partition
is the same outage and sends nothing new; a later run failing on other partitions opens a new
incident.
"""

from __future__ import annotations

import logging
from typing import Any

import dagster as dg
from dagster._core.definitions.asset_checks.asset_check_evaluation import (
    AssetCheckEvaluationPlanned,
)
from dagster._core.events import AssetMaterializationPlannedData, DagsterEventType
from dagster._core.storage.asset_check_execution_record import (
    COMPLETED_ASSET_CHECK_EXECUTION_RECORD_STATUSES,
)

from event_analytics.alerts.message import Alert, Links, asset_name, iso_utc, where
from event_analytics.alerts.scope import AlertScope, run_partition_label
from event_analytics.alerts.state import AlertState

BATCH_SIZE = 100
# A single-run backfill over years plans thousands of partitions; the incident remembers this
# many per asset (the earliest), which keeps the cursor small and still means "recovered".
MAX_PARTITIONS_TRACKED = 100
# (asset, partition or None, check name or None): what the failed run should have produced.
Item = tuple[str, str | None, str | None]
Log = logging.Logger | logging.LoggerAdapter[Any]


def _event_data(record: Any) -> Any:
    event = record.event_log_entry.dagster_event
    return event.event_specific_data if event else None


def _records(instance: dg.DagsterInstance, run_id: str, event_type: DagsterEventType) -> list[Any]:
    return list(instance.get_records_for_run(run_id, of_type=event_type).records)


def _planned_assets(instance: dg.DagsterInstance, run_id: str) -> set[Item]:
    items: set[Item] = set()
    for record in _records(instance, run_id, DagsterEventType.ASSET_MATERIALIZATION_PLANNED):
        data = _event_data(record)
        if not isinstance(data, AssetMaterializationPlannedData):
            continue
        name = asset_name(data.asset_key)
        if data.partitions_subset is not None:
            keys = sorted(data.partitions_subset.get_partition_keys())[:MAX_PARTITIONS_TRACKED]
            items.update((name, key, None) for key in keys)
        else:
            items.add((name, data.partition, None))
    return items


def _materialized(instance: dg.DagsterInstance, run_id: str) -> set[Item]:
    items: set[Item] = set()
    for record in _records(instance, run_id, DagsterEventType.ASSET_MATERIALIZATION):
        event = record.event_log_entry.dagster_event
        if event and event.asset_key:
            items.add((asset_name(event.asset_key), event.partition, None))
    return items


def _unevaluated_checks(
    instance: dg.DagsterInstance, run: dg.DagsterRun, scope: AlertScope, planned_assets: set[str]
) -> set[Item]:
    """Checks the run planned but never evaluated, in a run that did not build their asset.

    Checks of an asset the run builds are left out: the asset's own recovery covers them.
    """
    planned = {
        data.asset_check_key
        for record in _records(
            instance, run.run_id, DagsterEventType.ASSET_CHECK_EVALUATION_PLANNED
        )
        if isinstance(data := _event_data(record), AssetCheckEvaluationPlanned)
    }
    evaluated = {
        data.asset_check_key
        for record in _records(instance, run.run_id, DagsterEventType.ASSET_CHECK_EVALUATION)
        if isinstance(data := _event_data(record), dg.AssetCheckEvaluation)
    }
    partition = run_partition_label(run.tags)
    return {
        (asset_name(key.asset_key), partition, key.name)
        for key in planned - evaluated
        if scope.covers_check(key) and asset_name(key.asset_key) not in planned_assets
    }


def _root_message(error: Any) -> str:
    """The innermost cause of a Dagster error: the user's exception, not Dagster's wrapper."""
    while getattr(error, "cause", None) is not None:
        error = error.cause
    text = (error.message or "").strip()
    return f"{error.cls_name}: {text}" if error.cls_name else text


def _failed_steps(instance: dg.DagsterInstance, run_id: str) -> dict[str, str]:
    """Failed step key -> the error that failed it."""
    failures: dict[str, str] = {}
    for record in _records(instance, run_id, DagsterEventType.STEP_FAILURE):
        entry = record.event_log_entry
        error = getattr(_event_data(record), "error", None)
        failures[entry.step_key or "?"] = _root_message(error) if error else entry.message
    return failures


def _assets_of_steps(
    instance: dg.DagsterInstance, run: dg.DagsterRun, step_keys: set[str]
) -> list[str]:
    """The assets the given steps materialize, from the run's own execution plan."""
    if not run.execution_plan_snapshot_id or not step_keys:
        return []
    plan = instance.get_execution_plan_snapshot(run.execution_plan_snapshot_id)
    names = {
        asset_name(output.properties.asset_key)
        for step in plan.steps
        if step.key in step_keys
        for output in step.outputs
        if output.properties and output.properties.asset_key
    }
    return sorted(names)


def _label(partitions: set[str | None]) -> str | None:
    keys = sorted(p for p in partitions if p)
    if not keys:
        return None
    return keys[0] if len(keys) == 1 else f"{keys[0]}...{keys[-1]}"


def _open_items(state: AlertState) -> set[Item]:
    return {tuple(item) for incident in state.open.values() for item in incident["pending"]}


def _missing(instance: dg.DagsterInstance, run: dg.DagsterRun, scope: AlertScope) -> set[Item]:
    """What the failed run should have produced for this code location and did not."""
    planned = _planned_assets(instance, run.run_id)
    assets = {
        item
        for item in planned - _materialized(instance, run.run_id)
        if scope.covers_asset(dg.AssetKey.from_user_string(item[0]))
    }
    planned_names = {item[0] for item in planned}
    return assets | _unevaluated_checks(instance, run, scope, planned_names)


def _describe(
    instance: dg.DagsterInstance, run: dg.DagsterRun, new: set[Item], record: Any
) -> tuple[str, str | None, str | None, str]:
    """(asset, partition, check, details) of the firing message."""
    failures = _failed_steps(instance, run.run_id)
    culprits = _assets_of_steps(instance, run, set(failures)) or sorted({i[0] for i in new})
    checks = sorted({i[2] for i in new if i[2]})
    partition = run_partition_label(run.tags) or _label({i[1] for i in new})
    details = [f"Step {step} failed: {error}" for step, error in failures.items()]
    if not failures:
        # Failed before or outside any step (resources that cannot start, a crashed worker).
        error = getattr(_event_data(record), "error", None)
        details.append(
            f"The run failed before any step ran: {_root_message(error)}"
            if error
            else record.event_log_entry.message or "The run failed before any step ran."
        )
    not_built = sorted({i[0] for i in new if not i[2]} - set(culprits))
    if not_built:
        details.append(f"Not materialized because of it: {', '.join(not_built)}.")
    if checks:
        details.append(f"Checks not evaluated: {', '.join(checks)}.")
    details.append(f"Run {run.run_id} (job {run.job_name}).")
    return ", ".join(culprits), partition, ", ".join(checks) or None, "\n".join(details)


def _on_failure(
    instance: dg.DagsterInstance,
    record: Any,
    state: AlertState,
    links: Links,
    scope: AlertScope,
    log: Log,
) -> Alert | None:
    run = instance.get_run_by_id(record.event_log_entry.run_id)
    if run is None:
        return None
    missing = _missing(instance, run, scope)
    new = missing - _open_items(state)
    if not new:
        if missing:
            log.info(f"Run {run.run_id} failed on what is already alerted on; no new alert.")
        return None
    asset, partition, check, details = _describe(instance, run, new, record)
    incident = f"run_failure:{run.run_id}"
    since = iso_utc(record.timestamp)
    opened = {
        "asset": asset,
        "partition": partition,
        "check": check,
        "run_id": run.run_id,
        "failed_at": record.storage_id,
        "failed_ts": record.timestamp,
        "since": since,
        "pending": sorted(new, key=lambda i: (i[0], i[1] or "", i[2] or "")),
    }
    state.open_incident(incident, opened, log)
    return Alert(
        status="firing",
        kind="run_failure",
        asset=asset,
        partition=partition,
        check=check,
        summary=f"Run failed on {where(asset, partition)}.",
        details=details,
        url=links.run(run.run_id),
        occurred_at=since,
        incident=incident,
    )


class _Recovery:
    """Finds, for pending items, what later produced them again; remembers the latest."""

    def __init__(self, instance: dg.DagsterInstance, opened: dict[str, Any]) -> None:
        self.instance = instance
        self.opened = opened
        self.last_run_id: str | None = None
        self.last_ts = 0.0

    def _saw(self, run_id: str, timestamp: float) -> None:
        if timestamp >= self.last_ts:
            self.last_run_id, self.last_ts = run_id, timestamp

    def rematerialized(self, asset: str, partitions: list[str | None]) -> set[str | None]:
        """The pending partitions of `asset` materialized after the failure."""
        keyed = [p for p in partitions if p is not None]
        records_filter = dg.AssetRecordsFilter(
            asset_key=dg.AssetKey.from_user_string(asset),
            asset_partitions=keyed or None,
            after_storage_id=self.opened["failed_at"],
        )
        done: set[str | None] = set()
        cursor = None
        while True:
            result = self.instance.fetch_materializations(
                records_filter, limit=BATCH_SIZE, cursor=cursor, ascending=True
            )
            for record in result.records:
                done.add(record.partition_key if keyed else None)
                self._saw(record.run_id, record.timestamp)
            if not result.has_more:
                return done
            cursor = result.cursor

    def evaluated(self, asset: str, check: str) -> bool:
        """Whether the check has completed an evaluation (pass or fail) since the failure."""
        key = dg.AssetCheckKey(dg.AssetKey.from_user_string(asset), check)
        # Completed evaluations only: a planned one (another run, maybe failing too) is not
        # a recovery.
        latest = self.instance.event_log_storage.get_asset_check_execution_history(
            key, limit=1, status=COMPLETED_ASSET_CHECK_EXECUTION_RECORD_STATUSES
        )
        entry = latest[0].event if latest else None
        if entry is None or entry.timestamp <= self.opened["failed_ts"]:
            return False
        self._saw(entry.run_id, entry.timestamp)
        return True


def _still_pending(recovery: _Recovery, pending: list[Item]) -> list[Item]:
    by_asset: dict[str, list[str | None]] = {}
    for asset, partition, check in pending:
        if check is None:
            by_asset.setdefault(asset, []).append(partition)
    still: list[Item] = []
    for asset, partitions in by_asset.items():
        done = recovery.rematerialized(asset, partitions)
        still += [(asset, p, None) for p in partitions if p not in done]
    still += [
        (asset, partition, check)
        for asset, partition, check in pending
        if check is not None and not recovery.evaluated(asset, check)
    ]
    return still


def _resolutions(instance: dg.DagsterInstance, state: AlertState, links: Links) -> list[Alert]:
    alerts: list[Alert] = []
    for incident, opened in list(state.open.items()):
        recovery = _Recovery(instance, opened)
        still = _still_pending(recovery, [tuple(i) for i in opened["pending"]])
        if still:
            opened["pending"] = still
            continue
        state.close_incident(incident)
        run_id = recovery.last_run_id or opened["run_id"]
        partition = opened["partition"]
        alerts.append(
            Alert(
                status="resolved",
                kind="run_failure",
                asset=opened["asset"],
                partition=partition,
                check=opened.get("check"),
                summary=(
                    f"Recovered: {where(opened['asset'], partition)} produced again by a later run."
                ),
                details=f"Failed in run {opened['run_id']} since {opened['since']}; "
                f"recovered in run {run_id}.",
                url=links.run(run_id),
                occurred_at=iso_utc(recovery.last_ts) if recovery.last_ts else opened["since"],
                incident=incident,
            )
        )
    return alerts


def scan_run_failures(
    instance: dg.DagsterInstance,
    state: AlertState,
    links: Links,
    scope: AlertScope,
    log: Log,
) -> list[Alert]:
    """Firing alerts for runs that failed since `state.after`, then resolved ones; updates state.

    The first tick only marks the latest run failure: alerts are about runs from then on.
    """
    if state.after is None:
        latest = instance.fetch_run_status_changes(DagsterEventType.RUN_FAILURE, limit=1).records
        state.after = latest[0].storage_id if latest else 0
        return []
    failures = instance.fetch_run_status_changes(
        dg.RunStatusChangeRecordsFilter(
            event_type=DagsterEventType.RUN_FAILURE, after_storage_id=state.after
        ),
        limit=BATCH_SIZE,
        ascending=True,
    ).records
    alerts: list[Alert] = []
    for record in failures:
        state.after = record.storage_id
        alert = _on_failure(instance, record, state, links, scope, log)
        if alert is not None:
            alerts.append(alert)
    return alerts + _resolutions(instance, state, links)
