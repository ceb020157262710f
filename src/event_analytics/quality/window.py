"""Per-day figures over a partition window, shared by the checks."""

from __future__ import annotations

import datetime as dt
from typing import Any

from event_analytics.warehouse import WarehouseConnection


def per_day(
    connection: WarehouseConnection, sql: str, params: dict[str, Any], day_column: str = "day"
) -> dict[dt.date, dict[str, Any]]:
    """Rows of a grouped query keyed by their day column."""
    return {row.pop(day_column): row for row in connection.fetch_dicts(sql, params)}


def failing_days(results: dict[dt.date, bool]) -> list[str]:
    """The ISO dates whose result is False, in order."""
    return [day.isoformat() for day, ok in sorted(results.items()) if not ok]
