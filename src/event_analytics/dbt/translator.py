"""How the marts' dbt nodes become Dagster assets: keys, group, partitions, automation.

Each rule below is a deliberate departure from dagster-dbt's defaults, with its reason.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator

from event_analytics.policies import CRITICAL_FRESHNESS, FOLLOW_UPSTREAM, WAREHOUSE_BACKEND

MARTS_GROUP = "marts"

# dbt selections for the two kinds of model, one `@dbt_assets` each: a multi-asset has one
# partitions definition, and the history models have none.
DAILY_MODELS = "config.materialized:incremental"

# The history models (users, retention) are unpartitioned but read every daily partition.
# `eager()` would wait until *no* upstream partition is missing, i.e. forever on a platform
# whose partitions start before its data does. Instead: rebuild once any upstream partition
# has actually been updated since the last build, and nothing upstream is still running.
# Updates only, not "will be requested": a rebuild requested in the same tick as the daily
# runs could run before them (they are separate runs) and would have to run again after.
FOLLOW_ANY_UPSTREAM_PARTITION = (
    dg.AutomationCondition.any_deps_match(
        dg.AutomationCondition.newly_updated()
    ).since_last_handled()
    & ~dg.AutomationCondition.any_deps_in_progress()
    & ~dg.AutomationCondition.in_progress()
).with_label("rebuild after any upstream partition changed")


def is_daily_model(props: Mapping[str, Any]) -> bool:
    """Daily models are the incremental ones: partitioned like the events."""
    return props["resource_type"] == "model" and props["config"].get("materialized") == (
        "incremental"
    )


def reads_days(props: Mapping[str, Any]) -> tuple[int, int]:
    """(days before, days after) the window a daily model reads, from its dbt meta."""
    meta = props.get("config", {}).get("meta") or props.get("meta") or {}
    return int(meta.get("reads_days_before", 0)), int(meta.get("reads_days_after", 0))


class MartsTranslator(DagsterDbtTranslator):
    """dagster-dbt's translator with the platform's conventions."""

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> dg.AssetKey:
        # Models are keyed by name alone, like the platform's own assets (`sessions`, not
        # `marts/sessions`). Sources keep the key their `meta.dagster.asset_key` names, which
        # is how `cleaned_events` is the same node for dbt and Dagster.
        if dbt_resource_props["resource_type"] == "model":
            return dg.AssetKey(dbt_resource_props["name"])
        return super().get_asset_key(dbt_resource_props)

    def get_asset_spec(
        self, manifest: Mapping[str, Any], unique_id: str, project: Any
    ) -> dg.AssetSpec:
        # The marts are what people read, so they carry the same SLA as daily_summary: a mart
        # that stops being rebuilt turns DEGRADED and pages (`event-analytics doctor`'s
        # critical-without-freshness rule found the leaves without one). Their kind is the
        # engine WAREHOUSE_URL names, like the platform's assets, not whichever adapter the
        # manifest was parsed with: on a server they are not DuckDB writers (nor in its pool).
        spec = super().get_asset_spec(manifest, unique_id, project)
        if self.get_resource_props(manifest, unique_id)["resource_type"] != "model":
            return spec
        return spec.replace_attributes(
            freshness_policy=CRITICAL_FRESHNESS, kinds={"dbt", WAREHOUSE_BACKEND}
        )

    def get_description(self, dbt_resource_props: Mapping[str, Any]) -> str:
        # The schema file's description is written for the table's readers; dagster-dbt would
        # append the model's raw SQL to it, which the UI already links to.
        return dbt_resource_props.get("description") or super().get_description(dbt_resource_props)

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        return MARTS_GROUP

    def get_partition_mapping(
        self,
        dbt_resource_props: Mapping[str, Any],
        dbt_parent_resource_props: Mapping[str, Any],
    ) -> dg.PartitionMapping | None:
        # A daily model that reads days around its window depends on those upstream days:
        # sessions of D read events of D-1..D+1, active users of D read activity of D-27..D.
        # Saying so lets automation rebuild every partition a changed day feeds.
        # Days before the first partition simply do not exist, hence `allow_nonexistent`.
        if not is_daily_model(dbt_resource_props):
            return None
        before, after = reads_days(dbt_resource_props)
        if (before, after) == (0, 0):
            return None
        return dg.TimeWindowPartitionMapping(
            start_offset=-before, end_offset=after, allow_nonexistent_upstream_partitions=True
        )

    def get_automation_condition(
        self, dbt_resource_props: Mapping[str, Any]
    ) -> dg.AutomationCondition | None:
        if dbt_resource_props["resource_type"] != "model":
            return None
        if is_daily_model(dbt_resource_props):
            return FOLLOW_UPSTREAM
        return FOLLOW_ANY_UPSTREAM_PARTITION
