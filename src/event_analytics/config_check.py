"""Validate every setting up front, so a misconfiguration is one clear message, not a traceback.

Resources run the same checks in `setup_for_execution`, before any step does work; this module
lets `event-analytics check-config` (and a deployment's health check) ask without running.
"""

from __future__ import annotations

from collections.abc import Callable

from event_analytics.dbt.target import check_dbt_target
from event_analytics.landing import LandingZoneResource
from event_analytics.quality.thresholds import (
    RAW_REJECTED_RATIO_MAX,
    RAW_VOLUME_MAX_RATIO,
    RAW_VOLUME_MIN_RATIO,
    deadline_time,
    ratio,
)
from event_analytics.settings import EVENTS_LANDING_URL, WAREHOUSE_URL
from event_analytics.warehouse import WarehouseResource


def _checks() -> list[tuple[str, Callable[[], object]]]:
    return [
        ("warehouse", WarehouseResource(url=WAREHOUSE_URL.value()).check_configuration),
        ("landing zone", LandingZoneResource(url=EVENTS_LANDING_URL.value()).check_configuration),
        ("partitions", _partitions),
        ("rejected ratio", lambda: ratio(RAW_REJECTED_RATIO_MAX)),
        ("volume band", lambda: (ratio(RAW_VOLUME_MIN_RATIO), ratio(RAW_VOLUME_MAX_RATIO))),
        ("deadline", deadline_time),
        ("dbt target", check_dbt_target),
    ]


def _partitions() -> None:
    # Importing builds the partitions definition, which validates EVENTS_START_DATE.
    from event_analytics import partitions  # noqa: F401


def configuration_problems() -> list[str]:
    """One message per setting that cannot work as configured; empty when all is well."""
    problems = []
    for name, check in _checks():
        try:
            check()
        except ValueError as error:
            problems.append(f"{name}: {error}")
    return problems
