"""Freshness: an asset whose freshness state turns DEGRADED opens an incident; HEALTHY again
(or WARNING: within its fail window again) resolves it.

Dagster's freshness daemon evaluates every `FreshnessPolicy` (every 30 s under `dagster dev`)
and records each state change as a `FRESHNESS_STATE_CHANGE` event; the current state per asset
is read through `dagster_internals.freshness_readings` (no public reader exists). Open-source
Dagster only shows the state in the UI (Dagster+ has alert policies), so this module turns it
into alerts. The UI's names map to the stored states as HEALTHY=PASS, WARNING=WARN,
DEGRADED=FAIL.

The state is read, not the events: an asset already DEGRADED when the sensor starts is alerted
on at once, and a daemon outage cannot make the sensor miss a change it was never told about.
"""

from __future__ import annotations

import logging
from typing import Any

import dagster as dg

from event_analytics.alerts.dagster_internals import (
    describe_freshness_policy,
    freshness_policies,
    freshness_readings,
)
from event_analytics.alerts.message import Alert, Links, asset_name, iso_utc
from event_analytics.alerts.state import AlertState

FAIL = "FAIL"
UI_NAMES = {
    "PASS": "HEALTHY",
    "WARN": "WARNING",
    FAIL: "DEGRADED",
    "UNKNOWN": "UNKNOWN",
    "NOT_APPLICABLE": "NOT_APPLICABLE",
}
# Back within the fail window: what the firing alert was about is over.
RECOVERED = {"PASS", "WARN"}


def _last_materialization(instance: dg.DagsterInstance, key: dg.AssetKey) -> str:
    entry = instance.get_latest_materialization_event(key)
    if entry is None or entry.dagster_event is None:
        return "Never materialized."
    partition = entry.dagster_event.partition
    return (
        f"Last materialized {iso_utc(entry.timestamp)}"
        f"{f' (partition {partition})' if partition else ''} in run {entry.run_id}."
    )


def scan_freshness(
    instance: dg.DagsterInstance,
    state: AlertState,
    links: Links,
    repository: dg.RepositoryDefinition | None,
    log: logging.Logger | logging.LoggerAdapter[Any],
) -> list[Alert]:
    """Alerts for assets that became DEGRADED or recovered since the last tick; updates state."""
    policies = freshness_policies(repository) if repository else {}
    keys = list(policies) if repository else list(instance.get_asset_keys())
    readings = freshness_readings(instance, keys)
    alerts: list[Alert] = []
    for key in sorted(readings, key=asset_name):
        reading = readings[key]
        asset = asset_name(key)
        incident = f"freshness:{asset}"
        changed_at = iso_utc(reading.updated_at.timestamp())
        if reading.state == FAIL and incident not in state.open:
            state.open_incident(incident, {"since": changed_at}, log)
            policy = describe_freshness_policy(policies.get(key))
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
        elif reading.state in RECOVERED and incident in state.open:
            opened = state.close_incident(incident) or {}
            now = UI_NAMES[reading.state]
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
