"""The test harness: a real landing zone on disk, a real DuckDB file, in-process runs."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import dagster as dg
import duckdb

from event_analytics.definitions import defs as load_defs
from event_analytics.defs.quality.cleaned_events_checks import cleaned_events_checks
from event_analytics.defs.quality.daily_summary_checks import daily_summary_checks
from event_analytics.defs.quality.raw_events_checks import raw_events_checks
from event_analytics.landing import LandingZoneResource
from event_analytics.sample_data import generate_landing_zone
from event_analytics.warehouse import WarehouseResource

PLATFORM_ASSETS = ("raw_events", "cleaned_events", "daily_summary")
QUALITY_CHECKS = [raw_events_checks, cleaned_events_checks, daily_summary_checks]
# Every table the platform writes. `raw.landed_files` records each file's modification time:
# two platforms compare equal only when their landing zones are copies (`shutil.copytree`
# keeps modification times), never when each generated its own.
TABLES = (
    "raw.events",
    "raw.rejected_events",
    "raw.landed_files",
    "analytics.cleaned_events",
    "analytics.daily_summary",
)


class Platform:
    """A landing zone and a warehouse file, and a way to materialize into them in-process."""

    def __init__(self, root: Path) -> None:
        self.landing_root = root / "landing"
        self.db_path = root / "warehouse.duckdb"
        self.landing_root.mkdir(parents=True, exist_ok=True)
        self.defs = self.load_definitions()

    @staticmethod
    def load_definitions() -> dg.Definitions:
        """The project's Definitions, exactly as `dagster dev` loads them."""
        return load_defs()

    @property
    def resources(self) -> dict[str, Any]:
        return {
            "warehouse": WarehouseResource(url=f"duckdb:///{self.db_path}"),
            "landing": LandingZoneResource(url=str(self.landing_root)),
        }

    def generate(self, start: dt.date, days: int, events_per_day: int, seed: int = 7) -> None:
        generate_landing_zone(self.landing_root, start, days, events_per_day, seed)

    def materialize(
        self,
        partition: str | None = None,
        partition_range: tuple[str, str] | None = None,
        assets: Sequence[str] = PLATFORM_ASSETS,
        instance: dg.DagsterInstance | None = None,
        checks: bool = False,
        selection: dg.AssetSelection | None = None,
    ) -> dg.ExecuteInProcessResult:
        tags = {}
        if partition_range is not None:
            tags = {
                "dagster/asset_partition_range_start": partition_range[0],
                "dagster/asset_partition_range_end": partition_range[1],
            }
        definitions: list[Any] = [self.defs.get_assets_def(key) for key in assets]
        if checks:
            definitions += QUALITY_CHECKS
        return dg.materialize(
            definitions,
            resources=self.resources,
            partition_key=partition,
            tags=tags,
            instance=instance,
            selection=selection,
            raise_on_error=False,
        )

    def rows(self, sql: str, params: Sequence[Any] | None = None) -> list[tuple[Any, ...]]:
        with duckdb.connect(str(self.db_path), read_only=True) as con:
            return con.execute(sql, params or []).fetchall()

    def snapshot(self) -> dict[str, list[tuple[Any, ...]]]:
        """Every platform table, fully sorted, for equality comparisons. A table no asset has
        created yet (each asset creates its own) is empty."""
        existing = {
            f"{schema}.{name}"
            for schema, name in self.rows(
                "SELECT table_schema, table_name FROM information_schema.tables"
            )
        }
        # Table names come from the constant TABLES above, never from input.
        return {
            t: sorted(self.rows(f"SELECT * FROM {t}"), key=repr) if t in existing else []  # noqa: S608
            for t in TABLES
        }


def metadata_of(result: dg.ExecuteInProcessResult, asset: str) -> dict[str, Any]:
    """The raw values of an asset's first materialization's metadata in a run."""
    [materialization, *_] = result.asset_materializations_for_node(asset)
    return {key: value.value for key, value in materialization.metadata.items()}


def check_results(result: dg.ExecuteInProcessResult) -> dict[str, dg.AssetCheckEvaluation]:
    """Every check evaluation of a run, by check name."""
    return {
        evaluation.check_name: evaluation
        for evaluation in (
            event.asset_check_evaluation_data
            for event in result.all_events
            if event.event_type == dg.DagsterEventType.ASSET_CHECK_EVALUATION
        )
    }


def materialized(result: dg.ExecuteInProcessResult) -> set[str]:
    """The asset keys a run materialized."""
    return {
        event.asset_key.to_user_string()
        for event in result.all_events
        if event.event_type == dg.DagsterEventType.ASSET_MATERIALIZATION and event.asset_key
    }


def run_checks(
    platform: Platform, checks: Sequence[dg.AssetChecksDefinition], partition: str
) -> dg.ExecuteInProcessResult:
    """Evaluate only the given checks for one partition (their assets are not re-run)."""
    # A checks-only selection has no asset to take a partitions definition from, so the
    # partition goes in as the run's tag, which is what a launched check run carries.
    return dg.materialize(
        [*(platform.defs.get_assets_def(key) for key in PLATFORM_ASSETS), *checks],
        selection=dg.AssetSelection.checks(*checks),
        resources=platform.resources,
        tags={"dagster/partition": partition},
        raise_on_error=False,
    )
