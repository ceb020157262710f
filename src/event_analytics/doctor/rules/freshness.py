"""`critical-without-freshness`: a critical asset without a FreshnessPolicy.

Critical means either of:
- a leaf of the asset graph: no asset of the code location depends on it, so it is what
  people (dashboards, exports, analysts) read, and nothing downstream would notice it stop;
- tagged critical: `tags={"critical": "true"}` (any value but "false").

Assets that others depend on get their SLA through their leaves. Only today's policies count
(`FreshnessPolicy.time_window` / `.cron`); a `LegacyFreshnessPolicy` is no SLA on 1.13.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from event_analytics.doctor import dagster_internals as internals
from event_analytics.doctor.findings import Finding
from event_analytics.doctor.rules.context import Location, asset_target

CRITICAL_TAG = "critical"

FIX = (
    "@dg.asset(..., freshness_policy=dg.FreshnessPolicy.time_window("
    "fail_window=timedelta(hours=1), warn_window=timedelta(minutes=45))), or "
    'dg.FreshnessPolicy.cron(deadline_cron="0 2 * * *", lower_bound_delta=timedelta(hours=2)) '
    "for a daily deadline; then alert on its DEGRADED state"
)


def _why_critical(node: Any, materialized: set[Any]) -> str | None:
    tag = node.tags.get(CRITICAL_TAG)
    if tag is not None and tag.lower() != "false":
        return "tagged critical"
    if not set(node.child_keys) & materialized:
        return "a leaf of the asset graph (what people read)"
    return None


def critical_without_freshness(location: Location) -> Iterator[Finding]:
    materialized = {node.key for node in location.nodes}
    for node in location.nodes:
        why = _why_critical(node, materialized)
        if why is None or internals.freshness_policy_of(node) is not None:
            continue
        yield location.finding(
            "critical-without-freshness",
            asset_target(node.key),
            location.asset_source(node.key),
            f"'{node.key.to_user_string()}' is {why} and has no FreshnessPolicy: nobody is "
            "told when it stops updating",
            FIX,
        )
