"""Check failures: an ERROR-severity check evaluation that fails opens an incident for the
partitions it is about; passing evaluations of the same check for those partitions resolve it.

Incidents are per day, whatever run opened them. The platform's checks report each day of a
range run on its own, so a range in which one day fails opens that day's incident, and the
day's re-run alone resolves it. A check that reports once for a whole run without naming a
day (dbt tests do) is about every day the run covered: its incident names the range and
resolves once each of those days has passed since, in one run or day by day.

Read from the event log, not from runs: a non-blocking failed check does not fail its run
(dagster#29896), so no run-status sensor ever sees it. WARN-severity failures are logged by
the sensor, never paged: WARN is the check author saying "worth a look, not worth a page".
"""

from __future__ import annotations

import logging
from typing import Any

import dagster as dg

from event_analytics.alerts.dagster_internals import (
    Planned,
    check_evaluations_after,
    latest_storage_id,
    planned_by_run,
)
from event_analytics.alerts.message import Alert, Links, asset_name, iso_utc, where
from event_analytics.alerts.partition_keys import days_between, label, pack, unpack
from event_analytics.alerts.scope import (
    PARTITION_TAG,
    RANGE_END_TAG,
    RANGE_START_TAG,
    AlertScope,
)
from event_analytics.alerts.state import AlertState

# Evaluations read per tick; the cursor resumes where a full batch stopped.
BATCH_SIZE = 1000
MAX_METADATA_LINES = 6
INCIDENT_PREFIX = "check_failure:"
Log = logging.Logger | logging.LoggerAdapter[Any]


class Runs:
    """What a batch needs to know about the runs it reads, fetched once per run per tick."""

    def __init__(self, instance: dg.DagsterInstance) -> None:
        self.instance = instance
        self.tags: dict[str, dict[str, str]] = {}
        self.planned: dict[str, Planned] = {}

    def _tags(self, run_id: str) -> dict[str, str]:
        if run_id not in self.tags:
            run = self.instance.get_run_by_id(run_id) if run_id else None
            self.tags[run_id] = dict(run.tags) if run else {}
        return self.tags[run_id]

    def partitions(self, evaluation: dg.AssetCheckEvaluation, run_id: str) -> set[str | None]:
        """The partitions an evaluation is about: its own, else those of the run it was in."""
        if evaluation.partition:
            return {evaluation.partition}
        tags = self._tags(run_id)
        if tags.get(PARTITION_TAG):
            return {tags[PARTITION_TAG]}
        start, end = tags.get(RANGE_START_TAG), tags.get(RANGE_END_TAG)
        if not (start and end):
            return {None}
        if run_id not in self.planned:
            self.planned[run_id] = planned_by_run(self.instance, run_id)
        planned = self.planned[run_id].checks.get(evaluation.asset_check_key, set())
        keys: set[str | None] = {key for key in planned if key is not None}
        return keys or set(days_between(start, end)) or {label([start, end])}


def check_incident_id(asset: str, check: str, partition: str | None) -> str:
    return f"{INCIDENT_PREFIX}{asset}:{check}:{partition or '-'}"


def _normalized(incident: str, data: dict[str, Any]) -> dict[str, Any]:
    """The incident's data with its asset, check, partition label and pending partitions.

    Incidents opened before incidents tracked their partitions carry only `since`: the rest
    is read from the incident id, a range label counting as each of its days.
    """
    if "pending" in data:
        return data
    parts = incident.removeprefix(INCIDENT_PREFIX).split(":", 2)
    if len(parts) != 3:  # not an id this module wrote: matches no check, never resolves
        return {**data, "asset": None, "check": None, "pending": []}
    asset, check, partition = parts
    first, _, last = partition.partition("...")
    pending = set(days_between(first, last or first)) or {partition}
    data.update(
        asset=asset,
        check=check,
        partition=None if partition == "-" else partition,
        pending=pack({None} if partition == "-" else pending),
    )
    return data


def _metadata_lines(evaluation: dg.AssetCheckEvaluation) -> list[str]:
    lines = []
    for key, value in list(evaluation.metadata.items())[:MAX_METADATA_LINES]:
        lines.append(f"{key}: {str(value.value)[:200]}")
    return lines


def _firing(
    evaluation: dg.AssetCheckEvaluation,
    partition: str | None,
    entry: dg.EventLogEntry,
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
    entry: dg.EventLogEntry,
    links: Links,
    incident: str,
    opened: dict[str, Any],
) -> Alert:
    asset = asset_name(evaluation.asset_key)
    partition = opened.get("partition")
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


class CheckIncidents:
    """The open check incidents of one sensor, and the transitions one evaluation causes."""

    def __init__(self, state: AlertState, links: Links, log: Log) -> None:
        self.state, self.links, self.log = state, links, log

    def _open_for(self, asset: str, check: str) -> list[tuple[str, set[str | None]]]:
        """The open incidents of one check, with the partitions each still waits for."""
        found = []
        for incident, data in self.state.open.items():
            if incident.startswith(INCIDENT_PREFIX):
                data = _normalized(incident, data)
                if (data["asset"], data["check"]) == (asset, check):
                    found.append((incident, unpack(data["pending"])))
        return found

    def passed(
        self, evaluation: dg.AssetCheckEvaluation, keys: set[str | None], entry: dg.EventLogEntry
    ) -> list[Alert]:
        """Take the passing partitions off every open incident of the check; close the empty."""
        alerts = []
        asset = asset_name(evaluation.asset_key)
        for incident, pending in self._open_for(asset, evaluation.check_name):
            if not pending & keys:
                continue
            data = self.state.open[incident]
            if pending - keys:
                data["pending"] = pack(pending - keys)
                continue
            self.state.close_incident(incident)
            alerts.append(_resolved(evaluation, entry, self.links, incident, data))
        return alerts

    def failed(
        self, evaluation: dg.AssetCheckEvaluation, keys: set[str | None], entry: dg.EventLogEntry
    ) -> list[Alert]:
        """Open one incident for the failing partitions no open incident covers yet."""
        asset = asset_name(evaluation.asset_key)
        covered = set().union(*(p for _, p in self._open_for(asset, evaluation.check_name)))
        new = keys - covered
        if not new:
            return []  # still failing: already alerted on
        partition = label(new)
        incident = check_incident_id(asset, evaluation.check_name, partition)
        if incident in self.state.open:
            # Same name as an open incident some of whose days passed since: still that one.
            data = self.state.open[incident]
            data["pending"] = pack(unpack(data["pending"]) | new)
            return []
        self.state.open_incident(
            incident,
            {
                "asset": asset,
                "check": evaluation.check_name,
                "partition": partition,
                "since": iso_utc(entry.timestamp),
                "pending": pack(new),
            },
            self.log,
        )
        return [_firing(evaluation, partition, entry, self.links, incident)]

    def warned(self, evaluation: dg.AssetCheckEvaluation, keys: set[str | None]) -> None:
        partition = label(keys)
        self.log.warning(
            f"Check {evaluation.check_name} failed on "
            f"{where(asset_name(evaluation.asset_key), partition)} with severity "
            f"{evaluation.severity.value}: logged, not paged. {evaluation.description or ''}"
        )


def scan_check_evaluations(
    instance: dg.DagsterInstance,
    state: AlertState,
    links: Links,
    scope: AlertScope,
    log: Log,
) -> list[Alert]:
    """The alerts for check evaluations recorded since `state.after`; updates `state`.

    The first tick only marks the current end of the event log: alerts are about what happens
    once the sensor runs, not a replay of history.
    """
    if state.after is None:
        state.after = latest_storage_id(instance)
        return []
    runs = Runs(instance)
    incidents = CheckIncidents(state, links, log)
    alerts: list[Alert] = []
    for storage_id, entry, evaluation in check_evaluations_after(instance, state.after, BATCH_SIZE):
        state.after = storage_id
        if evaluation is None or not scope.covers_check(evaluation.asset_check_key):
            continue
        keys = runs.partitions(evaluation, entry.run_id)
        if evaluation.passed:
            alerts += incidents.passed(evaluation, keys, entry)
        elif evaluation.severity != dg.AssetCheckSeverity.ERROR:
            incidents.warned(evaluation, keys)
        else:
            alerts += incidents.failed(evaluation, keys, entry)
    return alerts
