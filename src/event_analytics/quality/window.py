"""Per-day figures over a partition window, shared by the checks."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

from event_analytics.warehouse import Warehouse


def per_day(
    connection: Warehouse, sql: str, params: dict[str, Any], day_column: str = "day"
) -> dict[dt.date, dict[str, Any]]:
    """Rows of a grouped query (one row per day) keyed by their day column."""
    return {row.pop(day_column): row for row in connection.fetch_dicts(sql, params)}


def rows_by_day(
    connection: Warehouse, sql: str, params: dict[str, Any], day_column: str = "day"
) -> dict[dt.date, list[dict[str, Any]]]:
    """Rows of a query (any number per day) grouped by their day column, in query order."""
    grouped: dict[dt.date, list[dict[str, Any]]] = defaultdict(list)
    for row in connection.fetch_dicts(sql, params):
        grouped[row.pop(day_column)].append(row)
    return dict(grouped)
