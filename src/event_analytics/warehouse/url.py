"""Parse `WAREHOUSE_URL` into a backend and its target, with errors that say how to fix it.

The parser itself is `setting_parsers.warehouse_target`, the one every entry point uses through
the `WAREHOUSE_URL` setting; this module keeps the warehouse's names for it.
"""

from __future__ import annotations

from event_analytics.setting_parsers import WarehouseTarget
from event_analytics.settings import WAREHOUSE_URL, WarehouseConfigError

__all__ = ["WarehouseConfigError", "WarehouseTarget", "parse_warehouse_url"]


def parse_warehouse_url(url: str) -> WarehouseTarget:
    """`duckdb:///relative.duckdb`, `duckdb:////abs.duckdb`, a bare path, or
    `postgresql://user[:password]@host[:port]/database[?sslmode=...]`, as a target; raises
    `WarehouseConfigError` naming `WAREHOUSE_URL` and the fix (never the password)."""
    return WAREHOUSE_URL.parse(url)
