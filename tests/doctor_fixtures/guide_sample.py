# The guide's "Correct Patterns (2026)" code block, copied as written from
# /work/shared/seed/dagster-cto-guide.md: everything after the three tool directives below is
# the block, unchanged. It does not load on Dagster 1.13; doctor must say so, and still read it.
# fmt: off
# ruff: noqa
# mypy: ignore-errors
from dagster import (
    asset, AssetExecutionContext, DailyPartitionsDefinition,
    FreshnessPolicy, ConfigurableResource, Definitions
)
import pandas as pd

daily_partitions = DailyPartitionsDefinition(start_date="2025-01-01")

class WarehouseResource(ConfigurableResource):
    connection_string: str

    def query(self, sql: str) -> pd.DataFrame:
        # Implementation
        pass

@asset(
    partitions_def=daily_partitions,
    freshness_policy=FreshnessPolicy(maximum_lag_minutes=60),
)
def raw_events(context: AssetExecutionContext, warehouse: WarehouseResource) -> pd.DataFrame:
    partition = context.partition_key
    return warehouse.query(f"SELECT * FROM events WHERE date = '{partition}'")

@asset(partitions_def=daily_partitions)
def cleaned_events(raw_events: pd.DataFrame) -> pd.DataFrame:
    return raw_events.dropna(subset=["user_id"]).drop_duplicates(["event_id"])

@asset
def daily_summary(cleaned_events: pd.DataFrame) -> pd.DataFrame:
    return cleaned_events.groupby("date").agg({"revenue": "sum"})

defs = Definitions(
    assets=[raw_events, cleaned_events, daily_summary],
    resources={"warehouse": WarehouseResource(connection_string="...")},
)
