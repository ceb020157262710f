"""When is a run-failure incident over? When everything the failed run left undone is done.

An incident waits for items: (asset, partition, None) to be materialized again, and
(asset, partition, check) to be evaluated again, after the failure, by any later run. Every
partition is remembered (packed as day ranges, see `partition_keys`), and each one must come
back: a pass for another day, or the first 100 days of a 120-day range, is not a recovery.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

import dagster as dg

from event_analytics.alerts.dagster_internals import check_executions_since
from event_analytics.alerts.message import Alert, Links, iso_utc, where
from event_analytics.alerts.partition_keys import days_between, pack, unpack
from event_analytics.alerts.state import AlertState

# (asset, partition or None, check name or None): what the failed run should have produced.
Item = tuple[str, str | None, str | None]
# Partitions asked about in one materialization query (an SQL IN list): bounded, so a failed
# backfill over years costs a few queries per tick, never one huge one.
PARTITIONS_PER_QUERY = 200
PAGE_SIZE = 200


def pack_items(items: Iterable[Item]) -> list[dict[str, Any]]:
    """Items as the incident stores them: per (asset, check), the packed partitions."""
    groups: dict[tuple[str, str | None], list[str | None]] = {}
    for asset, partition, check in items:
        groups.setdefault((asset, check), []).append(partition)
    return [
        {"asset": asset, "check": check, "partitions": pack(partitions)}
        for (asset, check), partitions in sorted(
            groups.items(), key=lambda g: (g[0][0], g[0][1] or "")
        )
    ]


def unpack_items(pending: Iterable[Any]) -> set[Item]:
    """The items of a stored incident, including those stored as `[asset, partition, check]`
    by earlier versions (whose check items could name a range label)."""
    items: set[Item] = set()
    for entry in pending:
        if isinstance(entry, dict):
            items |= {(entry["asset"], p, entry["check"]) for p in unpack(entry["partitions"])}
            continue
        asset, partition, check = entry
        first, _, last = (partition or "").partition("...")
        days = days_between(first, last) if last else []
        items |= {(asset, day, check) for day in days} or {(asset, partition, check)}
    return items


def _chunks(keys: list[str], size: int) -> Iterator[list[str]]:
    for start in range(0, len(keys), size):
        yield keys[start : start + size]


class Recovery:
    """Finds, for one incident's pending items, which later runs produced again."""

    def __init__(self, instance: dg.DagsterInstance, opened: dict[str, Any]) -> None:
        self.instance = instance
        self.failed_at: int = opened["failed_at"]
        self.failed_ts: float = opened["failed_ts"]
        self.last_run_id: str | None = None
        self.last_ts = 0.0

    def _saw(self, run_id: str, timestamp: float) -> None:
        if timestamp >= self.last_ts:
            self.last_run_id, self.last_ts = run_id, timestamp

    def rematerialized(self, asset: str, partitions: set[str | None]) -> set[str | None]:
        """Which of `partitions` of `asset` were materialized after the failure."""
        key = dg.AssetKey.from_user_string(asset)
        done: set[str | None] = set()
        if None in partitions and self._materializations(key, None, limit=1):
            done.add(None)
        keyed = sorted(p for p in partitions if p is not None)
        for chunk in _chunks(keyed, PARTITIONS_PER_QUERY):
            done |= {r.partition_key for r in self._materializations(key, chunk)}
        return done

    def _materializations(
        self, key: dg.AssetKey, partitions: list[str] | None, limit: int | None = None
    ) -> list[dg.EventLogRecord]:
        records_filter = dg.AssetRecordsFilter(
            asset_key=key, asset_partitions=partitions, after_storage_id=self.failed_at
        )
        found: list[dg.EventLogRecord] = []
        cursor = None
        while True:
            result = self.instance.fetch_materializations(
                records_filter, limit=limit or PAGE_SIZE, cursor=cursor, ascending=True
            )
            for record in result.records:
                self._saw(record.run_id, record.timestamp)
            found += result.records
            if limit or not result.has_more:
                return found
            cursor = result.cursor

    def evaluated(self, asset: str, check: str, partitions: set[str | None]) -> set[str | None]:
        """Which of `partitions` the check completed an evaluation for after the failure.

        An evaluation counts for a partition when it names that partition, or when it names
        none (a check reporting once for its whole run) in a run that planned the partition.
        A planned evaluation (another run, maybe failing too) is not a recovery.
        """
        key = dg.AssetCheckKey(dg.AssetKey.from_user_string(asset), check)
        whole_runs = {
            e.run_id: e.timestamp
            for e in check_executions_since(self.instance, key, None, self.failed_ts)
            if e.completed
        }
        done: set[str | None] = set()
        if None in partitions and whole_runs:
            done.add(None)
            run_id = max(whole_runs, key=whole_runs.__getitem__)
            self._saw(run_id, whole_runs[run_id])
        for partition in sorted(p for p in partitions if p is not None):
            for execution in check_executions_since(self.instance, key, partition, self.failed_ts):
                if execution.completed or execution.run_id in whole_runs:
                    done.add(partition)
                    at = whole_runs.get(execution.run_id, execution.timestamp)
                    self._saw(execution.run_id, at)
                    break
        return done

    def still_pending(self, pending: set[Item]) -> set[Item]:
        groups: dict[tuple[str, str | None], set[str | None]] = {}
        for asset, partition, check in pending:
            groups.setdefault((asset, check), set()).add(partition)
        still: set[Item] = set()
        for (asset, check), partitions in groups.items():
            done = (
                self.rematerialized(asset, partitions)
                if check is None
                else self.evaluated(asset, check, partitions)
            )
            still |= {(asset, p, check) for p in partitions - done}
        return still


def resolutions(instance: dg.DagsterInstance, state: AlertState, links: Links) -> list[Alert]:
    """Resolved alerts for the incidents whose every pending item is back; updates state."""
    alerts: list[Alert] = []
    for incident, opened in list(state.open.items()):
        recovery = Recovery(instance, opened)
        still = recovery.still_pending(unpack_items(opened["pending"]))
        if still:
            opened["pending"] = pack_items(still)
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
