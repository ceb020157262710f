"""The services every asset, sensor and check talks to, configured from the environment."""

import dagster as dg

from event_analytics.landing import LandingZoneResource
from event_analytics.settings import (
    CHECKED_AT_LOAD,
    DUCKDB_LOCK_TIMEOUT_SECONDS,
    DUCKDB_MEMORY_LIMIT,
    EVENTS_LANDING_URL,
    SPARK_CONF,
    SPARK_DRIVER_MEMORY,
    SPARK_WAREHOUSE_DIR,
    WAREHOUSE_URL,
    check_settings,
)
from event_analytics.warehouse import WarehouseResource


@dg.definitions
def resources() -> dg.Definitions:
    """Bind `warehouse` and `landing` to `WAREHOUSE_URL` and `EVENTS_LANDING_URL`.

    Loading also checks every setting no resource takes (thresholds, deadline, dbt target):
    a bad one stops the code location from loading, so no run can start with it. The
    resources check their own settings when they start.
    """
    check_settings(CHECKED_AT_LOAD)
    return dg.Definitions(
        resources={
            "warehouse": WarehouseResource(
                url=WAREHOUSE_URL.for_resource(),
                memory_limit=DUCKDB_MEMORY_LIMIT.for_resource(),
                lock_timeout_seconds=DUCKDB_LOCK_TIMEOUT_SECONDS.for_int_resource(),
                spark_warehouse_dir=SPARK_WAREHOUSE_DIR.for_resource(),
                spark_driver_memory=SPARK_DRIVER_MEMORY.for_resource(),
                spark_conf=SPARK_CONF.for_resource(),
            ),
            "landing": LandingZoneResource(url=EVENTS_LANDING_URL.for_resource()),
        }
    )
