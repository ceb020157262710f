"""`legacy-api`: APIs that still load on 1.13 but are superseded, each with today's form.

- a `@repository` instead of `dg.Definitions`;
- an asset's `LegacyFreshnessPolicy` (`legacy_freshness_policy=`), which nothing evaluates
  the way the 1.11+ policies are;
- checks from `build_last_update_freshness_checks` / `build_time_partition_freshness_checks`,
  superseded by a `FreshnessPolicy` on the asset.
"""

from __future__ import annotations

from collections.abc import Iterator

import dagster as dg

from event_analytics.doctor import dagster_internals as internals
from event_analytics.doctor.findings import Finding
from event_analytics.doctor.loading import REPOSITORY
from event_analytics.doctor.rules.context import Location, asset_target

REPOSITORY_FIX = (
    "defs = dg.Definitions(assets=[...], asset_checks=[...], jobs=[...], sensors=[...], "
    "resources={...}) at module scope (or a @dg.definitions function returning it)"
)
POLICY_FIX = (
    "freshness_policy=dg.FreshnessPolicy.time_window(fail_window=timedelta(minutes={minutes}))"
)
CHECKS_FIX = (
    "drop the built checks and their sensor; put freshness_policy="
    "dg.FreshnessPolicy.time_window(fail_window=...) (or FreshnessPolicy.cron(...)) on the asset"
)


def legacy_api(location: Location) -> Iterator[Finding]:
    if location.loaded.kind == REPOSITORY:
        yield location.finding(
            "legacy-api",
            f"repository:{location.repository.name}",
            location.loaded.defined_at,
            f"'{location.repository.name}' is a @repository: Definitions replaced repositories "
            "as the single entry point of a code location",
            REPOSITORY_FIX,
        )
    for node in location.nodes:
        policy = internals.legacy_freshness_policy_of(node)
        if policy is None:
            continue
        yield location.finding(
            "legacy-api",
            asset_target(node.key),
            location.asset_source(node.key),
            f"'{node.key.to_user_string()}' carries a LegacyFreshnessPolicy (pre-1.11)",
            POLICY_FIX.format(minutes=int(policy.maximum_lag_minutes or 60)),
        )
    yield from _built_freshness_checks(location)


def _built_freshness_checks(location: Location) -> Iterator[Finding]:
    watched: set[dg.AssetKey] = set()
    for checks in location.repository.asset_checks_defs_by_key.values():
        if internals.is_freshness_check_builder_output(checks):
            watched.update(spec.asset_key for spec in checks.check_specs)
    for key in sorted(watched):
        yield location.finding(
            "legacy-api",
            asset_target(key),
            location.asset_source(key),
            f"'{key.to_user_string()}' is watched by checks from a freshness-check builder "
            "(build_last_update_freshness_checks / build_time_partition_freshness_checks), "
            "superseded by freshness policies",
            CHECKS_FIX,
        )
