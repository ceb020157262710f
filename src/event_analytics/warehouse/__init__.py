"""The warehouse seam: assets and checks speak to `Warehouse` sessions from `WarehouseResource`.

See `backend.py` for what a session offers, `tables.py` for the tables, and one module per
engine (`duckdb_backend.py`, ...) for how each does it.
"""

from event_analytics.warehouse.backend import Warehouse
from event_analytics.warehouse.errors import is_transient
from event_analytics.warehouse.resource import WarehouseResource
from event_analytics.warehouse.url import WarehouseConfigError, parse_warehouse_url
from event_analytics.warehouse.window import DayWindow

__all__ = [
    "DayWindow",
    "Warehouse",
    "WarehouseConfigError",
    "WarehouseResource",
    "is_transient",
    "parse_warehouse_url",
]
