"""The warehouse seam: assets speak to it through `WarehouseResource` and SQL files only."""

from event_analytics.warehouse.connection import WarehouseConnection, is_transient
from event_analytics.warehouse.resource import WarehouseResource
from event_analytics.warehouse.url import WarehouseConfigError, parse_warehouse_url

__all__ = [
    "WarehouseConfigError",
    "WarehouseConnection",
    "WarehouseResource",
    "is_transient",
    "parse_warehouse_url",
]
