"""Freshness: an asset whose freshness state turns DEGRADED opens an incident; HEALTHY again
(or WARNING: within its fail window again) resolves it.

Dagster's freshness daemon evaluates every `FreshnessPolicy` (every 30 s under `dagster dev`)
and records each state change as a `FRESHNESS_STATE_CHANGE` event; the current state per asset
is `DagsterInstance.get_freshness_state_records`. Open-source Dagster only shows the state in
the UI (Dagster+ has alert policies), so this module turns it into alerts. The UI's names map
to the stored states as HEALTHY=PASS, WARNING=WARN, DEGRADED=FAIL.

The state is read, not the events: an asset already DEGRADED when the sensor starts is alerted
on at once, and a daemon outage cannot make the sensor miss a change it was never told about.
"""

from __future__ import annotations

import logging
from typing import Any

import dagster as dg
from dagster._core.definitions.freshness import (
    CronFreshnessPolicy,
    FreshnessState,
    TimeWindowFreshnessPolicy,
)

from event_analytics.alerts.message import Alert, Links, asset_name, iso_utc
from event_analytics.alerts.state import AlertState

UI_NAMES = {
    FreshnessState.PASS: "HEALTHY",
    FreshnessState.WARN: "WARNING",
    FreshnessState.FAIL: "DEGRADED",
    FreshnessState.UNKNOWN: "UNKNOWN",
    FreshnessState.NOT_APPLICABLE: "NOT_APPLICABLE",
}
# Back within the fail window: what the firing alert was about is over.
RECOVERED = {FreshnessState.PASS, FreshnessState.WARN}


def describe_policy(policy: Any) -> str:
    """A freshness policy in words, for the alert's details."""
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


def _last_materialization(instance: dg.DagsterInstance, key: dg.AssetKey) -> str:
    entry = instance.get_latest_materialization_event(key)
    if entry is None or entry.dagster_event is None:
        return "Never materialized."
    partition = entry.dagster_event.partition
    return (
        f"Last materialized {iso_utc(entry.timestamp)}"
        f"{f' (partition {partition})' if partition else ''} in run {entry.run_id}."
    )


def _policies(repository: dg.RepositoryDefinition | None) -> dict[dg.AssetKey, Any]:
    if repository is None:
        return {}
    graph = repository.asset_graph
    return {key: graph.get(key).freshness_policy for key in graph.get_all_asset_keys()}


def scan_freshness(
    instance: dg.DagsterInstance,
    state: AlertState,
    links: Links,
    repository: dg.RepositoryDefinition | None,
    log: logging.Logger | logging.LoggerAdapter[Any],
) -> list[Alert]:
    """Alerts for assets that became DEGRADED or recovered since the last tick; updates state."""
    policies = _policies(repository)
    keys = [k for k, p in policies.items() if p is not None] if repository else None
    if keys is None:
        keys = list(instance.all_asset_keys())
    records = instance.get_freshness_state_records(keys) if keys else {}
    alerts: list[Alert] = []
    for key in sorted(records, key=asset_name):
        record = records[key]
        asset = asset_name(key)
        incident = f"freshness:{asset}"
        changed_at = iso_utc(record.updated_at.timestamp())
        if record.freshness_state == FreshnessState.FAIL and incident not in state.open:
            state.open_incident(incident, {"since": changed_at}, log)
            policy = describe_policy(policies.get(key))
            alerts.append(
                Alert(
                    status="firing",
                    kind="freshness",
                    asset=asset,
                    partition=None,
                    check=None,
                    summary=f"{asset} is stale: freshness DEGRADED ({policy}).",
                    details=f"{_last_materialization(instance, key)} DEGRADED since {changed_at}.",
                    url=links.asset(key),
                    occurred_at=changed_at,
                    incident=incident,
                )
            )
        elif record.freshness_state in RECOVERED and incident in state.open:
            opened = state.close_incident(incident) or {}
            now = UI_NAMES[record.freshness_state]
            alerts.append(
                Alert(
                    status="resolved",
                    kind="freshness",
                    asset=asset,
                    partition=None,
                    check=None,
                    summary=f"{asset} is fresh again: freshness {now}.",
                    details=f"{_last_materialization(instance, key)} "
                    f"DEGRADED from {opened.get('since', 'unknown')} to {changed_at}.",
                    url=links.asset(key),
                    occurred_at=changed_at,
                    incident=incident,
                )
            )
    # An asset removed from the code location (or its policy removed) can never recover here.
    watched = {f"freshness:{asset_name(k)}" for k in keys}
    for incident in [i for i in state.open if i not in watched]:
        state.close_incident(incident)
        log.info(f"{incident}: no longer has a freshness policy; closed without an alert.")
    return alerts
