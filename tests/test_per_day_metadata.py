"""Each day's page in the UI shows that day's own figures and check results, whether the day
ran alone or inside a range run (a single-run backfill).

Three days of generated events (and a fourth day with no files at all) are materialized twice,
on two real Dagster instances: once as one range run, once as one run per day, from copies of
the same landing zone. Each partition's materialization is read back from its instance, as the
UI reads it, and compared with an independent reading of the landing zone
(`tests/reference_model.py`), with the tables, and between the two ways of running. The checks'
per-day statuses are read through the UI's own GraphQL schema, in-process.
"""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import dagster as dg
import pytest
from dagster._core.remote_origin import InProcessCodeLocationOrigin
from dagster._core.types.loadable_target_origin import LoadableTargetOrigin
from dagster._core.workspace.context import WorkspaceProcessContext
from dagster._core.workspace.load_target import InProcessWorkspaceLoadTarget
from dagster_graphql.test.utils import execute_dagster_graphql

from event_analytics.automation.run_history import loaded_digest
from event_analytics.landing import LandingZoneResource
from event_analytics.metadata import PER_DAY_PREVIEW_MAX_DAYS
from harness import PLATFORM_ASSETS, Platform
from postgres_server import PostgresPlatform, PostgresServer
from reference_model import clean, read_day, summarize

FIRST = dt.date(2025, 1, 1)
GENERATED_DAYS = [FIRST + dt.timedelta(days=i) for i in range(3)]
EMPTY_DAY = FIRST + dt.timedelta(days=3)  # no landing folder at all: a day of zeros
DAYS = [*GENERATED_DAYS, EMPTY_DAY]
KEYS = [day.isoformat() for day in DAYS]
# Metadata that describes the run, not the day: the only keys allowed to differ between a day
# that ran alone and the same day inside a range.
RUN_SCOPED = {"run_window"}


@dataclass(frozen=True)
class Runs:
    ranged: Platform
    range_instance: dg.DagsterInstance
    single: Platform
    single_instance: dg.DagsterInstance


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Runs]:
    root = tmp_path_factory.mktemp("per_day")
    ranged = Platform(root / "range")
    ranged.generate(FIRST, days=len(GENERATED_DAYS), events_per_day=700, seed=13)
    single = Platform(root / "single")
    # copytree keeps modification times: both landing zones have the same folder digests.
    shutil.copytree(ranged.landing_root, single.landing_root, dirs_exist_ok=True)
    for home in ("range_home", "single_home"):
        (root / home).mkdir()
    # Real instances on disk (SQLite, as `make run`'s dagster_home), with the planned events
    # `make` asks for; the UI's GraphQL needs an instance other processes could open.
    with (
        pytest.MonkeyPatch.context() as environment,
        dg.DagsterInstance.local_temp(str(root / "range_home")) as range_instance,
        dg.DagsterInstance.local_temp(str(root / "single_home")) as one,
    ):
        environment.setenv("DAGSTER_EMIT_PARTITION_SUBSET_IN_PLANNED_EVENTS", "true")
        result = ranged.materialize(
            partition_range=(KEYS[0], KEYS[-1]), instance=range_instance, checks=True
        )
        assert result.success
        for key in KEYS:
            assert single.materialize(partition=key, instance=one, checks=True).success
        yield Runs(ranged, range_instance, single, one)


def day_metadata(instance: dg.DagsterInstance, asset: str, key: str) -> dict[str, Any]:
    """The latest materialization of one partition, as the UI shows it: metadata by label."""
    [record] = instance.fetch_materializations(
        dg.AssetRecordsFilter(asset_key=dg.AssetKey(asset), asset_partitions=[key]), limit=1
    ).records
    materialization = record.asset_materialization
    assert materialization is not None and materialization.partition == key
    return dict(materialization.metadata)


def values(metadata: Mapping[str, Any]) -> dict[str, Any]:
    """Plain values for comparison (a table's records as dictionaries)."""
    plain = {}
    for key, entry in metadata.items():
        if isinstance(entry, dg.TableMetadataValue):
            plain[key] = [record.data for record in entry.records]
        else:
            plain[key] = entry.value
    return plain


# --- each day its own figures ----------------------------------------------------------------


@pytest.mark.parametrize("day", DAYS, ids=str)
def test_raw_events_partition_of_a_range_run_holds_that_days_load(runs: Runs, day: dt.date) -> None:
    expected = read_day(runs.ranged.landing_root, day)
    meta = values(day_metadata(runs.range_instance, "raw_events", day.isoformat()))
    rejected = [r for r in expected.rejected if r.line_number is not None]
    assert meta["dagster/row_count"] == len(expected.rows)
    assert meta["lines_read"] == expected.lines_read
    assert meta["rows_loaded"] == len(expected.rows)
    assert meta["rows_rejected"] == len(rejected)
    assert meta["blank_lines"] == expected.blank_lines
    assert meta["files"] == len(expected.files)
    assert meta["rejected_ratio"] == pytest.approx(
        len(rejected) / expected.lines_read if expected.lines_read else 0.0
    )
    by_reason: dict[str, int] = {}
    for rejection in rejected:
        by_reason[rejection.reason] = by_reason.get(rejection.reason, 0) + 1
    assert meta["rejected_by_reason"] == by_reason
    assert meta["corrupt_files"] == [] and meta["removed_files"] == []
    # The landing sensor reads the day's digest from the day's own materialization.
    landing = LandingZoneResource(url=str(runs.ranged.landing_root))
    assert meta["landing_digests"] == {day.isoformat(): landing.digest(day)}
    assert loaded_digest(runs.range_instance, day.isoformat()) == landing.digest(day)
    if day != EMPTY_DAY:
        assert meta["rows_loaded"] > 0 and meta["rows_rejected"] > 0


@pytest.mark.parametrize("day", DAYS, ids=str)
def test_cleaned_events_partition_of_a_range_run_holds_that_days_cleaning(
    runs: Runs, day: dt.date
) -> None:
    rows = read_day(runs.ranged.landing_root, day).rows
    kept = clean(rows)
    without_user = sum(1 for row in rows if row["user_id"] is None)
    meta = values(day_metadata(runs.range_instance, "cleaned_events", day.isoformat()))
    assert meta["dagster/row_count"] == len(kept)
    assert (meta["rows_in"], meta["rows_kept"], meta["rows_dropped"]) == (
        len(rows),
        len(kept),
        len(rows) - len(kept),
    )
    assert meta["dropped_without_user"] == without_user
    assert meta["dropped_duplicates"] == len(rows) - without_user - len(kept)
    [(table_rows,)] = runs.ranged.rows(
        "SELECT count(*) FROM analytics.cleaned_events WHERE event_date = ?", [day]
    )
    assert table_rows == len(kept)


@pytest.mark.parametrize("day", DAYS, ids=str)
def test_daily_summary_partition_of_a_range_run_holds_that_days_figures(
    runs: Runs, day: dt.date
) -> None:
    expected = summarize(clean(read_day(runs.ranged.landing_root, day).rows), day)
    meta = values(day_metadata(runs.range_instance, "daily_summary", day.isoformat()))
    assert meta["dagster/row_count"] == 1
    assert (meta["events"], meta["active_users"], meta["purchases"]) == (
        expected["events"],
        expected["active_users"],
        expected["purchases"],
    )
    assert Decimal(meta["revenue_exact"]) == expected["revenue"]
    assert meta["revenue_exact"] == f"{expected['revenue']:.4f}"
    assert meta["revenue"] == pytest.approx(float(expected["revenue"]))
    # The day's preview is the day's row of the table, and nothing else.
    [row] = runs.ranged.rows(
        "SELECT date, events, active_users, purchases, revenue FROM analytics.daily_summary "
        "WHERE date = ?",
        [day],
    )
    assert meta["preview"] == [
        {
            "date": day.isoformat(),
            "events": row[1],
            "active_users": row[2],
            "purchases": row[3],
            "revenue": f"{row[4]:.4f}",
        }
    ]


def test_a_day_shows_the_same_figures_whether_it_ran_alone_or_in_a_range(runs: Runs) -> None:
    for asset in PLATFORM_ASSETS:
        for key in KEYS:
            ranged = values(day_metadata(runs.range_instance, asset, key))
            alone = values(day_metadata(runs.single_instance, asset, key))
            assert ranged.keys() == alone.keys(), (asset, key)
            differing = {k for k in ranged if ranged[k] != alone[k]}
            assert differing <= RUN_SCOPED, (asset, key, differing)
    assert runs.ranged.snapshot() == runs.single.snapshot()


def test_previews_show_only_their_own_day(runs: Runs) -> None:
    for key in KEYS:
        raw = values(day_metadata(runs.range_instance, "raw_events", key))
        cleaned = values(day_metadata(runs.range_instance, "cleaned_events", key))
        for preview in (raw["preview"], cleaned["preview"]):
            assert all(str(row["occurred_at"]).startswith(key) for row in preview)
            assert len(preview) == (0 if key == EMPTY_DAY.isoformat() else 10)
        assert all(
            row["source_file"].startswith(f"events/date={key}/") for row in raw["rejected_preview"]
        )


def test_every_figure_a_person_charts_is_a_number(runs: Runs) -> None:
    charted: dict[str, dict[str, type]] = {
        "raw_events": {
            "dagster/row_count": dg.IntMetadataValue,
            "lines_read": dg.IntMetadataValue,
            "rows_loaded": dg.IntMetadataValue,
            "rows_rejected": dg.IntMetadataValue,
            "blank_lines": dg.IntMetadataValue,
            "files": dg.IntMetadataValue,
            "rejected_ratio": dg.FloatMetadataValue,
        },
        "cleaned_events": {
            "dagster/row_count": dg.IntMetadataValue,
            "rows_in": dg.IntMetadataValue,
            "rows_kept": dg.IntMetadataValue,
            "rows_dropped": dg.IntMetadataValue,
            "dropped_without_user": dg.IntMetadataValue,
            "dropped_duplicates": dg.IntMetadataValue,
        },
        "daily_summary": {
            "dagster/row_count": dg.IntMetadataValue,
            "events": dg.IntMetadataValue,
            "active_users": dg.IntMetadataValue,
            "purchases": dg.IntMetadataValue,
            "revenue": dg.FloatMetadataValue,
        },
    }
    for asset, figures in charted.items():
        for key in KEYS:
            metadata = day_metadata(runs.range_instance, asset, key)
            for label, kind in figures.items():
                assert isinstance(metadata[label], kind), (asset, key, label, metadata[label])


def test_postgres_gives_each_day_the_same_metadata(
    runs: Runs, postgres: PostgresServer, tmp_path: Path
) -> None:
    """The per-day queries are the warehouse seam's, written once: the same on every engine."""
    platform = PostgresPlatform(tmp_path, postgres)
    shutil.copytree(runs.ranged.landing_root, platform.landing_root, dirs_exist_ok=True)
    with dg.DagsterInstance.ephemeral() as instance:
        assert platform.materialize(partition_range=(KEYS[0], KEYS[-1]), instance=instance).success
        for asset in PLATFORM_ASSETS:
            for key in KEYS:
                on_postgres = values(day_metadata(instance, asset, key))
                assert on_postgres == values(day_metadata(runs.range_instance, asset, key))


# --- each day its own check results, as the UI reads them ---------------------------------------

_CHECKS_QUERY = """
query ($assetKeys: [AssetKeyInput!]) {
  assetNodes(assetKeys: $assetKeys) {
    assetKey { path }
    assetChecksOrError {
      ... on AssetChecks {
        checks {
          name
          executionForLatestMaterialization { status }
          partitionStatuses {
            ... on AssetCheckTimePartitionStatuses { ranges { startKey endKey status } }
          }
        }
      }
    }
  }
}
"""


def ui_check_statuses(instance: dg.DagsterInstance) -> dict[str, dict[str, Any]]:
    """Every check of the platform's assets as the UI's GraphQL schema reports it, by
    `asset.check`: its latest execution's status and its status on each day."""
    origin = InProcessCodeLocationOrigin(
        LoadableTargetOrigin(module_name="event_analytics.definitions"),
        location_name="event_analytics",
    )
    with WorkspaceProcessContext(instance, InProcessWorkspaceLoadTarget(origin)) as process:
        result = execute_dagster_graphql(
            process.create_request_context(),
            _CHECKS_QUERY,
            {"assetKeys": [{"path": [asset]} for asset in PLATFORM_ASSETS]},
        )
    statuses: dict[str, dict[str, Any]] = {}
    for node in result.data["assetNodes"]:
        for found in node["assetChecksOrError"]["checks"]:
            if found["partitionStatuses"] is None:
                continue  # an unpartitioned check (the deadline): not about one day
            by_day = {}
            for span in found["partitionStatuses"]["ranges"]:
                first = dt.date.fromisoformat(span["startKey"])
                last = dt.date.fromisoformat(span["endKey"])
                for offset in range((last - first).days + 1):
                    by_day[(first + dt.timedelta(days=offset)).isoformat()] = span["status"]
            latest = found["executionForLatestMaterialization"]
            statuses[f"{node['assetKey']['path'][0]}.{found['name']}"] = {
                "latest": latest["status"] if latest else None,
                "days": by_day,
            }
    return statuses


@pytest.mark.parametrize("way", ["range", "single"])
def test_every_day_has_its_own_result_for_every_check_in_the_ui(runs: Runs, way: str) -> None:
    instance = runs.range_instance if way == "range" else runs.single_instance
    statuses = ui_check_statuses(instance)
    assert {name.split(".")[0] for name in statuses} == set(PLATFORM_ASSETS)
    for name, status in statuses.items():
        assert status["latest"] in {"SUCCEEDED", "FAILED"}, (name, status)
        assert set(status["days"]) == set(KEYS), (name, status)
        assert set(status["days"].values()) <= {"SUCCEEDED", "FAILED"}, (name, status)
        if not name.startswith("raw_events."):  # blocking checks: these days are clean
            assert set(status["days"].values()) == {"SUCCEEDED"}, (name, status)


# --- column lineage ---------------------------------------------------------------------------


def _schema_columns(asset: str) -> set[str]:
    spec = next(iter(Platform.load_definitions().get_assets_def(asset).specs))
    schema = spec.metadata["dagster/column_schema"]
    return {column.name for column in schema.columns}


@pytest.mark.parametrize(
    ("asset", "upstream", "every_column"),
    [("cleaned_events", "raw_events", True), ("daily_summary", "cleaned_events", True)],
)
def test_column_lineage_names_real_columns_of_the_upstream(
    runs: Runs, asset: str, upstream: str, every_column: bool
) -> None:
    metadata = day_metadata(runs.range_instance, asset, KEYS[0])
    lineage = metadata["dagster/column_lineage"]
    assert isinstance(lineage, dg.TableColumnLineageMetadataValue)
    deps_by_column = lineage.value.deps_by_column
    own, theirs = _schema_columns(asset), _schema_columns(upstream)
    assert set(deps_by_column) <= own
    if every_column:
        assert set(deps_by_column) == own
    for column, deps in deps_by_column.items():
        assert deps, column
        for dep in deps:
            assert dep.asset_key == dg.AssetKey(upstream), (column, dep)
            assert dep.column_name in theirs, (column, dep)


def test_summary_figures_derive_from_the_columns_they_are_computed_from(runs: Runs) -> None:
    lineage = day_metadata(runs.range_instance, "daily_summary", KEYS[0])
    deps = {
        column: sorted(dep.column_name for dep in found)
        for column, found in lineage["dagster/column_lineage"].value.deps_by_column.items()
    }
    assert deps == {
        "date": ["event_date"],
        "events": ["event_id"],
        "active_users": ["user_id"],
        "purchases": ["event_type"],
        "revenue": ["revenue"],
    }


# --- long backfills ---------------------------------------------------------------------------


def test_a_long_backfill_keeps_per_day_figures_and_says_why_it_has_no_previews(
    tmp_path: Path,
) -> None:
    platform = Platform(tmp_path)
    days = PER_DAY_PREVIEW_MAX_DAYS + 1
    platform.generate(FIRST, days=days, events_per_day=40, seed=3)
    last = (FIRST + dt.timedelta(days=days - 1)).isoformat()
    with dg.DagsterInstance.ephemeral() as instance:
        assert platform.materialize(
            partition_range=(FIRST.isoformat(), last), instance=instance
        ).success
        for asset in PLATFORM_ASSETS:
            metadata = values(day_metadata(instance, asset, last))
            assert "preview" not in metadata
            assert str(PER_DAY_PREVIEW_MAX_DAYS) in metadata["preview_skipped"]
        summary = values(day_metadata(instance, "daily_summary", last))
    [(events,)] = platform.rows(
        "SELECT events FROM analytics.daily_summary WHERE date = ?", [dt.date.fromisoformat(last)]
    )
    assert summary["events"] == events and summary["dagster/row_count"] == 1
