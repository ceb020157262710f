"""Run failures: a failed run leaves platform (asset, partition)s unmaterialized, or platform
checks unevaluated in a check-only run (e.g. a scheduled deadline check that crashed). That
opens an incident, resolved once every one of them has been materialized (or evaluated) again.

Tracked per (asset, partition[, check]), not per run: a retry that fails on the same partition
is the same outage and sends nothing new; a later run failing on other partitions opens a new
incident. Every partition is remembered, however large the failed range, and each must come
back before the incident resolves (see `recovery`).
"""

from __future__ import annotations

import logging
from typing import Any

import dagster as dg

from event_analytics.alerts.dagster_internals import (
    Planned,
    assets_of_steps,
    event_data,
    planned_by_run,
    run_records,
)
from event_analytics.alerts.message import Alert, Links, asset_name, iso_utc, where
from event_analytics.alerts.partition_keys import label
from event_analytics.alerts.recovery import Item, pack_items, resolutions, unpack_items
from event_analytics.alerts.scope import AlertScope, run_partition_label
from event_analytics.alerts.state import AlertState

BATCH_SIZE = 100
Log = logging.Logger | logging.LoggerAdapter[Any]


def _materialized(instance: dg.DagsterInstance, run_id: str) -> set[tuple[dg.AssetKey, str | None]]:
    """The (asset, partition)s the run did materialize."""
    return {
        (event.asset_key, event.partition)
        for record in run_records(instance, run_id, dg.DagsterEventType.ASSET_MATERIALIZATION)
        if (event := record.event_log_entry.dagster_event) and event.asset_key
    }


def _evaluated(
    instance: dg.DagsterInstance, run_id: str, planned: Planned
) -> set[tuple[dg.AssetCheckKey, str | None]]:
    """The (check, partition)s the run evaluated. An evaluation that names no partition
    covers every partition the run planned for its check."""
    done: set[tuple[dg.AssetCheckKey, str | None]] = set()
    for record in run_records(instance, run_id, dg.DagsterEventType.ASSET_CHECK_EVALUATION):
        data = event_data(record.event_log_entry)
        if not isinstance(data, dg.AssetCheckEvaluation):
            continue
        key = data.asset_check_key
        partitions: set[str | None] = {data.partition}
        if data.partition is None:
            partitions |= planned.checks.get(key, set())
        done |= {(key, partition) for partition in partitions}
    return done


def _missing(instance: dg.DagsterInstance, run: dg.DagsterRun, scope: AlertScope) -> set[Item]:
    """What the failed run should have produced for this code location and did not.

    Checks count only in runs that did not build their asset (check-only runs, like the
    scheduled deadline checks): the asset's own recovery covers the checks that run with it.
    """
    planned = planned_by_run(instance, run.run_id)
    built = _materialized(instance, run.run_id)
    missing: set[Item] = {
        (asset_name(key), partition, None)
        for key, partitions in planned.assets.items()
        if scope.covers_asset(key)
        for partition in partitions
        if (key, partition) not in built
    }
    evaluated = _evaluated(instance, run.run_id, planned)
    missing |= {
        (asset_name(key.asset_key), partition, key.name)
        for key, partitions in planned.checks.items()
        if key.asset_key not in planned.assets and scope.covers_check(key)
        for partition in partitions
        if (key, partition) not in evaluated
    }
    return missing


def _root_message(error: Any) -> str:
    """The innermost cause of a Dagster error: the user's exception, not Dagster's wrapper."""
    while getattr(error, "cause", None) is not None:
        error = error.cause
    text = (error.message or "").strip()
    return f"{error.cls_name}: {text}" if error.cls_name else text


def _failed_steps(instance: dg.DagsterInstance, run_id: str) -> dict[str, str]:
    """Failed step key -> the error that failed it."""
    failures: dict[str, str] = {}
    for record in run_records(instance, run_id, dg.DagsterEventType.STEP_FAILURE):
        entry = record.event_log_entry
        error = getattr(event_data(entry), "error", None)
        failures[entry.step_key or "?"] = _root_message(error) if error else entry.message
    return failures


def _open_items(state: AlertState) -> set[Item]:
    return {item for incident in state.open.values() for item in unpack_items(incident["pending"])}


def _describe(
    instance: dg.DagsterInstance, run: dg.DagsterRun, new: set[Item], record: Any
) -> tuple[str, str | None, str | None, str]:
    """(asset, partition, check, details) of the firing message."""
    failures = _failed_steps(instance, run.run_id)
    culprits = sorted(asset_name(k) for k in assets_of_steps(instance, run, failures))
    culprits = culprits or sorted({i[0] for i in new})
    checks = sorted({i[2] for i in new if i[2]})
    partition = run_partition_label(run.tags) or label({i[1] for i in new})
    details = [f"Step {step} failed: {error}" for step, error in failures.items()]
    if not failures:
        # Failed before or outside any step (resources that cannot start, a crashed worker).
        error = getattr(event_data(record.event_log_entry), "error", None)
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
        "pending": pack_items(new),
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
        latest = instance.fetch_run_status_changes(dg.DagsterEventType.RUN_FAILURE, limit=1).records
        state.after = latest[0].storage_id if latest else 0
        return []
    failures = instance.fetch_run_status_changes(
        dg.RunStatusChangeRecordsFilter(
            event_type=dg.DagsterEventType.RUN_FAILURE, after_storage_id=state.after
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
    return alerts + resolutions(instance, state, links)
