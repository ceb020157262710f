"""Check failures: an ERROR-severity check evaluation that fails opens an incident for its
(asset, check, partition); the next passing evaluation of the same triple resolves it.

Read from the event log, not from runs: a non-blocking failed check does not fail its run
(dagster#29896), so no run-status sensor ever sees it. WARN-severity failures are logged by
the sensor, never paged: WARN is the check author saying "worth a look, not worth a page".
"""

from __future__ import annotations

import logging
from typing import Any

import dagster as dg
from dagster._core.events import DagsterEventType

from event_analytics.alerts.message import Alert, Links, asset_name, iso_utc, where
from event_analytics.alerts.scope import AlertScope, run_partition_label
from event_analytics.alerts.state import AlertState

# Evaluations read per tick; the cursor resumes where a full batch stopped.
BATCH_SIZE = 1000
MAX_METADATA_LINES = 6


class RunTags:
    """Run tags by run id, fetched once per tick (a batch often holds many events of one run)."""

    def __init__(self, instance: dg.DagsterInstance) -> None:
        self.instance = instance
        self.cache: dict[str, dict[str, str]] = {}

    def __call__(self, run_id: str) -> dict[str, str]:
        if run_id not in self.cache:
            run = self.instance.get_run_by_id(run_id) if run_id else None
            self.cache[run_id] = dict(run.tags) if run else {}
        return self.cache[run_id]


def check_incident_id(asset: str, check: str, partition: str | None) -> str:
    return f"check_failure:{asset}:{check}:{partition or '-'}"


def _metadata_lines(evaluation: dg.AssetCheckEvaluation) -> list[str]:
    lines = []
    for key, value in list(evaluation.metadata.items())[:MAX_METADATA_LINES]:
        lines.append(f"{key}: {str(value.value)[:200]}")
    return lines


def _firing(
    evaluation: dg.AssetCheckEvaluation,
    partition: str | None,
    entry: Any,
    links: Links,
    incident: str,
) -> Alert:
    asset = asset_name(evaluation.asset_key)
    # The check's own description says what is wrong; it leads the summary.
    reason = (evaluation.description or "").strip().splitlines()
    summary = f"Check {evaluation.check_name} failed on {where(asset, partition)}"
    summary += f": {reason[0]}" if reason else " (severity ERROR)."
    details = [*reason[1:], *_metadata_lines(evaluation)]
    details.append(f"Run {entry.run_id}." if entry.run_id else "Reported outside a run.")
    return Alert(
        status="firing",
        kind="check_failure",
        asset=asset,
        partition=partition,
        check=evaluation.check_name,
        summary=summary,
        details="\n".join(details),
        url=links.asset(evaluation.asset_key),
        occurred_at=iso_utc(entry.timestamp),
        incident=incident,
    )


def _resolved(
    evaluation: dg.AssetCheckEvaluation,
    partition: str | None,
    entry: Any,
    links: Links,
    incident: str,
    opened: dict[str, Any],
) -> Alert:
    asset = asset_name(evaluation.asset_key)
    return Alert(
        status="resolved",
        kind="check_failure",
        asset=asset,
        partition=partition,
        check=evaluation.check_name,
        summary=f"Check {evaluation.check_name} passes again on {where(asset, partition)}.",
        details=f"Failing since {opened.get('since', 'unknown')}."
        + (f" Passed in run {entry.run_id}." if entry.run_id else ""),
        url=links.asset(evaluation.asset_key),
        occurred_at=iso_utc(entry.timestamp),
        incident=incident,
    )


def scan_check_evaluations(
    instance: dg.DagsterInstance,
    state: AlertState,
    links: Links,
    scope: AlertScope,
    log: logging.Logger | logging.LoggerAdapter[Any],
) -> list[Alert]:
    """The alerts for check evaluations recorded since `state.after`; updates `state`.

    The first tick only marks the current end of the event log: alerts are about what happens
    once the sensor runs, not a replay of history.
    """
    storage = instance.event_log_storage
    if state.after is None:
        state.after = storage.get_maximum_record_id() or 0
        return []
    # Reads the cross-run index (also on run-sharded SQLite), in storage-id order.
    entries = storage.get_logs_for_all_runs_by_log_id(
        after_cursor=state.after,
        dagster_event_type=DagsterEventType.ASSET_CHECK_EVALUATION,
        limit=BATCH_SIZE,
    )
    run_tags = RunTags(instance)
    alerts: list[Alert] = []
    for storage_id in sorted(entries):
        state.after = storage_id
        entry = entries[storage_id]
        evaluation = entry.dagster_event.event_specific_data if entry.dagster_event else None
        if not isinstance(evaluation, dg.AssetCheckEvaluation):
            continue
        if not scope.covers_check(evaluation.asset_check_key):
            continue
        partition = evaluation.partition or run_partition_label(run_tags(entry.run_id))
        asset = asset_name(evaluation.asset_key)
        incident = check_incident_id(asset, evaluation.check_name, partition)
        if evaluation.passed:
            opened = state.close_incident(incident)
            if opened is not None:
                alerts.append(_resolved(evaluation, partition, entry, links, incident, opened))
        elif evaluation.severity != dg.AssetCheckSeverity.ERROR:
            log.warning(
                f"Check {evaluation.check_name} failed on {asset}"
                f"{f' [{partition}]' if partition else ''} with severity "
                f"{evaluation.severity.value}: logged, not paged. {evaluation.description or ''}"
            )
        elif incident not in state.open:
            state.open_incident(incident, {"since": iso_utc(entry.timestamp)}, log)
            alerts.append(_firing(evaluation, partition, entry, links, incident))
    return alerts
