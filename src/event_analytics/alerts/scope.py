"""Which assets alerts are about, and how a run's partitions are named in a message."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import dagster as dg

from event_analytics.alerts.dagster_internals import owned_keys

PARTITION_TAG = "dagster/partition"
RANGE_START_TAG = "dagster/asset_partition_range_start"
RANGE_END_TAG = "dagster/asset_partition_range_end"


@dataclass(frozen=True)
class AlertScope:
    """The assets and checks alerts are about: those of the code location the sensor runs in.

    Nothing here lists asset names, so new assets (dbt marts, checks added later) are covered
    as soon as they are defined. Assets merely referenced as upstream dependencies belong to
    someone else and are not covered. `everything()` (a sensor evaluated outside any code
    location) covers all.
    """

    assets: frozenset[dg.AssetKey] | None
    checks: frozenset[dg.AssetCheckKey] | None

    @classmethod
    def of(cls, repository: dg.RepositoryDefinition | None) -> AlertScope:
        if repository is None:
            return cls.everything()
        assets, checks = owned_keys(repository)
        return cls(assets, checks)

    @classmethod
    def everything(cls) -> AlertScope:
        return cls(None, None)

    def covers_asset(self, key: dg.AssetKey) -> bool:
        return self.assets is None or key in self.assets

    def covers_check(self, key: dg.AssetCheckKey) -> bool:
        return self.checks is None or key in self.checks or self.covers_asset(key.asset_key)


def run_partition_label(tags: Mapping[str, str]) -> str | None:
    """The partition a run covered, as people write it: `2025-01-02`, `2025-01-01...2025-01-07`.

    Single-run backfills carry a range in two tags instead of one partition tag.
    """
    if tags.get(PARTITION_TAG):
        return tags[PARTITION_TAG]
    start, end = tags.get(RANGE_START_TAG), tags.get(RANGE_END_TAG)
    if start and end:
        return start if start == end else f"{start}...{end}"
    return None
