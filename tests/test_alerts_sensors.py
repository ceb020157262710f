"""The alert sensors, driven by real Dagster events in a real (temporary) instance.

Each test materializes small test-only assets (or the platform's own, via the harness) with
failing checks or failing runs, evaluates the sensor tick by tick from its serialized cursor
(exactly what the daemon does, restarts included), and asserts what reached a real HTTP
server on 127.0.0.1: one message per transition, the documented body.
"""

import datetime as dt
import json
import logging
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import dagster as dg
import duckdb
import pytest
from dagster._core.remote_origin import InProcessCodeLocationOrigin
from dagster._core.test_utils import create_test_daemon_workspace_context, freeze_time
from dagster._core.types.loadable_target_origin import LoadableTargetOrigin
from dagster._core.workspace.load_target import InProcessWorkspaceLoadTarget
from dagster._daemon.freshness import FreshnessDaemon
from dagster._daemon.sensor import execute_sensor_iteration

from event_analytics.alerts import Notifier
from event_analytics.defs.alerting.check_failures import check_failure_alert_sensor
from event_analytics.defs.alerting.freshness import freshness_alert_sensor
from event_analytics.defs.alerting.run_failures import run_failure_alert_sensor
from event_analytics.defs.quality.raw_events_checks import raw_events_checks
from event_analytics.warehouse import WarehouseResource
from harness import PLATFORM_ASSETS, Platform
from test_alerts_delivery import WebhookReceiver
from test_quality_checks import FULL_DAYS, TODAY, set_clock, write_events

UI = "http://dagster.test:3000"
daily = dg.DailyPartitionsDefinition(start_date="2025-01-01")

# Test-only assets. Run tags say how a run should go wrong:
#   test/fail=run    -> `orders` raises (the run fails, `order_totals` is skipped)
#   test/check=fail  -> the ERROR-severity check `rows_positive` fails
#   test/drift=fail  -> the WARN-severity check `row_count_drift` fails


@dg.asset(
    partitions_def=daily,
    backfill_policy=dg.BackfillPolicy.single_run(),
    check_specs=[
        dg.AssetCheckSpec("rows_positive", asset="orders"),
        dg.AssetCheckSpec("row_count_drift", asset="orders"),
    ],
)
def orders(context: dg.AssetExecutionContext) -> Iterator[Any]:
    tags = context.run.tags
    if tags.get("test/fail") == "run":
        raise RuntimeError("warehouse unreachable")
    yield dg.MaterializeResult()
    yield dg.AssetCheckResult(
        check_name="rows_positive",
        passed=tags.get("test/check") != "fail",
        metadata={"negative_rows": 3 if tags.get("test/check") == "fail" else 0},
        description="Some rows have a negative amount." if tags.get("test/check") else None,
    )
    yield dg.AssetCheckResult(
        check_name="row_count_drift",
        passed=tags.get("test/drift") != "fail",
        severity=dg.AssetCheckSeverity.WARN,
        description="Row count 40% below last week.",
    )


@dg.asset(partitions_def=daily, deps=[orders], backfill_policy=dg.BackfillPolicy.single_run())
def order_totals() -> None:
    pass


@dg.asset_check(asset=orders, name="orders_landed")
def orders_landed(context: dg.AssetCheckExecutionContext) -> dg.AssetCheckResult:
    """Like the platform's scheduled deadline check: evaluated on its own, in check-only runs."""
    if context.run.tags.get("test/fail") == "check":
        raise RuntimeError("could not read the partition list")
    return dg.AssetCheckResult(passed=True)


@dg.asset_check(asset=orders, name="orders_balanced", partitions_def=daily)
def orders_balanced(context: dg.AssetCheckExecutionContext) -> dg.AssetCheckResult:
    """A partitioned check evaluated on its own, one day per check-only run."""
    if context.run.tags.get("test/fail") == "check":
        raise RuntimeError("could not read the ledger")
    return dg.AssetCheckResult(passed=True)


@dg.asset(partitions_def=daily, backfill_policy=dg.BackfillPolicy.single_run())
def ledger(context: dg.AssetExecutionContext) -> None:
    if context.run.tags.get("test/fail") == "run":
        raise RuntimeError("ledger unreachable")


@dg.asset(partitions_def=daily)
def someone_elses_asset() -> None:
    raise RuntimeError("not ours")


TEST_DEFS = dg.Definitions(
    assets=[orders, order_totals, ledger], asset_checks=[orders_landed, orders_balanced]
)


@pytest.fixture
def instance() -> Iterator[dg.DagsterInstance]:
    # A persistent SQLite instance in a temp dir: run-sharded event log, like dagster_home.
    with dg.instance_for_test() as tmp_instance:
        yield tmp_instance


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    with WebhookReceiver() as server:
        yield server


class Ticker:
    """Evaluates one sensor tick after tick, carrying only the serialized cursor between them."""

    def __init__(
        self,
        sensor: dg.SensorDefinition,
        instance: dg.DagsterInstance,
        receiver: WebhookReceiver,
        defs: dg.Definitions = TEST_DEFS,
    ) -> None:
        self.sensor, self.instance, self.receiver, self.defs = sensor, instance, receiver, defs
        self.cursor: str | None = None
        self.seen = 0

    def tick(self) -> list[dict[str, Any]]:
        """Run one tick; returns the bodies that reached the webhook during it."""
        # A fresh resource and context every tick: nothing but the cursor survives, as after
        # a daemon restart.
        notifier = Notifier(
            webhook_url=self.receiver.url(), ui_url=UI, max_attempts=2, backoff_seconds=0.01
        )
        context = dg.build_sensor_context(
            instance=self.instance,
            cursor=self.cursor,
            definitions=self.defs,
            resources={"notifier": notifier},
        )
        result = self.sensor(context)
        assert isinstance(result, dg.SensorResult)
        self.cursor = result.cursor
        new = self.receiver.bodies[self.seen :]
        self.seen = len(self.receiver.bodies)
        return new


def materialize(
    instance: dg.DagsterInstance,
    partition: str | None = None,
    tags: dict[str, str] | None = None,
    assets: list[dg.AssetsDefinition] | None = None,
) -> dg.ExecuteInProcessResult:
    return dg.materialize(
        assets or [orders, order_totals],
        instance=instance,
        partition_key=partition,
        tags=tags or {},
        raise_on_error=False,
    )


def assert_iso(text: str) -> None:
    assert dt.datetime.fromisoformat(text).tzinfo is not None


# --- check failures -----------------------------------------------------------------------


def test_failed_error_check_fires_once_and_resolves_once(
    instance: dg.DagsterInstance, receiver: WebhookReceiver
) -> None:
    ticker = Ticker(check_failure_alert_sensor, instance, receiver)
    assert ticker.tick() == []  # the first tick marks where alerting starts

    assert materialize(instance, "2025-01-02", {"test/check": "fail"}).success
    [firing] = ticker.tick()
    assert firing == {
        "status": "firing",
        "kind": "check_failure",
        "asset": "orders",
        "partition": "2025-01-02",
        "check": "rows_positive",
        "summary": "Check rows_positive failed on orders [2025-01-02]: "
        "Some rows have a negative amount.",
        "details": firing["details"],
        "url": f"{UI}/assets/orders",
        "occurred_at": firing["occurred_at"],
        "incident": "check_failure:orders:rows_positive:2025-01-02",
    }
    assert "negative_rows: 3" in firing["details"]
    assert_iso(firing["occurred_at"])

    # Still failing: no repeat, neither on a quiet tick nor on the next failing evaluation.
    assert ticker.tick() == []
    assert materialize(instance, "2025-01-02", {"test/check": "fail"}).success
    assert ticker.tick() == []

    # Another partition failing is another incident.
    assert materialize(instance, "2025-01-03", {"test/check": "fail"}).success
    [other] = ticker.tick()
    assert other["partition"] == "2025-01-03" and other["status"] == "firing"

    # Passing again resolves the 2025-01-02 incident only, once.
    assert materialize(instance, "2025-01-02").success
    [resolved] = ticker.tick()
    assert resolved["status"] == "resolved"
    assert resolved["incident"] == firing["incident"]
    assert (resolved["asset"], resolved["partition"], resolved["check"]) == (
        "orders",
        "2025-01-02",
        "rows_positive",
    )
    assert resolved["url"] == f"{UI}/assets/orders"
    assert ticker.tick() == []
    assert len(receiver.requests) == 3


def test_a_range_failure_reported_without_its_day_resolves_once_every_day_has_passed(
    instance: dg.DagsterInstance, receiver: WebhookReceiver
) -> None:
    """A check that reports once for a whole range (like dbt tests) cannot say which day failed:
    the incident covers the range and closes when each of its days has passed since."""
    ticker = Ticker(check_failure_alert_sensor, instance, receiver)
    ticker.tick()
    range_tags = {
        "dagster/asset_partition_range_start": "2025-01-01",
        "dagster/asset_partition_range_end": "2025-01-03",
    }
    assert materialize(instance, tags={**range_tags, "test/check": "fail"}).success
    [firing] = ticker.tick()
    assert firing["partition"] == "2025-01-01...2025-01-03"
    # The same range failing again, or one of its days failing alone, is the same incident.
    assert materialize(instance, "2025-01-02", {"test/check": "fail"}).success
    assert ticker.tick() == []
    for day in ("2025-01-01", "2025-01-02"):
        assert materialize(instance, day).success
        assert ticker.tick() == []  # partly passing is still failing
    assert materialize(instance, "2025-01-03").success
    [resolved] = ticker.tick()
    assert (resolved["status"], resolved["incident"]) == ("resolved", firing["incident"])
    assert resolved["partition"] == "2025-01-01...2025-01-03"


def test_a_range_incident_from_an_older_cursor_resolves_day_by_day(
    instance: dg.DagsterInstance, receiver: WebhookReceiver
) -> None:
    """The previous version named a range run's check incident after the range and kept only
    when it started: its days are read back from the name, and each day's pass counts."""
    ticker = Ticker(check_failure_alert_sensor, instance, receiver)
    ticker.tick()
    incident = "check_failure:orders:rows_positive:2025-01-01...2025-01-02"
    cursor = json.loads(ticker.cursor or "{}")
    cursor["open"][incident] = {"since": "2025-01-05T00:00:00+00:00"}
    ticker.cursor = json.dumps(cursor)

    assert materialize(instance, "2025-01-01").success
    assert ticker.tick() == []
    assert materialize(instance, "2025-01-02").success
    [resolved] = ticker.tick()
    assert (resolved["status"], resolved["incident"]) == ("resolved", incident)
    assert resolved["partition"] == "2025-01-01...2025-01-02"
    assert "Failing since 2025-01-05T00:00:00+00:00." in resolved["details"]


def test_warn_severity_failures_are_logged_not_sent(
    instance: dg.DagsterInstance, receiver: WebhookReceiver, capfd: pytest.CaptureFixture[str]
) -> None:
    ticker = Ticker(check_failure_alert_sensor, instance, receiver)
    ticker.tick()
    assert materialize(instance, "2025-01-02", {"test/drift": "fail"}).success
    capfd.readouterr()
    assert ticker.tick() == []
    # The sensor's log (the tick's log in the UI; stderr here).
    logged = capfd.readouterr().err
    assert "row_count_drift failed on orders [2025-01-02] with severity WARN" in logged
    assert "logged, not paged" in logged


def test_checks_of_assets_outside_the_code_location_are_ignored(
    instance: dg.DagsterInstance, receiver: WebhookReceiver
) -> None:
    ticker = Ticker(
        check_failure_alert_sensor, instance, receiver, defs=dg.Definitions(assets=[order_totals])
    )
    ticker.tick()
    assert materialize(instance, "2025-01-02", {"test/check": "fail"}).success
    assert ticker.tick() == []


def test_a_check_failing_on_one_day_of_a_range_run_pages_that_day_and_its_rerun_resolves_it(
    platform: Platform, instance: dg.DagsterInstance, receiver: WebhookReceiver
) -> None:
    """The platform's own checks: a range run fails one day; that day alone is re-run."""
    platform.generate(dt.date(2025, 1, 1), days=3, events_per_day=300)
    ticker = Ticker(check_failure_alert_sensor, instance, receiver, defs=platform.defs)
    ticker.tick()
    assert platform.materialize(
        partition_range=("2025-01-01", "2025-01-03"), assets=["raw_events"], instance=instance
    ).success
    # A negative revenue written straight into raw.events on 2025-01-02, bypassing the contract.
    with duckdb.connect(str(platform.db_path)) as connection:
        connection.execute(
            "UPDATE raw.events SET revenue = -5 WHERE event_id = (SELECT min(event_id) "
            "FROM raw.events WHERE event_date = DATE '2025-01-02' AND user_id IS NOT NULL)"
        )
    downstream = ["cleaned_events", "daily_summary"]
    failed = platform.materialize(
        partition_range=("2025-01-01", "2025-01-03"),
        assets=downstream,
        checks=True,
        instance=instance,
    )
    assert not failed.success  # the blocking check failed
    [firing] = ticker.tick()
    assert (firing["status"], firing["check"], firing["partition"]) == (
        "firing",
        "revenue_not_negative",
        "2025-01-02",
    )
    assert firing["incident"] == "check_failure:cleaned_events:revenue_not_negative:2025-01-02"
    assert "offending_rows: 1" in firing["details"]

    with duckdb.connect(str(platform.db_path)) as connection:
        connection.execute("UPDATE raw.events SET revenue = 0 WHERE revenue < 0")
    fixed = platform.materialize(
        partition="2025-01-02", assets=downstream, checks=True, instance=instance
    )
    assert fixed.success
    [resolved] = ticker.tick()
    assert (resolved["status"], resolved["incident"]) == ("resolved", firing["incident"])
    assert ticker.tick() == []


def test_a_low_partial_day_is_logged_and_pages_only_once_complete(
    platform: Platform,
    instance: dg.DagsterInstance,
    receiver: WebhookReceiver,
    write_day: Callable[[str, str, bytes | str], Path],
    monkeypatch: pytest.MonkeyPatch,
    capfd: pytest.CaptureFixture[str],
) -> None:
    """The platform's volume check with the clock inside the day, then after its deadline."""
    ticker = Ticker(check_failure_alert_sensor, instance, receiver, defs=platform.defs)
    ticker.tick()
    set_clock(monkeypatch, f"{TODAY}T10:00:00+00:00")
    for day in FULL_DAYS:
        write_events(write_day, day, 960)
    write_events(write_day, TODAY, 40, until=dt.timedelta(hours=10))  # a tenth of a morning
    assert platform.materialize(
        partition_range=(FULL_DAYS[0], TODAY),
        assets=["raw_events"],
        checks=True,
        selection=dg.AssetSelection.assets("raw_events"),
        instance=instance,
    ).success
    capfd.readouterr()
    assert ticker.tick() == []  # a partial day is worth a look, not a page
    logged = capfd.readouterr().err
    assert f"band failed on raw_events [{TODAY}] with severity WARN: logged, not paged" in logged

    # The schedule's check-only run, a few minutes after the deadline: the day is complete.
    set_clock(monkeypatch, "2025-01-10T02:05:00+00:00")
    judged = dg.materialize(
        [platform.defs.get_assets_def("raw_events"), raw_events_checks],
        selection=dg.AssetSelection.checks(raw_events_checks),
        resources=platform.resources,
        tags={"dagster/partition": TODAY},
        instance=instance,
    )
    assert judged.success
    [firing] = ticker.tick()
    assert (firing["status"], firing["check"], firing["partition"]) == (
        "firing",
        "volume_within_trailing_median_band",
        TODAY,
    )
    assert "40 rows is below 0.5 x the 7-day median (960)" in firing["summary"]


# --- run failures -------------------------------------------------------------------------


def test_failed_run_fires_once_and_resolves_when_rematerialized(
    instance: dg.DagsterInstance, receiver: WebhookReceiver
) -> None:
    ticker = Ticker(run_failure_alert_sensor, instance, receiver)
    assert ticker.tick() == []

    failed = materialize(instance, "2025-01-03", {"test/fail": "run"})
    assert not failed.success
    [firing] = ticker.tick()
    assert firing["status"] == "firing" and firing["kind"] == "run_failure"
    assert (firing["asset"], firing["partition"], firing["check"]) == ("orders", "2025-01-03", None)
    assert firing["url"] == f"{UI}/runs/{failed.run_id}"
    assert "RuntimeError: warehouse unreachable" in firing["details"]
    assert "Not materialized because of it: order_totals." in firing["details"]
    assert_iso(firing["occurred_at"])

    # No repeat: a quiet tick, then a retry failing on the same partition.
    assert ticker.tick() == []
    assert not materialize(instance, "2025-01-03", {"test/fail": "run"}).success
    assert ticker.tick() == []

    fixed = materialize(instance, "2025-01-03")
    assert fixed.success
    [resolved] = ticker.tick()
    assert resolved["status"] == "resolved"
    assert resolved["incident"] == firing["incident"]
    assert (resolved["asset"], resolved["partition"]) == ("orders", "2025-01-03")
    assert resolved["url"] == f"{UI}/runs/{fixed.run_id}"
    assert ticker.tick() == []
    assert len(receiver.requests) == 2


def test_a_crashed_check_only_run_fires_and_resolves_on_the_next_evaluation(
    instance: dg.DagsterInstance, receiver: WebhookReceiver
) -> None:
    ticker = Ticker(run_failure_alert_sensor, instance, receiver)
    ticker.tick()

    def run_check(tags: dict[str, str]) -> dg.ExecuteInProcessResult:
        return dg.materialize(
            [orders, orders_landed],
            selection=dg.AssetSelection.checks(orders_landed),
            instance=instance,
            tags=tags,
            raise_on_error=False,
        )

    crashed = run_check({"test/fail": "check"})
    assert not crashed.success
    [firing] = ticker.tick()
    assert (firing["kind"], firing["asset"], firing["check"]) == (
        "run_failure",
        "orders",
        "orders_landed",
    )
    assert "RuntimeError: could not read the partition list" in firing["details"]
    assert firing["url"] == f"{UI}/runs/{crashed.run_id}"
    assert not run_check({"test/fail": "check"}).success
    assert ticker.tick() == []

    assert run_check({}).success
    [resolved] = ticker.tick()
    assert resolved["status"] == "resolved" and resolved["check"] == "orders_landed"
    assert ticker.tick() == []


def test_a_failed_range_resolves_only_when_every_partition_is_back(
    instance: dg.DagsterInstance, receiver: WebhookReceiver
) -> None:
    ticker = Ticker(run_failure_alert_sensor, instance, receiver)
    ticker.tick()
    range_tags = {
        "dagster/asset_partition_range_start": "2025-01-01",
        "dagster/asset_partition_range_end": "2025-01-03",
    }
    assert not materialize(instance, tags={**range_tags, "test/fail": "run"}).success
    [firing] = ticker.tick()
    assert firing["partition"] == "2025-01-01...2025-01-03"

    for day in ("2025-01-01", "2025-01-02"):
        assert materialize(instance, day).success
        assert ticker.tick() == []  # partly recovered is not recovered
    assert materialize(instance, "2025-01-03").success
    [resolved] = ticker.tick()
    assert resolved["status"] == "resolved" and resolved["incident"] == firing["incident"]


def test_a_failed_range_longer_than_100_days_waits_for_every_day(
    instance: dg.DagsterInstance, receiver: WebhookReceiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Dagster's setting for large single-run backfills: one planned event per asset naming the
    # whole range, instead of one per partition.
    monkeypatch.setenv("DAGSTER_EMIT_PARTITION_SUBSET_IN_PLANNED_EVENTS", "true")
    ticker = Ticker(run_failure_alert_sensor, instance, receiver)
    ticker.tick()

    def run(start: str, end: str, tags: dict[str, str] | None = None) -> bool:
        range_tags = {
            "dagster/asset_partition_range_start": start,
            "dagster/asset_partition_range_end": end,
        }
        return materialize(instance, tags={**range_tags, **(tags or {})}, assets=[ledger]).success

    assert not run("2025-01-01", "2025-04-30", {"test/fail": "run"})  # 120 days
    [firing] = ticker.tick()
    assert firing["partition"] == "2025-01-01...2025-04-30"

    # The first 100 days are back: the other 20 are still missing.
    assert run("2025-01-01", "2025-04-10")
    assert ticker.tick() == []
    assert run("2025-04-11", "2025-04-30")
    [resolved] = ticker.tick()
    assert resolved["status"] == "resolved" and resolved["incident"] == firing["incident"]
    # Every day was remembered, yet the cursor stayed small: consecutive days as ranges.
    assert ticker.cursor is not None and len(ticker.cursor) < 2000


def test_a_crashed_partitioned_check_resolves_only_when_that_day_is_evaluated(
    instance: dg.DagsterInstance, receiver: WebhookReceiver
) -> None:
    ticker = Ticker(run_failure_alert_sensor, instance, receiver)
    ticker.tick()

    def run_check(day: str, tags: dict[str, str] | None = None) -> dg.ExecuteInProcessResult:
        return dg.materialize(
            [orders, orders_balanced],
            selection=dg.AssetSelection.checks(orders_balanced),
            instance=instance,
            tags={"dagster/partition": day, **(tags or {})},
            raise_on_error=False,
        )

    assert not run_check("2025-01-02", {"test/fail": "check"}).success
    [firing] = ticker.tick()
    assert (firing["partition"], firing["check"]) == ("2025-01-02", "orders_balanced")
    # Another day's evaluation says nothing about 2025-01-02.
    assert run_check("2025-01-03").success
    assert ticker.tick() == []
    assert run_check("2025-01-02").success
    [resolved] = ticker.tick()
    assert resolved["status"] == "resolved" and resolved["incident"] == firing["incident"]


def test_runs_of_assets_outside_the_code_location_are_ignored(
    instance: dg.DagsterInstance, receiver: WebhookReceiver
) -> None:
    ticker = Ticker(run_failure_alert_sensor, instance, receiver)
    ticker.tick()
    assert not materialize(instance, "2025-01-02", assets=[someone_elses_asset]).success
    assert ticker.tick() == []


def test_platform_run_failure_names_the_failed_asset_and_what_it_blocked(
    platform: Platform, instance: dg.DagsterInstance, receiver: WebhookReceiver
) -> None:
    """The platform's own assets: raw_events fails inside its step, then recovers."""
    platform.generate(dt.date(2025, 1, 1), days=1, events_per_day=200)
    ticker = Ticker(run_failure_alert_sensor, instance, receiver, defs=platform.defs)
    ticker.tick()

    # Someone replaced raw.events with a table of another shape: the load fails in the step.
    with duckdb.connect(str(platform.db_path)) as connection:
        connection.execute("CREATE SCHEMA raw; CREATE TABLE raw.events (id INTEGER)")
    failed = platform.materialize(partition="2025-01-01", instance=instance)
    assert not failed.success
    [firing] = ticker.tick()
    assert (firing["asset"], firing["partition"]) == ("raw_events", "2025-01-01")
    assert "Step raw_events failed:" in firing["details"]
    assert "Not materialized because of it: cleaned_events, daily_summary." in firing["details"]
    assert firing["url"] == f"{UI}/runs/{failed.run_id}"

    with duckdb.connect(str(platform.db_path)) as connection:
        connection.execute("DROP TABLE raw.events")
    fixed = platform.materialize(partition="2025-01-01", instance=instance)
    assert fixed.success
    [resolved] = ticker.tick()
    assert (resolved["status"], resolved["asset"]) == ("resolved", "raw_events")
    assert resolved["url"] == f"{UI}/runs/{fixed.run_id}"


def test_a_run_that_cannot_start_names_every_asset_and_the_reason(
    platform: Platform, instance: dg.DagsterInstance, receiver: WebhookReceiver
) -> None:
    """Resources that fail to initialize fail the run before any step: all assets are named."""
    ticker = Ticker(run_failure_alert_sensor, instance, receiver, defs=platform.defs)
    ticker.tick()
    platform.generate(dt.date(2025, 1, 1), days=1, events_per_day=50)
    broken = platform.db_path.parent / "a-directory"
    broken.mkdir()
    failed = dg.materialize(
        [platform.defs.get_assets_def(k) for k in PLATFORM_ASSETS],
        resources={**platform.resources, "warehouse": WarehouseResource(url=f"duckdb:///{broken}")},
        partition_key="2025-01-01",
        instance=instance,
        raise_on_error=False,
    )
    assert not failed.success
    [firing] = ticker.tick()
    assert firing["asset"] == "cleaned_events, daily_summary, raw_events"
    assert "The run failed before any step ran:" in firing["details"]
    assert str(broken) in firing["details"]


# --- freshness ----------------------------------------------------------------------------


PLATFORM_LOCATION = InProcessWorkspaceLoadTarget(
    InProcessCodeLocationOrigin(
        LoadableTargetOrigin(module_name="event_analytics.definitions", attribute="defs")
    )
)


def run_freshness_daemon(instance: dg.DagsterInstance, at: dt.datetime) -> None:
    """One iteration of Dagster's own freshness daemon over the platform's code location."""
    with (
        freeze_time(at),
        create_test_daemon_workspace_context(PLATFORM_LOCATION, instance) as workspace,
    ):
        list(FreshnessDaemon().run_iteration(workspace))


def run_sensor_daemon(instance: dg.DagsterInstance, at: dt.datetime) -> None:
    """One iteration of Dagster's own sensor daemon over the platform's code location, loaded
    afresh each time: every call is a daemon restart, only the instance remembers."""
    with (
        freeze_time(at),
        create_test_daemon_workspace_context(PLATFORM_LOCATION, instance) as workspace,
    ):
        list(execute_sensor_iteration(workspace, logging.getLogger("sensor-daemon"), None, None))


def test_platform_freshness_degraded_fires_once_and_resolves_once(
    platform: Platform, instance: dg.DagsterInstance, receiver: WebhookReceiver
) -> None:
    """The platform's assets and policies, Dagster's freshness daemon, frozen clocks."""
    platform.generate(dt.date(2025, 1, 1), days=1, events_per_day=200)
    policies = {
        name: platform.defs.get_assets_def(name).specs_by_key[dg.AssetKey(name)].freshness_policy
        for name in PLATFORM_ASSETS
    }
    watched = sorted(name for name, policy in policies.items() if policy is not None)
    assert watched  # raw_events and daily_summary carry the 60-minute SLA

    start = dt.datetime.now(dt.UTC)
    with freeze_time(start):
        assert platform.materialize(partition="2025-01-01", instance=instance).success
    ticker = Ticker(freshness_alert_sensor, instance, receiver, defs=platform.defs)

    run_freshness_daemon(instance, start + dt.timedelta(minutes=1))
    assert ticker.tick() == []  # HEALTHY

    run_freshness_daemon(instance, start + dt.timedelta(minutes=50))
    assert ticker.tick() == []  # WARNING is not sent

    run_freshness_daemon(instance, start + dt.timedelta(minutes=61))
    firing = ticker.tick()
    assert sorted(b["asset"] for b in firing) == watched
    for body in firing:
        assert (body["status"], body["kind"], body["partition"], body["check"]) == (
            "firing",
            "freshness",
            None,
            None,
        )
        assert body["url"] == f"{UI}/assets/{body['asset']}"
        assert "partition 2025-01-01" in body["details"]
        assert_iso(body["occurred_at"])

    run_freshness_daemon(instance, start + dt.timedelta(minutes=62))
    assert ticker.tick() == []  # still DEGRADED: no repeat

    with freeze_time(start + dt.timedelta(minutes=70)):
        assert platform.materialize(partition="2025-01-01", instance=instance).success
    run_freshness_daemon(instance, start + dt.timedelta(minutes=71))
    resolved = ticker.tick()
    assert sorted(b["asset"] for b in resolved) == watched
    assert {b["status"] for b in resolved} == {"resolved"}
    assert {b["incident"] for b in resolved} == {b["incident"] for b in firing}
    assert ticker.tick() == []


# --- the real daemon ----------------------------------------------------------------------


def test_the_sensor_daemon_alerts_through_the_environment_configured_webhook(
    platform: Platform,
    instance: dg.DagsterInstance,
    receiver: WebhookReceiver,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    """The platform as deployed: sensors RUNNING by default, `notifier` bound to the settings,
    state only in the instance (the code location is reloaded for every daemon iteration)."""
    monkeypatch.setenv("ALERT_WEBHOOK_URL", receiver.url())
    monkeypatch.setenv("DAGSTER_UI_URL", UI)
    # An empty landing zone, so the landing sensor ticks quietly next to the alert sensors.
    monkeypatch.setenv("EVENTS_LANDING_URL", str(tmp_path / "empty-landing"))
    (tmp_path / "empty-landing").mkdir()
    platform.generate(dt.date(2025, 1, 1), days=1, events_per_day=100)
    start = dt.datetime.now(dt.UTC)
    run_sensor_daemon(instance, start)  # first ticks: the sensors start watching

    broken = tmp_path / "a-directory"
    broken.mkdir()
    failed = dg.materialize(
        [platform.defs.get_assets_def("raw_events")],
        resources={**platform.resources, "warehouse": WarehouseResource(url=f"duckdb:///{broken}")},
        partition_key="2025-01-01",
        instance=instance,
        raise_on_error=False,
    )
    assert not failed.success
    run_sensor_daemon(instance, start + dt.timedelta(seconds=31))
    [firing] = receiver.bodies
    assert (firing["status"], firing["kind"], firing["asset"]) == (
        "firing",
        "run_failure",
        "raw_events",
    )
    assert firing["url"] == f"{UI}/runs/{failed.run_id}"

    run_sensor_daemon(instance, start + dt.timedelta(seconds=62))
    assert len(receiver.bodies) == 1

    assert platform.materialize(
        partition="2025-01-01", assets=["raw_events"], instance=instance
    ).success
    run_sensor_daemon(instance, start + dt.timedelta(seconds=93))
    assert [b["status"] for b in receiver.bodies] == ["firing", "resolved"]


# --- wiring -------------------------------------------------------------------------------


def test_alert_sensors_are_running_by_default_with_a_notifier(platform: Platform) -> None:
    defs = platform.defs
    sensors = {sensor.name: sensor for sensor in defs.sensors or []}
    for name in (
        "check_failure_alert_sensor",
        "run_failure_alert_sensor",
        "freshness_alert_sensor",
    ):
        assert sensors[name].default_status == dg.DefaultSensorStatus.RUNNING
    assert isinstance((defs.resources or {})["notifier"], Notifier)
