"""What the Dagster instance knows about a day's loads: the digest the latest `raw_events`
materialization recorded, and how the run of a request went."""

from __future__ import annotations

import dagster as dg
from dagster._core.storage.tags import RUN_KEY_TAG

from event_analytics.automation.load_retries import RunOutcome
from event_analytics.landing import LANDING_DIGESTS

RAW_EVENTS = dg.AssetKey("raw_events")


def loaded_digest(instance: dg.DagsterInstance, day_key: str) -> str | None:
    """The folder digest the latest `raw_events` materialization of `day_key` loaded.

    Each day's materialization records its own day's digest, in a range run too, so this
    holds for `make materialize` and for backfills. None when the day was never loaded (or
    by a release that did not record digests).
    """
    records = instance.fetch_materializations(
        dg.AssetRecordsFilter(asset_key=RAW_EVENTS, asset_partitions=[day_key]), limit=1
    ).records
    materialization = records[0].asset_materialization if records else None
    if materialization is None:
        return None
    recorded = materialization.metadata.get(LANDING_DIGESTS)
    digests = recorded.value if isinstance(recorded, dg.JsonMetadataValue) else None
    digest = digests.get(day_key) if isinstance(digests, dict) else None
    return digest if isinstance(digest, str) else None


def latest_run(instance: dg.DagsterInstance, run_key: str) -> RunOutcome | None:
    """The latest run launched for `run_key` (the sensor daemon tags each run it launches with
    its request's key), or None when there is none."""
    records = instance.get_run_records(dg.RunsFilter(tags={RUN_KEY_TAG: run_key}), limit=1)
    if not records:
        return None
    record = records[0]
    ended_at = record.end_time
    if ended_at is None and record.dagster_run.is_finished:
        # A run failed before it started (e.g. by the run monitor) has no end time of its own.
        ended_at = record.update_timestamp.timestamp()
    return RunOutcome(record.dagster_run.run_id, record.dagster_run.status, ended_at)
